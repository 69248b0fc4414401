import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../src/audit/verify-store.js';
import { bearer, refundBody, startTestLatch, type TestLatch } from './harness.js';

/** Values a client might plausibly send, valid or not: right keys with wrong values, and noise. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom('refund', 'usd', 'new', 'in_progress', 'closed', 'high', 'refunds', '', null, -1, 0, 1e308, '__proto__'),
);
const fieldsArb = fc.oneof(
  fc.record({ order_id: anyValue, amount_minor: anyValue, currency: anyValue }, { requiredKeys: [] }),
  fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 4 }),
  anyValue,
);
const caseBody = fc.oneof(
  fc.record(
    { type: anyValue, title: anyValue, description: anyValue, priority: anyValue, queue: anyValue, assigneeId: anyValue, requester: anyValue, fields: fieldsArb },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);
const patchBody = fc.record(
  { version: anyValue, title: anyValue, status: anyValue, priority: anyValue, fields: fieldsArb, assigneeId: anyValue, reason: anyValue, nope: anyValue },
  { requiredKeys: [] },
);

async function counts(t: TestLatch): Promise<string> {
  const result = await t.ctx.database.db.execute(
    sql`select (select count(*) from cases) || '/' || (select count(*) from events) || '/' || (select count(*) from notes) || '/' || (select count(*) from case_links) || '/' || (select count(*) from users) as c`,
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: { c: string }[] }).rows) as { c: string }[];
  return rows[0]!.c;
}

describe('random bodies at the write routes (PGlite)', () => {
  let t: TestLatch;
  let caseId: string;
  beforeAll(async () => {
    t = await startTestLatch('pglite');
    caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id;
  });
  afterAll(async () => t?.close());

  const routes = [
    { method: 'POST', url: () => '/api/v1/cases', body: caseBody },
    { method: 'PATCH', url: () => `/api/v1/cases/${caseId}`, body: patchBody },
    { method: 'POST', url: () => `/api/v1/cases/${caseId}/notes`, body: fc.record({ body: anyValue }, { requiredKeys: [] }) },
    { method: 'POST', url: () => `/api/v1/cases/${caseId}/links`, body: fc.record({ caseId: anyValue, kind: anyValue }, { requiredKeys: [] }) },
    { method: 'POST', url: () => '/api/v1/users', body: fc.record({ email: anyValue, name: anyValue, password: anyValue, roles: anyValue }, { requiredKeys: [] }) },
    { method: 'POST', url: () => '/api/v1/tokens', body: fc.record({ name: anyValue, scopes: anyValue, expiresAt: anyValue }, { requiredKeys: [] }) },
  ] as const;

  it.each(routes.map((r) => [`${r.method} ${r.url()}`, r] as const))('%s never answers 5xx and never half-writes', async (_name, route) => {
    await fc.assert(
      fc.asyncProperty(route.body, fc.boolean(), async (body, raw) => {
        const before = await counts(t);
        const payload = raw ? JSON.stringify(body).slice(0, -1) : JSON.stringify(body);
        const res = await t.app.inject({
          method: route.method,
          url: route.url(),
          headers: { ...bearer(t.users.admin), 'content-type': 'application/json', 'if-match': '"1"' },
          payload,
        });
        expect(res.statusCode, res.body).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expect(typeof res.json().error.code).toBe('string');
          expect(await counts(t)).toBe(before);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('leaves every chain verifiable', async () => {
    expect((await verifyStore(t.ctx.database.db)).ok).toBe(true);
  });
});
