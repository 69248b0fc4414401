import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DB_KINDS, refundBody, startTestLatch, type TestLatch } from './harness.js';
import { listen, personAt, runCli } from './cli-support.js';

const refund = (amount_minor: number, reason = 'duplicate', payment_intent = 'pi_replay') => ({ payment_intent, amount_minor, currency: 'usd', reason });
/** A flat 350.00 threshold that ignores history, as a new version of refund_threshold. */
const FLAT_350 = `key: refund_threshold
version: 5
steps:
  - name: Reviewer above 350.00
    when: input.amount_minor > 35000
    role: refund_approver
    expiresIn: PT48H
`;
const TABLES = ['events', 'action_requests', 'cases', 'approval_decisions', 'idempotency_keys'];

describe.each(DB_KINDS)('replaying a policy change on %s', (kind) => {
  let t: TestLatch;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestLatch(kind);
    const propose = async (name: string, amount: number, caseId?: string, reason?: string) => {
      const target = caseId ?? ((await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id as string);
      // Each case refunds a payment of its own (the refund policy also counts earlier refunds of the same payment).
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${target}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input: refund(amount, reason, `pi_${target.replace(/[^A-Za-z0-9]/g, '')}`) } });
      expect(res.statusCode, res.body).toBe(201);
      ids[name] = res.json().id as string;
      return target;
    };
    await propose('approved400', 40_000); // v3: approved; flat 350: 1 approval (more)
    await propose('awaiting600', 60_000); // v3: 1 approval; flat 350: 1 (same)
    const split = await propose('first300', 30_000); // v3: approved; flat: approved (same)
    await propose('second300', 30_000, split, 'fraudulent'); // v3: 1 (600.00 on the case); flat: 0 (fewer)
  });
  afterAll(async () => t?.close());

  const replay = (body: Record<string, unknown>, who = t.users.admin) => t.app.inject({ method: 'POST', url: '/api/v1/policies:replay', headers: bearer(who), payload: body });
  const counts = async () => {
    const result: Record<string, number> = {};
    for (const table of TABLES) {
      const rows = (await t.ctx.database.db.execute(sql`select count(*)::int as n from ${sql.identifier(table)}`)) as unknown as { rows: { n: number }[] };
      result[table] = Number(rows.rows[0]!.n);
    }
    return result;
  };

  it('reports which actions would need more or fewer approvals, and writes nothing', async () => {
    const before = await counts();
    const res = await replay({ caseType: 'refund', policy: FLAT_350, days: 30 });
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ caseType: 'refund', policy: { key: 'refund_threshold', version: 5 }, days: 30, totals: { actions: 4, more: 1, fewer: 1, same: 2, unknown: 0 } });
    const byId = new Map((report.actions as { actionId: string; change: string; old: { approvals: number }; new: { approvals: number } }[]).map((a) => [a.actionId, a]));
    expect(byId.get(ids.approved400!)).toMatchObject({ change: 'more', old: { approvals: 0, policyVersion: 4 }, new: { approvals: 1, steps: ['Reviewer above 350.00'] }, historyRecorded: true });
    expect(byId.get(ids.awaiting600!)).toMatchObject({ change: 'same', old: { approvals: 1 }, new: { approvals: 1 } });
    expect(byId.get(ids.first300!)).toMatchObject({ change: 'same', old: { approvals: 0 }, new: { approvals: 0 } });
    expect(byId.get(ids.second300!)).toMatchObject({ change: 'fewer', old: { approvals: 1 }, new: { approvals: 0 } });
    expect(await counts()).toEqual(before);
  });

  it('replays a policy reading history with the history each action was proposed with', async () => {
    const strict = { key: 'refund_threshold', version: 5, steps: [{ name: 'Two reviewers past 500.00 on a case', when: 'input.amount_minor + history.sameCase.sum > 50000', role: 'refund_approver', count: 2 }] };
    const report = (await replay({ caseType: 'refund', policy: strict, days: 1 })).json();
    expect(report.totals).toEqual({ actions: 4, more: 2, fewer: 0, same: 2, unknown: 0 });
    const second = (report.actions as { actionId: string; new: { approvals: number } }[]).find((a) => a.actionId === ids.second300);
    expect(second?.new.approvals).toBe(2);
  });

  it('refuses a policy that does not load, a case type or policy key that does not exist, and callers who may not read every case', async () => {
    const broken = await replay({ caseType: 'refund', policy: FLAT_350.replace('input.amount_minor > 35000', 'input.amount_minor >'), days: 30 });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [expect.stringMatching(/Invalid condition/)] } });
    expect((await replay({ caseType: 'refund', policy: 'steps: [', days: 30 })).json().error.code).toBe('VALIDATION_FAILED');
    expect((await replay({ caseType: 'refund', policy: { key: 'refund_threshold', version: 4 }, days: 30 })).json().error.code).toBe('VALIDATION_FAILED');
    const unknownType = await replay({ caseType: 'payroll', policy: FLAT_350, days: 30 });
    expect(unknownType.statusCode).toBe(400);
    const wrongKey = await replay({ caseType: 'refund', policy: FLAT_350.replace('key: refund_threshold', 'key: refund_limit'), days: 30 });
    expect(wrongKey.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { policies: ['refund_threshold'] } });
    expect((await replay({ caseType: 'refund', policy: FLAT_350, days: 0 })).statusCode).toBe(400);
    expect((await replay({ caseType: 'refund', policy: FLAT_350, days: 30 }, t.users.operator)).statusCode).toBe(403);
  });

  it('replays from the command line through the API', async () => {
    const url = await listen(t);
    const file = join(mkdtempSync(join(tmpdir(), 'latch-replay-')), 'flat.yaml');
    writeFileSync(file, FLAT_350);
    const env = { ...personAt(url), LATCH_TOKEN: t.users.admin.token };
    const json = await runCli(['policy', 'replay', '--type', 'refund', '--file', file, '--days', '30', '--json'], env);
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).totals).toEqual({ actions: 4, more: 1, fewer: 1, same: 2, unknown: 0 });
    const text = await runCli(['policy', 'replay', '--type', 'refund', '--file', file], env);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(`more    ${ids.approved400}`);
    expect(text.stdout).toContain(`fewer   ${ids.second300}`);
    expect(text.stdout).toContain('more: 1, fewer: 1, same: 2, unknown: 0');
    const refused = await runCli(['policy', 'replay', '--type', 'refund', '--file', file], { ...personAt(url), LATCH_TOKEN: t.users.operator.token });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^latch: 403 /);
    const missing = await runCli(['policy', 'replay', '--type', 'refund', '--file', join(tmpdir(), 'no-such-policy.yaml')], env);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('cannot read');
  });
});
