import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countCases } from '../src/cases/list-cases.js';
import { savedViews } from '../src/db/schema.js';
import { bearer, DB_KINDS, refundBody, startTestLatch, type TestLatch, type TestUser } from './harness.js';

describe.each(DB_KINDS)('queue counts and saved views on %s', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind);
    const open = (body: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody(body) });
    for (const priority of ['high', 'high', 'high', 'low', 'normal']) expect((await open({ priority })).statusCode).toBe(201);
    // The one refunds case the outsider (another team) may see: it is assigned to them.
    expect((await open({ priority: 'high', title: 'Chargeback dispute', assigneeId: t.users.outsider.id })).statusCode).toBe(201);
  });
  afterAll(async () => t?.close());

  const get = (url: string, as: TestUser) => t.app.inject({ method: 'GET', url, headers: bearer(as) });

  it('counts the cases the filters match, with the list’s own filters', async () => {
    const cases: [string, number][] = [
      ['', 6],
      ['?priority=high', 4],
      ['?priority=high,low', 5],
      ['?priority=urgent', 0],
      [`?assignee=${t.users.outsider.id}`, 1],
      ['?assignee=none&priority=high', 3],
      ['?q=chargeback', 1],
      ['?status=new&sort=priority', 6],
    ];
    for (const [query, expected] of cases) {
      const res = await get(`/api/v1/cases/count${query}`, t.users.operator);
      expect([query, res.statusCode, res.json()]).toEqual([query, 200, { count: expected, more: false }]);
      // The same filters on the list give the same number (all fit on one page here).
      const list = await get(`/api/v1/cases${query}`, t.users.operator);
      expect([query, list.json().items.length]).toEqual([query, expected]);
    }
  });

  it('an outsider’s count leaves out the cases they can’t see', async () => {
    expect((await get('/api/v1/cases/count', t.users.outsider)).json()).toEqual({ count: 1, more: false });
    expect((await get('/api/v1/cases/count?priority=low', t.users.outsider)).json()).toEqual({ count: 0, more: false });
    expect((await get('/api/v1/cases/count', t.users.requester)).json()).toEqual({ count: 0, more: false });
  });

  it('stops counting at the cap and says there are more', async () => {
    const everything = { all: true, userId: t.users.admin.id, queues: [] } as const;
    expect(await countCases(t.ctx.database.db, everything, {}, 3)).toEqual({ count: 3, more: true });
    expect(await countCases(t.ctx.database.db, everything, {}, 6)).toEqual({ count: 6, more: false });
    expect(await countCases(t.ctx.database.db, everything, { priority: ['high'] }, 4)).toEqual({ count: 4, more: false });
  });

  it('refuses a filter the list would refuse', async () => {
    for (const query of ['?priority=asap', '?limit=5', '?assignee=someone', '?unknown=1']) {
      const res = await get(`/api/v1/cases/count${query}`, t.users.operator);
      expect([query, res.statusCode, res.json().error.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
  });

  const save = (as: TestUser, payload: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/views', headers: bearer(as), payload: payload as object });
  const views = async (as: TestUser) => (await get('/api/v1/views', as)).json().items as { id: string; name: string; query: unknown }[];

  it('saves views per user: each lists only their own, and deletes only their own', async () => {
    const mine = await save(t.users.operator, { name: 'My urgent refunds', query: { assignee: 'me', priority: 'urgent,high', sort: 'priority' } });
    expect(mine.statusCode).toBe(201);
    expect(mine.json()).toMatchObject({ name: 'My urgent refunds', query: { assignee: 'me', priority: 'urgent,high', sort: 'priority' } });
    expect(mine.headers.location).toBe(`/api/v1/views/${mine.json().id}`);
    const theirs = await save(t.users.approver, { name: 'Everything', query: {} });
    expect(theirs.statusCode).toBe(201);

    expect((await views(t.users.operator)).map((v) => v.name)).toEqual(['My urgent refunds']);
    expect((await views(t.users.approver)).map((v) => v.name)).toEqual(['Everything']);

    const foreign = await t.app.inject({ method: 'DELETE', url: `/api/v1/views/${theirs.json().id}`, headers: bearer(t.users.operator) });
    expect([foreign.statusCode, foreign.json().error.code]).toEqual([404, 'NOT_FOUND']);
    expect(await views(t.users.approver)).toHaveLength(1);

    const own = await t.app.inject({ method: 'DELETE', url: `/api/v1/views/${mine.json().id}`, headers: bearer(t.users.operator) });
    expect(own.statusCode).toBe(204);
    expect(await views(t.users.operator)).toEqual([]);
    const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/views/${mine.json().id}`, headers: bearer(t.users.operator) });
    expect(again.statusCode).toBe(404);
  });

  it('a save retried with the same Idempotency-Key makes one view', async () => {
    const send = () =>
      t.app.inject({ method: 'POST', url: '/api/v1/views', headers: { ...bearer(t.users.approver), 'idempotency-key': 'save-once' }, payload: { name: 'Once', query: { status: 'new' } } });
    const first = await send();
    const again = await send();
    expect([first.statusCode, again.statusCode, again.headers['idempotent-replayed']]).toEqual([201, 201, 'true']);
    expect(again.json().id).toBe(first.json().id);
    expect((await views(t.users.approver)).filter((v) => v.name === 'Once')).toHaveLength(1);
  });

  it('refuses a view whose query the list route would refuse, or a bad name', async () => {
    const bad: [string, unknown][] = [
      ['unknown filter', { name: 'x', query: { colour: 'red' } }],
      ['bad priority', { name: 'x', query: { priority: 'asap' } }],
      ['bad sort', { name: 'x', query: { sort: 'title' } }],
      ['paging is not a filter', { name: 'x', query: { cursor: 'abc' } }],
      ['a number where the URL has text', { name: 'x', query: { status: 1 } }],
      ['no query', { name: 'x' }],
      ['empty name', { name: '', query: {} }],
      ['blank name', { name: '   ', query: {} }],
      ['name over 80 characters', { name: 'n'.repeat(81), query: {} }],
    ];
    for (const [why, payload] of bad) {
      const res = await save(t.users.operator, payload);
      expect([why, res.statusCode, res.json().error.code]).toEqual([why, 400, 'VALIDATION_FAILED']);
    }
    expect(await views(t.users.operator)).toEqual([]);
    expect((await save(t.users.operator, { name: 'n'.repeat(80), query: {} })).statusCode).toBe(201);
  });

  it('keeps at most 50 views per user: the 51st is 409 TOO_MANY_VIEWS, someone else may still save', async () => {
    const who = t.users.admin;
    for (let i = 1; i <= 50; i++) expect((await save(who, { name: `View ${i}`, query: { q: `term ${i}` } })).statusCode).toBe(201);
    const over = await save(who, { name: 'One too many', query: {} });
    expect([over.statusCode, over.json().error.code]).toEqual([409, 'TOO_MANY_VIEWS']);
    expect(await views(who)).toHaveLength(50);
    expect((await save(t.users.approver2, { name: 'Still fine', query: {} })).statusCode).toBe(201);
  });

  it('records no timeline event for a view (it changes nothing governed)', async () => {
    await t.ctx.log.sequencer.drain();
    const size = (body: string) => Number(body.split('\n')[1]);
    const start = size((await t.app.inject({ method: 'GET', url: '/api/v1/log/checkpoint', headers: bearer(t.users.operator) })).body);
    expect((await save(t.users.approver2, { name: 'Another', query: { type: 'refund' } })).statusCode).toBe(201);
    await t.ctx.log.sequencer.drain();
    const end = size((await t.app.inject({ method: 'GET', url: '/api/v1/log/checkpoint', headers: bearer(t.users.operator) })).body);
    expect(end).toBe(start);
  });

  it('erasing a user removes their saved views (a name or a search can be personal data), and only theirs', async () => {
    const who = t.users.approver2;
    expect((await save(who, { name: 'Jane Doe’s refunds', query: { q: 'jane@customer.example' } })).statusCode).toBe(201);
    const kept = await save(t.users.approver, { name: 'Kept', query: {} });
    expect(kept.statusCode).toBe(201);
    const erased = await t.app.inject({ method: 'POST', url: '/api/v1/erasures', headers: bearer(t.users.admin), payload: { subject: who.email } });
    expect([erased.statusCode, erased.json().userId]).toEqual([200, who.id]);
    expect(await t.ctx.database.db.select().from(savedViews).where(eq(savedViews.userId, who.id))).toEqual([]);
    expect((await views(t.users.approver)).map((v) => v.id)).toContain(kept.json().id);
  });
});
