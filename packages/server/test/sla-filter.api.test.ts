import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DB_KINDS, refundBody, startTestLatch, type TestLatch } from './harness.js';

const HOUR = 3_600_000;

/** `?sla=overdue|at_risk` on the queue and its count: open cases only, judged by their own due time. */
describe.each(DB_KINDS)('the SLA filter (%s)', (kind) => {
  let t: TestLatch;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestLatch(kind);
    const make = async (name: string, createdHoursAgo: number, dueInHours: number | null, status = 'new') => {
      const id = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: name }) })).json().id as string;
      const now = Date.now();
      const due = dueInHours === null ? null : new Date(now + dueInHours * HOUR).toISOString();
      // Time is set in the read model directly: what the filter judges, without waiting hours.
      await t.ctx.database.db.execute(
        sql`update cases set created_at = ${new Date(now - createdHoursAgo * HOUR).toISOString()}, due_at = ${due}, status = ${status} where id = ${id}`,
      );
      ids[name] = id;
    };
    await make('overdue', 50, -2);
    await make('overdue but resolved', 50, -2, 'resolved');
    await make('at risk', 40, 5); // 40 of 45 hours gone
    await make('on time', 1, 47);
    await make('no due time', 50, null);
  });
  afterAll(() => t?.close());

  const listed = async (sla: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/cases?sla=${sla}&limit=200`, headers: bearer(t.users.operator) });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().items as { id: string }[]).map((c) => c.id).sort();
  };
  const counted = async (sla: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/cases/count?sla=${sla}`, headers: bearer(t.users.operator) })).json();

  it('lists open cases past their due time as overdue, and counts the same', async () => {
    expect(await listed('overdue')).toEqual([ids.overdue]);
    expect(await counted('overdue')).toEqual({ count: 1, more: false });
  });

  it('lists open cases with less than a fifth of their time left as at risk', async () => {
    expect(await listed('at_risk')).toEqual([ids['at risk']]);
    expect(await counted('at_risk')).toEqual({ count: 1, more: false });
  });

  it('refuses an unknown SLA state with a stable code', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/cases?sla=late', headers: bearer(t.users.operator) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });
});
