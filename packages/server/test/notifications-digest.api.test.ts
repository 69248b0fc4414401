import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resultRows } from '../src/db/database.js';
import { queueDigests } from '../src/notifications/digests.js';
import { bearer, DB_KINDS, refundBody, startTestLatch, type TestLatch, type TestUser } from './harness.js';
import { startMailRelay, type MailRelay } from './notifications-relay.js';

const WAIT = { timeout: 40_000, interval: 100 };

interface Delivery {
  recipientId: string;
  kind: string;
  channel: string;
  status: string;
  createdAt: string;
}

describe.each(DB_KINDS)('the daily digest on %s', (kind) => {
  let t: TestLatch;
  let relay: MailRelay;
  beforeAll(async () => {
    relay = await startMailRelay();
    t = await startTestLatch(kind, {
      LATCH_NOTIFY_SMTP_URL: relay.url,
      // Past the digest hour all day, so the worker sends digests at its first check.
      LATCH_NOTIFY_DIGEST_HOUR_UTC: '0',
      LATCH_NOTIFY_INTERVAL_MS: '100',
      LATCH_NOTIFY_SLA_CHECK_MS: '100',
      LATCH_PUBLIC_URL: 'http://latch.test',
    });
  });
  afterAll(async () => {
    await t?.close();
    await relay?.close();
  });

  const prefs = async (user: TestUser, payload: object) => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/me/notification-preferences', headers: bearer(user), payload: { slackMemberId: null, ...payload } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const newCase = async (title: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title }) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; version: number };
  };
  const assign = async (by: TestUser, c: { id: string; version: number }, to: TestUser) => {
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${c.id}`, headers: bearer(by), payload: { assigneeId: to.id, version: c.version } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { id: string; version: number };
  };
  const mine = async (user: TestUser) => (await t.app.inject({ url: '/api/v1/notifications?limit=200', headers: bearer(user) })).json().items as { kind: string; caseId: string | null; readAt: string | null }[];
  const deliveries = async () => (await t.app.inject({ url: '/api/v1/notifications/deliveries?limit=200', headers: bearer(t.users.admin) })).json().items as Delivery[];
  const digestsTo = async (user: TestUser) => (await deliveries()).filter((d) => d.recipientId === user.id && d.kind === 'digest');
  const mailsTo = (user: TestUser) => relay.received.filter((m) => m.to.includes(user.email));
  const subjectOf = (raw: string) => /Subject: (.*)/.exec(raw)?.[1];
  /** Waits until every event written so far has its log position (the worker reads only those). */
  const allLogged = () =>
    vi.waitFor(async () => {
      const [row] = resultRows<{ n: number }>(await t.ctx.database.db.execute(sql`select count(*)::int as n from events e where not exists (select 1 from log_leaves l where l.event_id = e.id)`));
      expect(row!.n).toBe(0);
    }, WAIT);

  it('sends one email a day listing what is unread, instead of one per notification, and none to whoever has nothing unread', async () => {
    // The operator was told something once, read it, then chose the digest: nothing unread, no digest.
    await assign(t.users.admin, await newCase('Read long ago'), t.users.operator);
    await vi.waitFor(async () => expect(await mine(t.users.operator)).toHaveLength(1), WAIT);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/notifications/read', headers: bearer(t.users.operator), payload: { all: true } })).statusCode).toBe(200);
    await prefs(t.users.operator, { digest: 'daily' });
    // The requester chose it and is never told anything.
    await prefs(t.users.requester, { digest: 'daily' });
    // approver2 chose it, with waiting approvals kept out of email: the digest leaves those out too.
    await prefs(t.users.approver2, { digest: 'daily', email: { approval_waiting: false } });

    // As after the worker was down a while: it finds the day's events all at once when it comes back.
    await t.ctx.database.write((tx) => tx.execute(sql`update notification_cursor set position = position + 1000000000`));
    const cases = [];
    for (const title of ['First <b>case</b>', 'Second case', 'Third case']) cases.push(await assign(t.users.operator, await newCase(title), t.users.approver2));
    const proposed = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${cases[0]!.id}/actions`,
      headers: bearer(t.users.operator),
      payload: { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_DigestPayload', amount_minor: 75_000, currency: 'usd', reason: 'requested_by_customer' } },
    });
    expect(proposed.statusCode, proposed.body).toBe(201);
    await allLogged();
    await t.ctx.database.write((tx) => tx.execute(sql`update notification_cursor set position = position - 1000000000`));

    await vi.waitFor(async () => expect((await digestsTo(t.users.approver2)).map((d) => d.status)).toEqual(['sent']), WAIT);
    await vi.waitFor(() => expect(mailsTo(t.users.approver2)).toHaveLength(1), WAIT);
    const kinds = (await mine(t.users.approver2)).map((n) => n.kind).sort();
    expect(kinds).toEqual(['approval_waiting', 'case_assigned', 'case_assigned', 'case_assigned']);
    // No message per notification: the one delivery is the digest.
    expect((await deliveries()).filter((d) => d.recipientId === t.users.approver2.id)).toMatchObject([{ kind: 'digest', channel: 'email', status: 'sent' }]);
    const mail = mailsTo(t.users.approver2)[0]!.raw;
    expect(subjectOf(mail)).toBe('Latch: 3 unread notifications today');
    for (const c of cases) expect(mail).toContain(`http://latch.test/cases/${c.id}`);
    expect(mail).toContain('A case was assigned to you: Third case');
    expect(mail).toContain('First <b>case</b>');
    expect(mail).not.toContain('/approvals');
    expect(mail).not.toContain('pi_DigestPayload');
    // Everyone on the digest was judged in that same check: nothing unread, no digest.
    expect(await digestsTo(t.users.operator)).toEqual([]);
    expect(await digestsTo(t.users.requester)).toEqual([]);
    // The operator's one mail is the assignment's, sent before they chose the digest.
    expect(mailsTo(t.users.operator).map((m) => subjectOf(m.raw))).toEqual(['Latch: A case was assigned to you']);
    expect(mailsTo(t.users.requester)).toEqual([]);
  });

  it('sends no second digest the same day, however often the check runs', async () => {
    const [digest] = await digestsTo(t.users.approver2);
    expect(digest).toBeDefined();
    await assign(t.users.operator, await newCase('Fourth case'), t.users.approver2);
    await vi.waitFor(async () => expect((await mine(t.users.approver2)).filter((n) => n.kind === 'case_assigned')).toHaveLength(4), WAIT);
    // The check run again by hand at the digest's own time: nothing queued, nothing sent.
    const queued = await t.ctx.database.write((tx) =>
      queueDigests(tx, new Date(digest!.createdAt), t.ctx.config.notify, () => {
        throw new Error('a second digest was queued');
      }),
    );
    expect(queued).toBe(0);
    // And by the worker, twice over: each SLA notification below is written by a later check than the one before.
    for (const title of ['Probe one', 'Probe two']) {
      const probe = await assign(t.users.operator, await newCase(title), t.users.approver);
      await t.ctx.database.write((tx) => tx.execute(sql`update cases set created_at = now() - interval '50 minutes', due_at = now() + interval '10 minutes' where id = ${probe.id}`));
      await vi.waitFor(async () => expect((await mine(t.users.approver)).filter((n) => n.kind === 'sla_at_risk' && n.caseId === probe.id)).toHaveLength(1), WAIT);
    }
    expect(await digestsTo(t.users.approver2)).toHaveLength(1);
    expect(mailsTo(t.users.approver2)).toHaveLength(1);
    expect(subjectOf(mailsTo(t.users.approver2)[0]!.raw)).toBe('Latch: 3 unread notifications today');
  });
});
