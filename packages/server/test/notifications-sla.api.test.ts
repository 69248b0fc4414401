import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { resultRows } from '../src/db/database.js';
import { bearer, DB_KINDS, PASSWORD, startTestLatch, TEST_CONFIG_DIR, type TestLatch, type TestUser } from './harness.js';
import { startMailRelay, type MailRelay } from './notifications-relay.js';

const drill = (key: string, resolveWithin: string, escalations = '') => `
key: ${key}
version: 1
name: ${key}
defaultQueue: refunds
defaultPriority: normal
resolveWithin: ${resolveWithin}
fields: { type: object }
statuses:
  - { key: new, name: New }
  - { key: resolved, name: Resolved, final: true }
initialStatus: new
transitions:
  - { from: new, to: [resolved] }
${escalations}`;

/** A second in, tell the assignee (or, unassigned, the queue). */
const NOTIFYING = drill('esc_notify', 'P1D', 'escalations:\n  - when: { after: PT1S }\n    do: [ { notify: assignee } ]\n');
/** A second in, move the case to the escalations queue and tell that queue and the assignee. */
const MOVING = drill('esc_move', 'P1D', 'escalations:\n  - when: { after: PT1S }\n    do: [ { reassign: { queue: escalations } }, { notify: queue }, { notify: assignee } ]\n');

const HOUR = 3_600_000;
const WAIT = { timeout: 40_000, interval: 100 };

interface Listed {
  id: string;
  kind: string;
  caseId: string | null;
  link: string;
  deadline: string | null;
}

describe.each(DB_KINDS)('escalation and SLA notifications on %s', (kind) => {
  let t: TestLatch;
  let relay: MailRelay;
  let escalator: TestUser;
  const dir = mkdtempSync(join(tmpdir(), 'latch-notify-sla-'));
  beforeAll(async () => {
    cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
    mkdirSync(join(dir, 'case-types'), { recursive: true });
    writeFileSync(join(dir, 'case-types', 'esc_notify.v1.yaml'), NOTIFYING);
    writeFileSync(join(dir, 'case-types', 'esc_move.v1.yaml'), MOVING);
    writeFileSync(join(dir, 'case-types', 'sla_quick.v1.yaml'), drill('sla_quick', 'PT2S'));
    writeFileSync(join(dir, 'case-types', 'sla_hour.v1.yaml'), drill('sla_hour', 'PT1H'));
    relay = await startMailRelay();
    t = await startTestLatch(kind, {
      LATCH_CONFIG_DIR: dir,
      LATCH_NOTIFY_SMTP_URL: relay.url,
      LATCH_NOTIFY_INTERVAL_MS: '100',
      LATCH_NOTIFY_SLA_CHECK_MS: '100',
      LATCH_PUBLIC_URL: 'http://latch.test',
    });
    // The one person in the team that works the escalations queue; they keep escalations out of their mail.
    const system = { type: 'system', id: 'test' } as const;
    const user = await t.ctx.database.write((tx) => createUser(tx, { email: 'escalator@test.example', name: 'Esc', password: PASSWORD, roles: ['operator'], teams: ['escalations'] }, system));
    const { token } = await t.ctx.database.write((tx) => createToken(tx, user, { name: 'test', scopes: ['*'] }, system));
    escalator = { id: user.id, email: 'escalator@test.example', token };
    const prefs = await t.app.inject({ method: 'PUT', url: '/api/v1/me/notification-preferences', headers: bearer(escalator), payload: { digest: 'off', slackMemberId: null, email: { sla_escalated: false } } });
    expect(prefs.statusCode, prefs.body).toBe(200);
    expect(prefs.json()).toMatchObject({ email: { sla_escalated: false, sla_breached: true } });
  });
  afterAll(async () => {
    await t?.close();
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (type: string, title: string, assigneeId?: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.admin), payload: { type, title, ...(assigneeId ? { assigneeId } : {}) } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; version: number; dueAt: string };
  };
  const mine = async (user: TestUser) => {
    const res = await t.app.inject({ url: '/api/v1/notifications?limit=200', headers: bearer(user) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items as Listed[];
  };
  const about = async (user: TestUser, caseId: string, kind: string) => (await mine(user)).filter((n) => n.caseId === caseId && n.kind === kind);
  const mailsTo = (email: string) => relay.received.filter((m) => m.to.includes(email));
  /** Time set in the read model directly, as the SLA filter's test does: what the check judges, without waiting an hour. */
  const setTimes = (id: string, createdAgoMs: number, dueInMs: number) =>
    t.ctx.database.write((tx) => tx.execute(sql`update cases set created_at = ${new Date(Date.now() - createdAgoMs).toISOString()}, due_at = ${new Date(Date.now() + dueInMs).toISOString()} where id = ${id}`));

  /** Once every case has its escalations logged and the worker has read past them: whatever they notify is written. */
  const escalationsRead = (ids: string[]) =>
    vi.waitFor(async () => {
      const [row] = resultRows<{ logged: number; unread: number }>(
        await t.ctx.database.db.execute(
          sql`select count(*)::int as logged, count(*) filter (where l.position > (select position from notification_cursor))::int as unread from events e join log_leaves l on l.event_id = e.id where e.kind = 'case.escalated' and e.stream = any(${sql.param(ids)}::uuid[])`,
        ),
      );
      expect(row).toEqual({ logged: ids.length, unread: 0 });
    }, WAIT);

  it("tells the people an escalation rule names: the assignee, an unassigned case's queue, the queue it moved to", async () => {
    const held = await open('esc_notify', 'Held by approver2', t.users.approver2.id);
    const loose = await open('esc_notify', 'Nobody holds this');
    const moved = await open('esc_move', 'Moved to escalations', t.users.approver2.id);
    await escalationsRead([held.id, loose.id, moved.id]);
    // notify: assignee: the assignee; unassigned, every member of the refunds team, once each.
    expect(await about(t.users.approver2, held.id, 'sla_escalated')).toMatchObject([{ link: `/cases/${held.id}`, deadline: null }]);
    for (const user of [t.users.operator, t.users.approver]) expect(await about(user, held.id, 'sla_escalated')).toEqual([]);
    for (const user of [t.users.operator, t.users.approver, t.users.approver2]) expect(await about(user, loose.id, 'sla_escalated')).toHaveLength(1);
    // Moved: the escalations team and the assignee, each once though the rule names both.
    expect(await about(escalator, moved.id, 'sla_escalated')).toMatchObject([{ link: `/cases/${moved.id}` }]);
    expect(await about(t.users.approver2, moved.id, 'sla_escalated')).toHaveLength(1);
    for (const user of [t.users.operator, t.users.approver]) expect(await about(user, moved.id, 'sla_escalated')).toEqual([]);
    // Never someone outside the queue's teams, nor an admin who merely sees every case.
    for (const user of [t.users.outsider, t.users.admin, t.users.requester]) {
      expect((await mine(user)).filter((n) => n.kind === 'sla_escalated')).toEqual([]);
    }

    await vi.waitFor(() => expect(mailsTo(t.users.approver2.email).some((m) => m.raw.includes(`http://latch.test/cases/${held.id}`) && /Subject: Latch: A case was escalated to you/.test(m.raw))).toBe(true), WAIT);
    const mail = mailsTo(t.users.approver2.email).find((m) => m.raw.includes(`http://latch.test/cases/${held.id}`) && m.raw.includes('escalated'))!.raw;
    expect(mail).toContain('Held by approver2');
    // The escalator switched escalations off for email: listed in the console, no delivery written with it.
    const escalatorDeliveries = await t.app.inject({ url: '/api/v1/notifications/deliveries?limit=200', headers: bearer(t.users.admin) });
    const theirs = (escalatorDeliveries.json().items as { recipientId: string; kind: string }[]).filter((d) => d.recipientId === escalator.id && d.kind === 'sla_escalated');
    expect(theirs).toEqual([]);
    expect(mailsTo(escalator.email).filter((m) => m.raw.includes('escalated'))).toEqual([]);
  });

  it('tells an open case’s assignee it is at risk, then breached, each once per due time', async () => {
    const c = await open('sla_hour', 'Due within the hour', t.users.approver2.id);
    await setTimes(c.id, 50 * 60_000, 10 * 60_000); // 50 of 60 minutes gone
    const atRisk = await vi.waitFor(async () => {
      const found = await about(t.users.approver2, c.id, 'sla_at_risk');
      expect(found).toHaveLength(1);
      return found[0]!;
    }, WAIT);
    expect(atRisk.link).toBe(`/cases/${c.id}`);
    expect(atRisk.deadline).not.toBeNull();
    await t.ctx.database.write((tx) => tx.execute(sql`update cases set due_at = now() - interval '1 minute' where id = ${c.id}`));
    await vi.waitFor(async () => expect(await about(t.users.approver2, c.id, 'sla_breached')).toHaveLength(1), WAIT);
    await vi.waitFor(() => expect(mailsTo(t.users.approver2.email).filter((m) => m.raw.includes(`http://latch.test/cases/${c.id}`)).map((m) => /Subject: (.*)/.exec(m.raw)?.[1]).filter((subject) => subject?.includes('SLA')).sort()).toEqual(['Latch: A case of yours breached its SLA', 'Latch: A case of yours is about to breach its SLA']), WAIT);
    // (The case was opened assigned to approver2, so they were also told that, once.)
    expect(await about(t.users.approver2, c.id, 'case_assigned')).toHaveLength(1);
    // Only the assignee: the rest of the team sees it in the queue.
    for (const user of [t.users.operator, t.users.approver]) expect((await mine(user)).filter((n) => n.caseId === c.id)).toEqual([]);

    // A new due time is a new deadline: at risk again, once.
    await setTimes(c.id, 2 * HOUR, 5 * 60_000);
    await vi.waitFor(async () => expect(await about(t.users.approver2, c.id, 'sla_at_risk')).toHaveLength(2), WAIT);
    expect(await about(t.users.approver2, c.id, 'sla_breached')).toHaveLength(1);
  });

  it("tells an unassigned case's queue members when it breaches, and nobody about a closed case", async () => {
    const closed = await open('sla_hour', 'Resolved in time');
    const resolve = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${closed.id}`, headers: bearer(t.users.admin), payload: { status: 'resolved', version: closed.version } });
    expect(resolve.statusCode, resolve.body).toBe(200);
    await setTimes(closed.id, 2 * HOUR, -HOUR);
    // Opened after the closed case was already past due: any check that tells about this one has seen both.
    const c = await open('sla_quick', 'Nobody picked this up');
    await vi.waitFor(async () => {
      for (const user of [t.users.operator, t.users.approver, t.users.approver2]) expect(await about(user, c.id, 'sla_breached')).toHaveLength(1);
    }, WAIT);
    const breached = (await about(t.users.operator, c.id, 'sla_breached'))[0]!;
    expect(breached).toMatchObject({ link: `/cases/${c.id}`, deadline: c.dueAt });
    for (const user of [t.users.outsider, t.users.admin, t.users.requester, escalator]) expect((await mine(user)).filter((n) => n.caseId === c.id)).toEqual([]);
    for (const user of [t.users.operator, t.users.approver, t.users.approver2, t.users.admin]) expect((await mine(user)).filter((n) => n.caseId === closed.id)).toEqual([]);
  });
});
