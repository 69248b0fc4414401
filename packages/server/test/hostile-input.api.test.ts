import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../src/audit/verify-store.js';
import { bearer, DB_KINDS, PASSWORD, refundBody, startTestLatch, type TestLatch } from './harness.js';

/** Row counts of every table a refused request might half-write. */
async function counts(t: TestLatch): Promise<string> {
  const result = await t.ctx.database.db.execute(
    sql`select (select count(*) from cases) || '/' || (select count(*) from events) || '/' || (select count(*) from notes) || '/' || (select count(*) from api_tokens) || '/' || (select count(*) from delegations) || '/' || (select count(*) from attachments) as c`,
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: { c: string }[] }).rows) as { c: string }[];
  return rows[0]!.c;
}

const NUL = 'a\u0000b';
const LONE_HIGH = 'a\ud800b';
const LONE_LOW = '\udc00';
const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe.each(DB_KINDS)('hostile input on %s: a 400 with a stable code, never a 500', (kind) => {
  let t: TestLatch;
  let caseId: string;
  let actionId: string;
  beforeAll(async () => {
    t = await startTestLatch(kind);
    caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id;
    const input = { payment_intent: 'pi_1', amount_minor: 75_000, currency: 'usd', reason: 'duplicate' };
    actionId = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input } })).json().id;
  });
  afterAll(async () => t?.close());

  const send = (method: string, url: string, payload: string | undefined, headers: Record<string, string> = bearer(t.users.admin)) =>
    t.app.inject({ method: method as 'POST', url, headers: { 'content-type': 'application/json', ...headers }, ...(payload === undefined ? {} : { payload }) });

  const body = (value: unknown) => JSON.stringify(value);
  const strings: [string, string][] = [
    ['NUL', NUL],
    ['a lone high surrogate', LONE_HIGH],
    ['a lone low surrogate', LONE_LOW],
  ];
  const writes = (bad: string): { name: string; method: string; url: () => string; payload: string; path: string; anonymous?: boolean }[] => [
    { name: 'case title', method: 'POST', url: () => '/api/v1/cases', payload: body(refundBody({ title: bad })), path: '/title' },
    { name: 'case field', method: 'POST', url: () => '/api/v1/cases', payload: body(refundBody({ fields: { ...refundBody().fields, order_id: bad } })), path: '/fields/order_id' },
    { name: 'requester name', method: 'POST', url: () => '/api/v1/cases', payload: body(refundBody({ requester: { email: 'x@customer.example', name: bad } })), path: '/requester/name' },
    { name: 'object key', method: 'POST', url: () => '/api/v1/cases', payload: body(refundBody({ fields: { [bad]: 1 } })), path: '/fields/?' },
    { name: 'case patch', method: 'PATCH', url: () => `/api/v1/cases/${caseId}`, payload: body({ version: 1, reason: bad }), path: '/reason' },
    { name: 'note body', method: 'POST', url: () => `/api/v1/cases/${caseId}/notes`, payload: body({ body: bad }), path: '/body' },
    { name: 'user name', method: 'POST', url: () => '/api/v1/users', payload: body({ email: 'n@test.example', name: bad, roles: ['operator'] }), path: '/name' },
    { name: 'token name', method: 'POST', url: () => '/api/v1/tokens', payload: body({ name: bad, scopes: ['case:read'] }), path: '/name' },
    { name: 'action input', method: 'PATCH', url: () => `/api/v1/actions/${actionId}`, payload: body({ input: { reason: bad } }), path: '/input/reason' },
    { name: 'erasure subject', method: 'POST', url: () => '/api/v1/erasures', payload: body({ subject: bad }), path: '/subject' },
    { name: 'login email', method: 'POST', url: () => '/api/v1/auth/login', payload: body({ email: `op${bad}@test.example`, password: PASSWORD }), path: '/email', anonymous: true },
    { name: 'array item', method: 'POST', url: () => '/api/v1/tokens', payload: body({ name: 'n', scopes: ['case:read', bad] }), path: '/scopes/1' },
  ];

  describe.each(strings)('%s in a JSON body', (_what, bad) => {
    it.each(writes(bad).map((w) => [w.name, w] as const))('%s → 400 VALIDATION_FAILED naming the field, nothing written', async (_name, w) => {
      const before = await counts(t);
      const res = await send(w.method, w.url(), w.payload, w.anonymous ? {} : bearer(t.users.admin));
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { context: 'body', errors: [{ path: w.path }] } });
      expect(await counts(t)).toBe(before);
    });
  });

  it('refuses JSON nested 20,000 deep (and 65 deep) before parsing it; 64 deep is parsed', async () => {
    for (const payload of [`{"type":"refund","title":"t","fields":{"a":${deep(20_000)}}}`, deep(20_000), `{"fields":${deep(64)}}`]) {
      const res = await send('POST', '/api/v1/cases', payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { context: 'body', errors: [{ path: '/' }] } });
      expect(res.json().error.message).toContain('64');
    }
    const ok = await send('POST', '/api/v1/cases', `{"fields":${deep(63)}}`);
    expect(ok.statusCode).toBe(400);
    expect(ok.json().error.message).not.toContain('64 deep'); // reached schema validation
    // Brackets inside strings are text, not nesting.
    const note = await send('POST', `/api/v1/cases/${caseId}/notes`, body({ body: `${deep(5000)} \\" [[[` }));
    expect(note.statusCode).toBe(201);
  });

  it('still refuses prototype poisoning, malformed and empty JSON as before', async () => {
    expect((await send('POST', '/api/v1/cases', '{"__proto__":{"x":1}}')).json().error.code).toBe('MALFORMED_JSON');
    expect((await send('POST', '/api/v1/cases', '{"type": ')).json().error.code).toBe('MALFORMED_JSON');
    expect((await send('POST', '/api/v1/cases', '')).json().error.code).toBe('MALFORMED_JSON');
  });

  it.each([
    ['a leap second', '9999-12-31T23:59:60Z'],
    ['a real leap second', '2016-12-31T23:59:60Z'],
    ['year 0', '0000-01-01T00:00:00Z'],
    ['year 10000 once in UTC', '9999-12-31T23:00:00-05:00'],
    ['year 0 once in UTC', '0001-01-01T00:00:00+01:00'],
  ])('refuses %s in every date-time input (%s)', async (_what, when) => {
    const before = await counts(t);
    const token = await send('POST', '/api/v1/tokens', body({ name: 'n', scopes: ['case:read'], expiresAt: when }));
    expect(token.statusCode, token.body).toBe(400);
    expect(token.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [{ path: '/expiresAt' }] } });
    const delegation = await send('POST', '/api/v1/delegations', body({ toUserId: t.users.approver2.id, endsAt: when }), bearer(t.users.approver));
    expect(delegation.statusCode, delegation.body).toBe(400);
    expect(delegation.json().error.code).toBe('VALIDATION_FAILED');
    expect(await counts(t)).toBe(before);
  });

  it('accepts the extremes a Date and the database hold', async () => {
    const res = await send('POST', '/api/v1/tokens', body({ name: 'far', scopes: ['case:read'], expiresAt: '9999-12-31T23:59:59.999Z' }));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().expiresAt).toBe('9999-12-31T23:59:59.999Z');
  });

  it('bounds integers that reach integer columns', async () => {
    const timeline = (after: string) => t.app.inject({ url: `/api/v1/cases/${caseId}/timeline?after=${after}`, headers: bearer(t.users.admin) });
    for (const after of ['9999999999', '2147483648', '1e3', '-1']) {
      const res = await timeline(after);
      expect(res.statusCode, after).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect((await timeline('999999999')).json().items).toEqual([]);

    for (const version of [2 ** 31, 1e20, 2 ** 53]) {
      const patch = await send('PATCH', `/api/v1/cases/${caseId}`, body({ version, priority: 'high' }));
      expect(patch.statusCode, patch.body).toBe(400);
      expect(patch.json().error.code).toBe('VALIDATION_FAILED');
      const edit = await send('PATCH', `/api/v1/actions/${actionId}`, body({ version, input: { payment_intent: 'pi_1', amount_minor: 1, currency: 'usd', reason: 'x' } }), bearer(t.users.operator));
      expect(edit.statusCode, edit.body).toBe(400);
    }
    const ifMatch = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${caseId}`, headers: { ...bearer(t.users.admin), 'if-match': '"99999999999"' }, payload: { priority: 'high' } });
    expect(ifMatch.json().error.code).toBe('VALIDATION_FAILED');

    for (const rank of [2 ** 31, 40_000, -40_000, 1e300]) {
      const cursor = Buffer.from(JSON.stringify([rank, caseId])).toString('base64url');
      const res = await t.app.inject({ url: `/api/v1/cases?sort=priority&cursor=${cursor}`, headers: bearer(t.users.admin) });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('INVALID_CURSOR');
    }
  });

  // Percent-encoded invalid UTF-8 (%ED%A0%80, a surrogate's bytes) is not decoded by the query parser:
  // it stays literal text, so only NUL can arrive this way.
  it('refuses NUL in the query string and the path, before it reaches SQL', async () => {
    for (const url of ['/api/v1/cases?q=a%00b', '/api/v1/cases?q=%00', `/api/v1/cases/${caseId}/attachments?filename=a%00.txt`]) {
      const res = await t.app.inject({ method: url.includes('attachments') ? 'POST' : 'GET', url, headers: { ...bearer(t.users.admin), 'content-type': 'text/plain' }, payload: url.includes('attachments') ? 'x' : undefined });
      expect(res.statusCode, `${url} ${res.body}`).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { context: 'querystring' } });
    }
    const path = await t.app.inject({ url: '/api/v1/case-types/re%00fund', headers: bearer(t.users.admin) });
    expect(path.statusCode, path.body).toBe(400);
    expect(path.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { context: 'params', errors: [{ path: '/key' }] } });
    // A path the router cannot decode at all still answers in the standard shape.
    const undecodable = await t.app.inject({ url: '/api/v1/case-types/%ED%A0%80', headers: bearer(t.users.admin) });
    expect(undecodable.statusCode).toBe(400);
    expect(undecodable.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('refuses the same text in a header that reaches SQL (an attachment’s Content-Type)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${caseId}/attachments?filename=a.txt`,
      headers: { ...bearer(t.users.admin), 'content-type': `text/plain; x=${LONE_HIGH}` },
      payload: 'x',
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { context: 'headers', errors: [{ path: '/content-type' }] } });
  });

  it('leaves every chain verifiable', async () => {
    expect((await verifyStore(t.ctx.database.db)).ok).toBe(true);
  });
});
