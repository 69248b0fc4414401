import { readFileSync, readdirSync } from 'node:fs';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { unsupportedKeywords, validateSchema } from './json-schema.js';
import { schemaFileContent, schemaFiles, schemas, type SchemaName } from './schemas/index.js';
import type { ExecuteParams, ExecuteResult, InitializeParams, ListResult, Manifest } from './types.js';

const dir = new URL('../schemas/', import.meta.url);
const names = Object.keys(schemas) as SchemaName[];

// The documentation's examples, typed with the TypeScript types so types and schemas cannot drift apart silently.
const manifest: Manifest = {
  id: 'stripe',
  name: 'Stripe',
  version: '1.0.0',
  protocolVersion: '1',
  command: ['node', 'dist/main.js'],
  caseTypes: ['refund'],
  caseFields: ['order_id', 'payment_intent', 'amount_minor', 'currency'],
  config: [
    { name: 'apiBase', description: 'Stripe API base URL', required: false, secret: false },
    { name: 'apiKey', description: 'Stripe secret key', required: true, secret: true },
  ],
  actions: [
    {
      name: 'refund',
      title: 'Refund a payment',
      description: 'Refund all or part of a PaymentIntent',
      inputSchema: { type: 'object', required: ['payment_intent', 'amount_minor', 'currency', 'reason'], properties: {} },
      outputSchema: { type: 'object' },
      timeoutMs: 30000,
    },
  ],
};
const caseContext = { id: 'c1', type: 'refund', typeVersion: 2, status: 'in_progress', priority: 'high', queue: 'refunds', fields: {} };
const execute: ExecuteParams = { requestId: '0190', idempotencyKey: 'latch-0190-1', action: 'refund', input: { amount_minor: 60000 }, case: caseContext, attempt: 1 };
const result: ExecuteResult = {
  status: 'succeeded',
  summary: 'Refunded 600.00 USD (re_123)',
  output: { refund_id: 're_123' },
  external: { request: { method: 'POST', url: 'https://api.stripe.com/v1/refunds', body: '…' }, response: { status: 200, body: '…' } },
};
const initialize: InitializeParams = { protocolVersion: '1', host: { name: 'latch', version: '0.1.0' } };
const list: ListResult = { actions: [{ name: 'refund', title: 'Refund', suggestedInput: { amount_minor: 1 } }] };

const valid: [SchemaName, unknown][] = [
  ['manifest', manifest],
  ['caseContext', caseContext],
  ['initializeParams', initialize],
  ['initializeResult', { protocolVersion: '1', manifest }],
  ['configureParams', { config: { apiBase: 'https://x' }, secrets: { apiKey: 'sk' } }],
  ['configureResult', {}],
  ['listParams', { case: caseContext }],
  ['listResult', list],
  ['executeParams', execute],
  ['executeResult', result],
  ['executeResult', { status: 'failed', retryable: false, summary: 'Card declined' }],
  ['shutdownParams', {}],
  ['shutdownResult', {}],
];
const invalid: [SchemaName, unknown][] = [
  ['manifest', { ...manifest, id: 'Stripe!' }],
  ['manifest', { ...manifest, protocolVersion: '2' }],
  ['manifest', { ...manifest, extra: true }],
  ['manifest', { ...manifest, command: [] }],
  ['manifest', { ...manifest, actions: [{ name: 'a.b', title: 't', inputSchema: {} }] }],
  ['caseContext', { ...caseContext, typeVersion: 0 }],
  ['configureParams', { config: {}, secrets: { apiKey: 1 } }],
  ['configureResult', { ok: true }],
  ['executeParams', { ...execute, attempt: 0 }],
  ['executeParams', { ...execute, idempotencyKey: '' }],
  ['executeResult', { status: 'done', summary: 'x' }],
  ['executeResult', { status: 'succeeded' }],
  ['listResult', { actions: [{ name: 'x' }] }],
];

describe('protocol schemas', () => {
  it('are published as JSON files identical to the exported objects (regenerate: npm run schemas -w @latch/protocol)', () => {
    expect(readdirSync(dir).sort()).toEqual(Object.values(schemaFiles).sort());
    for (const name of names) expect(readFileSync(new URL(schemaFiles[name], dir), 'utf8')).toBe(schemaFileContent(name));
  });

  it('compile under Ajv in strict draft 2020-12 mode (the files, with $schema) and draft-07 mode (the objects)', () => {
    const ajv2020 = new Ajv2020({ strict: true });
    const ajv07 = new Ajv({ strict: true });
    for (const name of names) {
      expect(() => ajv2020.compile(JSON.parse(readFileSync(new URL(schemaFiles[name], dir), 'utf8')))).not.toThrow();
      expect(() => ajv07.compile(schemas[name])).not.toThrow();
    }
  });

  it('use only keywords the built-in validator implements', () => {
    for (const name of names) expect(unsupportedKeywords(schemas[name]), name).toEqual([]);
  });

  it('accept the documented messages and reject broken ones, and the built-in validator agrees with Ajv', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    for (const [name, value] of valid) {
      expect(validateSchema(schemas[name], value), name).toEqual([]);
      expect(ajv.validate(schemas[name], value), name).toBe(true);
    }
    for (const [name, value] of invalid) {
      expect(validateSchema(schemas[name], value).length, `${name} ${JSON.stringify(value).slice(0, 80)}`).toBeGreaterThan(0);
      expect(ajv.validate(schemas[name], value), name).toBe(false);
    }
  });
});
