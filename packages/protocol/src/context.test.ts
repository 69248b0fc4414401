import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { checkCapabilities } from './conformance-reconcile.js';
import { checkContext } from './conformance-context.js';
import { validateSchema } from './json-schema.js';
import { CONTEXT_LIMITS, schemas } from './schemas/index.js';
import type { ContextParams, ContextResult, Manifest } from './types.js';

const params: ContextParams = { caseId: '0190-case', caseType: 'refund', fields: { payment_intent: 'pi_123' } };
const answer: ContextResult = {
  facts: [
    { label: 'Payment intent', value: 'pi_123', kind: 'id' },
    { label: 'Amount', value: '600.00 USD', kind: 'amount' },
    { label: 'Note', value: '' },
  ],
  summary: '600.00 USD paid, nothing refunded',
  fetchedAt: '2025-01-31T10:00:00.123Z',
};
const fact = (value: string) => ({ label: 'x', value });

describe('case.context schemas', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const agree = (name: 'contextParams' | 'contextResult' | 'initializeResult', value: unknown, ok: boolean) => {
    expect(validateSchema(schemas[name], value).length === 0, `${name} ${JSON.stringify(value).slice(0, 120)}`).toBe(ok);
    expect(ajv.validate(schemas[name], value), name).toBe(ok);
  };

  it('accept a documented call and answer, with or without summary and kinds', () => {
    agree('contextParams', params, true);
    agree('contextResult', answer, true);
    agree('contextResult', { facts: [], fetchedAt: '2025-01-31T10:00:00+02:00' }, true);
    agree('contextResult', { facts: Array.from({ length: CONTEXT_LIMITS.facts }, () => fact('v')), fetchedAt: answer.fetchedAt }, true);
  });

  it('refuse answers that are unbounded, not text, or could carry anything but facts', () => {
    agree('contextResult', { ...answer, facts: Array.from({ length: CONTEXT_LIMITS.facts + 1 }, () => fact('v')) }, false);
    agree('contextResult', { ...answer, facts: [fact('v'.repeat(CONTEXT_LIMITS.value + 1))] }, false);
    agree('contextResult', { ...answer, facts: [{ label: 'l'.repeat(CONTEXT_LIMITS.label + 1), value: 'v' }] }, false);
    agree('contextResult', { ...answer, facts: [{ label: 'Amount', value: 600 }] }, false);
    agree('contextResult', { ...answer, facts: [{ label: '', value: 'v' }] }, false);
    agree('contextResult', { ...answer, facts: [{ label: 'Link', value: 'v', kind: 'html' }] }, false);
    agree('contextResult', { ...answer, facts: [{ label: 'Link', value: 'v', href: 'javascript:alert(1)' }] }, false);
    agree('contextResult', { ...answer, summary: 's'.repeat(CONTEXT_LIMITS.summary + 1) }, false);
    agree('contextResult', { ...answer, action: { plugin: 'stripe', action: 'refund' } }, false);
    agree('contextResult', { facts: [] }, false);
    agree('contextResult', { facts: [], fetchedAt: 'yesterday' }, false);
    agree('contextParams', { ...params, caseId: '' }, false);
    agree('contextParams', { caseId: 'c', caseType: 'refund' }, false);
  });

  it('version the capability and name the case types it covers', () => {
    const manifest = { id: 'p', name: 'P', version: '1.0.0', protocolVersion: '1', command: ['p'], caseTypes: ['refund'], caseFields: [], config: [], actions: [] };
    agree('initializeResult', { protocolVersion: '1', manifest, capabilities: { context: { version: 1, caseTypes: ['refund'] } } }, true);
    agree('initializeResult', { protocolVersion: '1', manifest, capabilities: { context: { version: 2, caseTypes: ['refund'] } } }, false);
    agree('initializeResult', { protocolVersion: '1', manifest, capabilities: { context: { version: 1, caseTypes: [] } } }, false);
  });
});

describe('conformance of the context capability', () => {
  const manifest = { caseTypes: ['refund'], caseFields: ['payment_intent'], actions: [] } as unknown as Manifest;

  it('passes a plugin without it, and checks the case types of one with it', () => {
    expect(checkCapabilities(undefined, manifest)).toBe('none offered');
    expect(checkCapabilities({ context: { version: 1, caseTypes: ['refund'] } }, manifest)).toBe('context v1 for refund');
    expect(() => checkCapabilities({ context: { version: 1, caseTypes: ['payout'] } }, manifest)).toThrow(/payout/);
  });

  it('asks with only the manifest caseFields, and fails an answer that does not match the schema', async () => {
    const asked: ContextParams[] = [];
    const offered = { context: { version: 1 as const, caseTypes: ['refund'] } };
    const testCase = { id: 'c1', type: 'refund', typeVersion: 1, status: 'open', priority: 'normal', queue: null, fields: { payment_intent: 'pi_1', customer_email: 'a@b.example' } };
    expect(await checkContext(undefined, manifest, testCase, async () => answer)).toBe('not offered');
    expect(await checkContext(offered, manifest, testCase, async (p) => (asked.push(p), answer))).toBe('context v1: 3 fact(s) for a refund case');
    expect(asked).toEqual([{ caseId: 'c1', caseType: 'refund', fields: { payment_intent: 'pi_1' } }]);
    await expect(checkContext(offered, manifest, testCase, async () => ({ facts: [{ label: 'x', value: 1 }], fetchedAt: answer.fetchedAt }))).rejects.toThrow(/case.context result does not match/);
    await expect(checkContext(offered, manifest, testCase, async () => ({ facts: [], fetchedAt: '2025-13-45T99:99:99Z' }))).rejects.toThrow(/not a time/);
  });
});
