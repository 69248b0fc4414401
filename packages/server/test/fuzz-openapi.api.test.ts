import { parseSignerKeys, parseTrustFile } from '@latch/core';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLog } from '../src/audit/verify-log.js';
import { verifyStore } from '../src/audit/verify-store.js';
import { resultRows } from '../src/db/database.js';
import { bearer, DB_KINDS, refundBody, sessionFor, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';

// Every write operation the server's own OpenAPI document lists, fed bodies, path and query values
// generated from its JSON schemas: valid-shaped, and mutated (wrong types, a required key missing,
// extra keys, huge strings, NUL, lone surrogates, deep nesting). Sent by an admin and an operator
// (tokens and sessions): never a 5xx, every refusal in the standard error shape without a stack
// trace, a refusal writes nothing (but the refused attempt on the record), and afterwards every
// chain and the log verify.

type Schema = { [k: string]: unknown };
type Operation = { method: string; path: string; body: Schema | undefined; params: { in: string; name: string; required?: boolean; schema: Schema }[] };

const HOSTILE_TEXT = ['\u0000', 'a\u0000b', '\ud800', '\udfff', '\udc00\ud800', '\u202e', '<script>alert(1)</script>', "'; drop table cases; --", '%00', '../../etc/passwd', '__proto__', 'constructor'];
const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_TEXT),
  fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...HOSTILE_TEXT), fc.string({ maxLength: 8 })).map(([a, bad, b]) => a + bad + b),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.integer({ min: 1, max: 300_000 }).map((n) => 'x'.repeat(n)),
);
const hostileNumber = fc.constantFrom(-1, 0, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, -1e308, 0.5, Number.MAX_SAFE_INTEGER);
const deepValue = fc.integer({ min: 10, max: 120 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown);
/** A value of the wrong kind for wherever it lands. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(hostileString, hostileNumber, fc.constantFrom(null, true, false, [], {}, [null], { '': null }), fc.jsonValue({ maxDepth: 2 }), deepValue);

const types = (s: Schema): string[] => (Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : []);

/** Values valid for the schema (as far as its keywords are understood here): the shapes a client means to send. */
function valid(schema: Schema, doc: Schema): fc.Arbitrary<unknown> {
  if (typeof schema.$ref === 'string') return valid(resolve(schema.$ref, doc), doc);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (branches && types(schema).length === 0 && !schema.properties) return fc.oneof(...branches.map((b) => valid(b, doc)));
  if (branches) {
    // Branches that only add `required` to an object schema: pick one and require its keys.
    return fc.constantFrom(...branches).chain((b) => valid({ ...schema, anyOf: undefined, oneOf: undefined, required: [...((schema.required as string[]) ?? []), ...((b.required as string[]) ?? [])] }, doc));
  }
  const [type] = types(schema);
  switch (type) {
    case 'string':
      return validString(schema);
    case 'integer':
      return fc.integer({ min: Math.max((schema.minimum as number) ?? -1000, -(2 ** 31)), max: Math.min((schema.maximum as number) ?? 100_000, 2 ** 31 - 1) });
    case 'number':
      return fc.double({ min: (schema.minimum as number) ?? -1e6, max: (schema.maximum as number) ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(schema.items ? valid(schema.items as Schema, doc) : fc.jsonValue({ maxDepth: 1 }), { minLength: (schema.minItems as number) ?? 0, maxLength: Math.min((schema.maxItems as number) ?? 4, 4) });
    case 'object':
    default: {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      if (Object.keys(properties).length === 0) return fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      const required = (schema.required as string[]) ?? [];
      const record = fc.record(Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, valid(s, doc)])), { requiredKeys: required.filter((k) => k in properties) });
      const min = (schema.minProperties as number) ?? 0;
      return min > 0 ? record.filter((o) => Object.keys(o).length >= min) : record;
    }
  }
}

function validString(schema: Schema): fc.Arbitrary<string> {
  const max = Math.min((schema.maxLength as number) ?? 40, 40);
  const min = (schema.minLength as number) ?? 0;
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'email') return fc.emailAddress().filter((e) => e.length <= ((schema.maxLength as number) ?? 320));
  if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= ((schema.maxLength as number) ?? Infinity));
  return fc.string({ minLength: min, maxLength: Math.max(min, max) });
}

function resolve(ref: string, doc: Schema): Schema {
  return ref.replace(/^#\//, '').split('/').reduce<Schema>((node, key) => node[key] as Schema, doc);
}

/** A valid value with one thing wrong somewhere: a value of the wrong kind, a required key gone, a key too many. */
function mutated(schema: Schema, doc: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (typeof schema.$ref === 'string') return mutated(resolve(schema.$ref, doc), doc, depth);
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const keys = Object.keys(properties);
  if (keys.length === 0 || depth > 2) return wrongValue;
  const whole = valid(schema, doc) as fc.Arbitrary<Record<string, unknown>>;
  return fc.oneof(
    fc.tuple(whole, fc.constantFrom(...keys)).chain(([o, k]) => mutated(properties[k]!, doc, depth + 1).map((v) => ({ ...o, [k]: v }))),
    fc.tuple(whole, fc.constantFrom(...keys)).map(([o, k]) => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k))),
    fc.tuple(whole, fc.oneof(fc.string({ maxLength: 12 }), hostileString), wrongValue).map(([o, k, v]) => ({ ...o, [k]: v })),
    wrongValue,
  );
}

/** Percent-encoding that keeps a lone surrogate (as the three bytes a careless client would send) instead of throwing. */
function percentEncode(value: string): string {
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (unit) => {
    const u = unit.charCodeAt(0);
    return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
  }).split(/(%[0-9A-F]{2})/).map((part, i) => (i % 2 ? part : encodeURIComponent(part))).join('');
}

/** How the body travels: JSON, JSON cut short, the wrong media type, or no body at all. */
const encoding = fc.constantFrom('json', 'json', 'json', 'truncated', 'text', 'none');
function send(body: unknown, how: string): { payload?: string; contentType?: string } {
  const json = JSON.stringify(body) ?? 'null';
  if (how === 'none') return {};
  if (how === 'truncated') return { payload: json.slice(0, -1), contentType: 'application/json' };
  if (how === 'text') return { payload: json, contentType: 'text/plain' };
  return { payload: json, contentType: 'application/json' };
}

/**
 * Rows of the state tables, and events other than refused attempts (which a refusal records on
 * purpose). personal_data is left out: its rows are the commitments of events (a refused attempt's
 * too), written with them.
 */
const STATE_TABLES = ['cases', 'case_links', 'notes', 'attachments', 'action_requests', 'approval_decisions', 'delegations', 'saved_views', 'users', 'api_tokens', 'notification_preferences', 'intake_quarantine', 'case_triage'];
async function state(t: TestLatch): Promise<string> {
  const counts = STATE_TABLES.map((table) => `(select count(*) from ${table})`).join(` || '/' || `);
  const result = await t.ctx.database.db.execute(
    sql.raw(`select ${counts} || '/' || (select count(*) from events where kind <> 'attempt.blocked') || '/' || (select coalesce(sum(version), 0) from cases) || '/' || (select coalesce(sum(version), 0) from action_requests) as s`),
  );
  return resultRows<{ s: string }>(result)[0]!.s;
}

const STACK_TRACE = /\n\s+at |\.(?:ts|js|mjs):\d+|node_modules|Error: .*\n/;

describe.each(DB_KINDS)('every write route of the OpenAPI document, fuzzed from its schemas (%s)', (kind) => {
  let t: TestLatch;
  let doc: Schema;
  let operations: Operation[];
  const ids: Record<string, string> = {};
  const principals: Record<string, () => Promise<Record<string, string>>> = {};

  beforeAll(async () => {
    t = await startTestLatch(kind);
    doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    operations = Object.entries(doc.paths as Record<string, Record<string, Schema>>).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method]) => ['post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          body: (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content?.['application/json']?.schema,
          params: (op.parameters ?? []) as Operation['params'],
        })),
    );
    const operator = bearer(t.users.operator);
    const post = async (url: string, payload: unknown, headers = operator) => (await t.app.inject({ method: 'POST', url, headers, payload: payload as object })).json() as { id: string };
    ids.case = (await post('/api/v1/cases', refundBody())).id;
    ids.otherCase = (await post('/api/v1/cases', refundBody({ title: 'Other' }))).id;
    ids.action = (await post(`/api/v1/cases/${ids.case}/actions`, { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_123', amount_minor: 4999, currency: 'usd', reason: 'duplicate' } })).id;
    ids.user = (await post('/api/v1/users', { email: 'victim@test.example', name: 'Victim', roles: ['operator'], teams: ['refunds'] }, bearer(t.users.admin))).id;
    ids.view = (await post('/api/v1/views', { name: 'Mine', query: { status: 'new' } })).id;
    // Sessions are refreshed after a logout (which a fuzzed request may well be).
    const sessions: Record<string, Record<string, string> | undefined> = {};
    const session = (who: 'admin' | 'operator') => async () => (sessions[who] ??= await sessionFor(t.app, t.users[who]));
    principals['admin token'] = async () => bearer(t.users.admin);
    principals['operator token'] = async () => operator;
    principals['admin session'] = session('admin');
    principals['operator session'] = session('operator');
    principals.forget = async () => ((sessions.admin = undefined), (sessions.operator = undefined), {});
  }, 180_000);
  afterAll(async () => t?.close());

  it('the document lists the write routes this test is meant to cover', () => {
    const listed = operations.map((o) => `${o.method} ${o.path}`);
    expect(listed.length).toBeGreaterThanOrEqual(30);
    for (const route of ['POST /api/v1/cases', 'PATCH /api/v1/cases/{id}', 'POST /api/v1/actions/{id}/decisions', 'POST /api/v1/cases/{id}/attachments', 'DELETE /api/v1/tokens/{id}']) expect(listed).toContain(route);
  });

  it('no 5xx, no stack trace, no partial write, whoever sends whatever', async () => {
    const existing = () => fc.constantFrom(ids.case!, ids.otherCase!, ids.action!, ids.user!, ids.view!);
    const paramValue = (p: Operation['params'][number]) =>
      fc.oneof({ weight: 3, arbitrary: p.in === 'path' && p.schema.format === 'uuid' ? existing() : (valid(p.schema, doc) as fc.Arbitrary<string>) }, { weight: 2, arbitrary: valid(p.schema, doc).map(String) }, { weight: 1, arbitrary: hostileString });
    const runs = kind === 'pglite' ? 16 : 8;
    const failures: string[] = [];
    for (const op of operations) {
      const request = fc.record({
        who: fc.constantFrom('admin token', 'operator token', 'admin session', 'operator session'),
        params: fc.tuple(...op.params.map(paramValue)) as fc.Arbitrary<unknown[]>,
        omit: op.params.length ? fc.option(fc.constantFrom(...op.params.map((p) => p.name)), { freq: 8 }) : fc.constant(null),
        body: op.body ? fc.oneof(valid(op.body, doc), mutated(op.body, doc), mutated(op.body, doc)) : fc.oneof(fc.jsonValue({ maxDepth: 2 }), wrongValue),
        how: encoding,
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ who, params, omit, body, how }) => {
          let path = op.path;
          const query: string[] = [];
          op.params.forEach((p, i) => {
            const value = percentEncode(String(params[i]));
            if (p.in === 'path') path = path.replace(`{${p.name}}`, value);
            else if (p.name !== omit) query.push(`${p.name}=${value}`);
          });
          const url = `${path}${query.length ? `?${query.join('&')}` : ''}`;
          const { payload, contentType } = send(body, how);
          const headers = { ...(await principals[who]!()), ...(contentType ? { 'content-type': contentType } : {}) };
          const before = await state(t);
          const res = await t.app.inject({
            method: op.method,
            url,
            headers,
            ...(payload !== undefined ? { payload } : {}),
          });
          if (op.path === '/api/v1/auth/logout') await principals.forget!();
          const label = `${who} ${op.method} ${url.slice(0, 200)} ${how} ${String(payload).slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 400)}`;
          expect(res.statusCode, label).toBeLessThan(500);
          expect(res.body, label).not.toMatch(STACK_TRACE);
          if (res.statusCode >= 400) {
            const error = res.json().error;
            expect(typeof error?.code, label).toBe('string');
            expect(typeof error?.message, label).toBe('string');
            expect(await state(t), `partial write: ${label}`).toBe(before);
          }
        }),
        { numRuns: runs, endOnFailure: true },
      ).catch((error: Error) => failures.push(`${op.method} ${op.path}: ${String((error.cause as Error | undefined)?.message ?? error.message).slice(0, 1500)}`));
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  }, 300_000);

  it('leaves every chain and the log verifiable', async () => {
    const store = await verifyStore(t.ctx.database.db);
    expect(store.broken).toEqual([]);
    expect(store.ok).toBe(true);
    await t.ctx.log.sequencer.drain();
    const log = await verifyLog(t.ctx.database.db, { trusted: parseTrustFile(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey) });
    expect(log.problems).toEqual([]);
    expect(log.ok).toBe(true);
  });
});
