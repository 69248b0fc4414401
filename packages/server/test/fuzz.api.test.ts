import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../src/audit/verify-store.js';
import { bearer, DB_KINDS, PASSWORD, refundBody, startTestLatch, type TestLatch } from './harness.js';

/** Text the database or canonical JSON cannot hold, and instants a Date cannot: each must be a 400. */
const UNSTORABLE = ['\u0000', '\ud800', '\udfff', '\udc00\ud800', 'a\u0000b'];
const BAD_INSTANTS = ['9999-12-31T23:59:60Z', '2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59-23:59', '0001-01-01T00:00:00+00:01', '2024-02-30T00:00:00Z'];
const hostileString = fc.oneof(
  fc.tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...UNSTORABLE), fc.string({ maxLength: 12 })).map(([a, bad, b]) => a + bad + b),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(...BAD_INSTANTS),
);
/** Integers beyond the int4 columns they may be aimed at (versions, sequence numbers). */
const hugeInteger = fc.oneof(fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e20, 1e308), fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }));

/** Values a client might plausibly send, valid or not: right keys with wrong values, and noise. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  hostileString,
  hugeInteger,
  fc.constantFrom('refund', 'usd', 'new', 'in_progress', 'closed', 'high', 'refunds', '', null, -1, 0, 1e308, '__proto__'),
);
const anyKey = fc.oneof(fc.string({ maxLength: 12 }), hostileString);
const fieldsArb = fc.oneof(
  fc.record({ order_id: anyValue, amount_minor: anyValue, currency: anyValue }, { requiredKeys: [] }),
  fc.dictionary(anyKey, anyValue, { maxKeys: 4 }),
  anyValue,
);
const caseBody = fc.oneof(
  fc.record(
    { type: anyValue, title: anyValue, description: anyValue, priority: anyValue, queue: anyValue, assigneeId: anyValue, requester: anyValue, fields: fieldsArb },
    { requiredKeys: [] },
  ),
  fc.constant(refundBody()).chain((valid) => fc.record({ key: fc.constantFrom('title', 'description'), value: hostileString }).map(({ key, value }) => ({ ...valid, [key]: value }))),
  fc.jsonValue({ maxDepth: 3 }),
);
const patchBody = fc.record(
  { version: fc.oneof(anyValue, hugeInteger), title: anyValue, status: anyValue, priority: anyValue, fields: fieldsArb, assigneeId: anyValue, reason: anyValue, nope: anyValue },
  { requiredKeys: [] },
);

/** How the body is sent: as JSON, cut short, or buried under more nesting than the parser allows. */
const encoding = fc.oneof(
  fc.constant({ kind: 'json' as const, depth: 0 }),
  fc.constant({ kind: 'truncated' as const, depth: 0 }),
  fc.record({ kind: fc.constant('deep' as const), depth: fc.oneof(fc.integer({ min: 60, max: 200 }), fc.constantFrom(20_000)) }),
);
function encode(body: unknown, how: { kind: 'json' | 'truncated' | 'deep'; depth: number }): string {
  const json = JSON.stringify(body) ?? 'null';
  if (how.kind === 'truncated') return json.slice(0, -1);
  if (how.kind === 'deep') return `{"fields":${'['.repeat(how.depth)}${json}${']'.repeat(how.depth)}}`;
  return json;
}

/** Query values, already percent-encoded: NUL, a surrogate's bytes, numbers past int4, forged cursors. */
const cursorOf = (position: unknown) => Buffer.from(JSON.stringify(position)).toString('base64url');
const queryValue = fc.oneof(
  fc.constantFrom('%00', 'a%00b', '%ED%A0%80', '9999999999', '2147483648', '-1', '1e3', '0', '1', '999999999', '%2e%2e', ''),
  hugeInteger.map(String),
  fc.tuple(hugeInteger, fc.uuid()).map(([rank, id]) => cursorOf([rank, id])),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

async function counts(t: TestLatch): Promise<string> {
  const result = await t.ctx.database.db.execute(
    sql`select (select count(*) from cases) || '/' || (select count(*) from events) || '/' || (select count(*) from notes) || '/' || (select count(*) from case_links) || '/' || (select count(*) from users) || '/' || (select count(*) from api_tokens) || '/' || (select count(*) from delegations) || '/' || (select count(*) from personal_data) as c`,
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: { c: string }[] }).rows) as { c: string }[];
  return rows[0]!.c;
}

describe.each(DB_KINDS)('random and hostile input at the routes (%s)', (kind) => {
  let t: TestLatch;
  let caseId: string;
  beforeAll(async () => {
    t = await startTestLatch(kind);
    caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id;
  });
  afterAll(async () => t?.close());

  const admin = () => bearer(t.users.admin);
  const routes = [
    { method: 'POST', url: () => '/api/v1/cases', body: caseBody, headers: admin },
    { method: 'PATCH', url: () => `/api/v1/cases/${caseId}`, body: patchBody, headers: admin },
    { method: 'POST', url: () => `/api/v1/cases/${caseId}/notes`, body: fc.record({ body: anyValue }, { requiredKeys: [] }), headers: admin },
    { method: 'POST', url: () => `/api/v1/cases/${caseId}/links`, body: fc.record({ caseId: anyValue, kind: anyValue }, { requiredKeys: [] }), headers: admin },
    { method: 'POST', url: () => '/api/v1/users', body: fc.record({ email: anyValue, name: anyValue, password: anyValue, roles: anyValue }, { requiredKeys: [] }), headers: admin },
    { method: 'POST', url: () => '/api/v1/tokens', body: fc.record({ name: anyValue, scopes: anyValue, expiresAt: anyValue }, { requiredKeys: [] }), headers: admin },
    {
      method: 'POST',
      url: () => '/api/v1/delegations',
      body: fc.record({ toUserId: fc.oneof(anyValue, fc.constant('')), startsAt: anyValue, endsAt: fc.oneof(anyValue, fc.constantFrom(...BAD_INSTANTS)), reason: anyValue }, { requiredKeys: [] }),
      headers: () => bearer(t.users.approver),
    },
    // Dry runs: a real erasure of the fixtures' requester would be a success, not a refusal to check.
    { method: 'POST', url: () => '/api/v1/erasures?dryRun=true', body: fc.record({ subject: anyValue, reason: anyValue }, { requiredKeys: [] }), headers: admin },
    { method: 'POST', url: () => '/api/v1/erasures', body: fc.record({ subject: hostileString, reason: anyValue }, { requiredKeys: [] }), headers: admin },
    // Anonymous: the login reads its body before anyone is known.
    { method: 'POST', url: () => '/api/v1/auth/login', body: fc.record({ email: fc.oneof(anyValue, hostileString.map((s) => `op${s}@test.example`)), password: fc.oneof(anyValue, fc.constant(PASSWORD)) }, { requiredKeys: [] }), headers: () => ({}) },
  ] as const;

  it.each(routes.map((r) => [`${r.method} ${r.url().replace('undefined', ':id')}`, r] as const))('%s never answers 5xx and never half-writes', async (_name, route) => {
    await fc.assert(
      fc.asyncProperty(route.body as fc.Arbitrary<unknown>, encoding, async (body, how) => {
        const before = await counts(t);
        const res = await t.app.inject({
          method: route.method,
          url: route.url(),
          headers: { ...route.headers(), 'content-type': 'application/json', 'if-match': '"1"' },
          payload: encode(body, how),
        });
        expect(res.statusCode, res.body).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expect(typeof res.json().error.code).toBe('string');
          expect(await counts(t)).toBe(before);
        }
        // Nested past the limit, whatever the body: refused before parsing, by every route, the anonymous login too.
        if (how.kind === 'deep' && how.depth >= 64) expect(res.statusCode).toBe(400);
      }),
      { numRuns: 60 },
    );
  });

  const reads = [
    (v: string) => `/api/v1/cases/${caseId}/timeline?after=${v}`,
    (v: string) => `/api/v1/cases/${caseId}/timeline?limit=${v}`,
    (v: string) => `/api/v1/cases?limit=${v}`,
    (v: string) => `/api/v1/cases?q=${v}`,
    (v: string) => `/api/v1/cases?sort=priority&cursor=${v}`,
    (v: string) => `/api/v1/cases?cursor=${v}`,
    (v: string) => `/api/v1/cases?assignee=${v}`,
    (v: string) => `/api/v1/log/checkpoints/${v}`,
    (v: string) => `/api/v1/log/proofs/consistency?from=1&to=${v}`,
    (v: string) => `/api/v1/case-types/refund/versions/${v}`,
    (v: string) => `/api/v1/cases/${v}`,
  ];
  it('query strings and path parameters never answer 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...reads), queryValue, async (url, value) => {
        const res = await t.app.inject({ method: 'GET', url: url(value), headers: admin() });
        expect(res.statusCode, `${url(value)} ${res.body}`).toBeLessThan(500);
        if (res.statusCode >= 400) expect(typeof res.json().error.code).toBe('string');
      }),
      { numRuns: 150 },
    );
  });

  it('leaves every chain verifiable', async () => {
    expect((await verifyStore(t.ctx.database.db)).ok).toBe(true);
  });
});
