import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resultRows } from '../src/db/database.js';
import { startSlackServer, type SlackServer } from './fakes/slack-server.js';
import { bearer, DB_KINDS, refundBody, sessionFor, startTestLatch, type TestLatch, type TestUser } from './harness.js';
import { startMailRelay } from './notifications-relay.js';

const refundInput = (amount_minor: number) => ({ payment_intent: 'pi_SecretPayload42', amount_minor, currency: 'usd', reason: 'requested_by_customer' });
const WAIT = { timeout: 30_000, interval: 100 };

function listed(res: { statusCode: number; body: string; json(): { items: never } }) {
  if (res.statusCode !== 200) throw new Error(`notifications list: ${res.statusCode} ${res.body}`);
  return res.json().items;
}

describe.each(DB_KINDS)('notifications on %s', (kind) => {
  let t: TestLatch;
  let relay: Awaited<ReturnType<typeof startMailRelay>>;
  let slack: SlackServer;
  let approverSession: Record<string, string>;
  let adminSession: Record<string, string>;
  beforeAll(async () => {
    relay = await startMailRelay();
    slack = await startSlackServer();
    t = await startTestLatch(kind, {
      LATCH_NOTIFY_SMTP_URL: relay.url,
      LATCH_NOTIFY_FROM: 'Latch <latch@test.example>',
      LATCH_NOTIFY_SLACK_TOKEN: 'xoxb-notify-test',
      LATCH_NOTIFY_SLACK_API_URL: `${slack.url}/api/`,
      LATCH_NOTIFY_INTERVAL_MS: '100',
      LATCH_NOTIFY_MAX_ATTEMPTS: '2',
      LATCH_NOTIFY_RETRY_DELAY_SECONDS: '1',
      LATCH_PUBLIC_URL: 'http://latch.test',
    });
    [approverSession, adminSession] = await Promise.all([sessionFor(t.app, t.users.approver), sessionFor(t.app, t.users.admin)]);
    const prefs = (user: TestUser, payload: object) => t.app.inject({ method: 'PUT', url: '/api/v1/me/notification-preferences', headers: bearer(user), payload });
    expect((await prefs(t.users.approver, { digest: 'off', slackMemberId: 'U0APPROVER' })).statusCode).toBe(200);
    // approver2 turned both channels off for waiting approvals: the console list still has them.
    const off = await prefs(t.users.approver2, { digest: 'off', slackMemberId: 'U0APPROVER2', email: { approval_waiting: false }, slack: { approval_waiting: false } });
    expect(off.json()).toMatchObject({ email: { approval_waiting: false, case_assigned: true }, slack: { approval_waiting: false }, channels: { email: true, slack: true } });
    // The approver is away: the admin decides for them, and is told as they would be.
    const endsAt = new Date(Date.now() + 86_400_000).toISOString();
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/delegations', headers: approverSession, payload: { toUserId: t.users.admin.id, endsAt } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await relay?.close();
    await slack?.close();
  });

  const newCase = async () => (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Refund <@U0EVIL> & <!channel>' }) })).json() as { id: string; version: number };
  const propose = async (caseId: string, amount = 75_000) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input: refundInput(amount) } });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; payloadHash: string };
  };
  const mine = async (user: TestUser) => listed(await t.app.inject({ url: '/api/v1/notifications?limit=200', headers: bearer(user) })) as { id: string; kind: string; actionId: string | null; caseId: string | null; caseTitle: string | null; link: string; deadline: string | null; readAt: string | null }[];
  // Slack answers with a DM channel's id; what was asked is the member id.
  const mailsTo = (email: string) => relay.received.filter((m) => m.to.includes(email));
  const deliveries = async () => (await t.app.inject({ url: '/api/v1/notifications/deliveries?limit=200', headers: bearer(t.users.admin) })).json().items as { notificationId: string | null; channel: string; status: string; attempts: number; lastError: string | null; recipientId: string }[];

  it('tells every reviewer an approval waits (a delegate too) by email and Slack, never the proposer, minus what preferences turn off', async () => {
    const c = await newCase();
    const action = await propose(c.id);
    await vi.waitFor(() => {
      expect(mailsTo(t.users.approver.email).length).toBe(1);
      expect(mailsTo(t.users.admin.email).length).toBe(1);
      expect(slack.messages.filter((m) => m.params.channel === 'U0APPROVER').length).toBe(1);
    }, WAIT);
    for (const user of [t.users.approver, t.users.approver2, t.users.admin]) {
      const waiting = (await mine(user)).filter((n) => n.kind === 'approval_waiting' && n.actionId === action.id);
      expect(waiting).toHaveLength(1);
      expect(waiting[0]).toMatchObject({ caseId: c.id, link: '/approvals', caseTitle: 'Refund <@U0EVIL> & <!channel>' });
      expect(waiting[0]!.deadline).not.toBeNull();
    }
    expect((await mine(t.users.operator)).filter((n) => n.kind === 'approval_waiting')).toEqual([]);
    expect(mailsTo(t.users.operator.email)).toEqual([]);
    expect(mailsTo(t.users.approver2.email)).toEqual([]);
    expect(slack.messages.filter((m) => m.params.channel === 'U0APPROVER2')).toEqual([]);

    const mail = mailsTo(t.users.approver.email)[0]!.raw;
    expect(mail).toMatch(/Subject: Latch: An approval is waiting for you/);
    expect(mail).toContain('http://latch.test/approvals');
    expect(mail).toMatch(/Content-Type: text\/plain/i);
    expect(mail).not.toContain('pi_SecretPayload42');
    const message = slack.messages.find((m) => m.params.channel === 'U0APPROVER')!;
    expect(message.token).toBe('xoxb-notify-test');
    // The customer's title can mention no one in Slack.
    expect(message.text).toContain('Refund &lt;@U0EVIL&gt; &amp; &lt;!channel&gt;');
    expect(message.text).toContain('<http://latch.test/approvals|Open in Latch>');
    expect(message.text).not.toContain('pi_SecretPayload42');
  });

  it('tells the proposer their proposal was approved or denied', async () => {
    const approved = await propose((await newCase()).id);
    const denied = await propose((await newCase()).id, 80_000);
    // Read by the worker while they wait (an action decided before that is announced to no reviewer).
    await vi.waitFor(async () => expect((await mine(t.users.approver)).filter((n) => n.actionId === approved.id || n.actionId === denied.id)).toHaveLength(2), WAIT);
    const decide = (id: string, payloadHash: string, decision: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/actions/${id}/decisions`, headers: approverSession, payload: { decision, payloadHash, reason: 'checked' } });
    expect((await decide(approved.id, approved.payloadHash, 'approve')).statusCode).toBe(201);
    expect((await decide(denied.id, denied.payloadHash, 'deny')).statusCode).toBe(201);
    await vi.waitFor(async () => {
      const kinds = (await mine(t.users.operator)).filter((n) => n.actionId === approved.id || n.actionId === denied.id).map((n) => `${n.kind} ${n.actionId}`);
      expect(kinds.sort()).toEqual([`proposal_approved ${approved.id}`, `proposal_denied ${denied.id}`].sort());
      expect(mailsTo(t.users.operator.email).map((m) => /Subject: (.*)/.exec(m.raw)?.[1]).sort()).toEqual(['Latch: Your proposed action was approved', 'Latch: Your proposed action was denied']);
    }, WAIT);
    // Decided at once: nobody else is told it waits any more than they were.
    expect((await mine(t.users.approver)).filter((n) => n.actionId === approved.id)).toHaveLength(1);
  });

  it('tells the assignee a case was assigned to them, not the person who assigned it to themselves', async () => {
    const c = await newCase();
    const assign = (userId: string, version: number, user: TestUser) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${c.id}`, headers: bearer(user), payload: { assigneeId: userId, version } });
    const first = await assign(t.users.approver2.id, c.version, t.users.operator);
    expect(first.statusCode).toBe(200);
    expect((await assign(t.users.operator.id, first.json().version, t.users.operator)).statusCode).toBe(200);
    await vi.waitFor(async () => {
      expect((await mine(t.users.approver2)).filter((n) => n.kind === 'case_assigned' && n.caseId === c.id)).toMatchObject([{ link: `/cases/${c.id}` }]);
      // approver2 turned off only waiting approvals: the assignment is mailed.
      expect(mailsTo(t.users.approver2.email).some((m) => m.raw.includes(`http://latch.test/cases/${c.id}`))).toBe(true);
    }, WAIT);
    expect((await mine(t.users.operator)).filter((n) => n.kind === 'case_assigned' && n.caseId === c.id)).toEqual([]);
  });

  it('tells the assignee of a case opened already assigned to them, not the person who assigned it to themselves', async () => {
    const open = async (assigneeId: string) =>
      (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Assigned at birth', assigneeId }) })).json() as { id: string };
    const theirs = await open(t.users.approver2.id);
    const own = await open(t.users.operator.id);
    await vi.waitFor(async () => {
      expect((await mine(t.users.approver2)).filter((n) => n.kind === 'case_assigned' && n.caseId === theirs.id)).toMatchObject([{ link: `/cases/${theirs.id}` }]);
    }, WAIT);
    expect((await mine(t.users.operator)).filter((n) => n.kind === 'case_assigned' && n.caseId === own.id)).toEqual([]);
  });

  it('writes nothing twice when the worker reads the same events again (a restart mid-way)', async () => {
    const action = await propose((await newCase()).id);
    await vi.waitFor(async () => {
      const waiting = (await mine(t.users.approver)).find((n) => n.actionId === action.id);
      expect((await deliveries()).filter((d) => d.notificationId === waiting?.id).map((d) => d.status)).toEqual(['sent', 'sent']);
      // Every message of this proposal (the delegate's too) has gone out before counting.
      expect((await deliveries()).filter((d) => d.status === 'pending' || d.status === 'retrying')).toEqual([]);
    }, WAIT);
    const count = async () => resultRows<{ n: number }>(await t.ctx.database.db.execute(sql`select count(*)::int as n from notifications`))[0]!.n;
    const before = { notifications: await count(), mails: relay.received.length, slack: slack.messages.length, deliveries: (await deliveries()).length };
    expect((await mine(t.users.approver)).filter((n) => n.actionId === action.id)).toHaveLength(1);
    // As after a crash before the cursor moved: every event is read again.
    await t.ctx.database.write((tx) => tx.execute(sql`update notification_cursor set position = -1`));
    await vi.waitFor(async () => {
      const [row] = resultRows<{ behind: number }>(await t.ctx.database.db.execute(sql`select count(*)::int as behind from log_leaves, notification_cursor where log_leaves.position > notification_cursor.position`));
      expect(row!.behind).toBe(0);
    }, WAIT);
    expect({ notifications: await count(), mails: relay.received.length, slack: slack.messages.length, deliveries: (await deliveries()).length }).toEqual(before);
  });

  it('keeps a person’s notifications their own', async () => {
    const theirs = (await mine(t.users.approver))[0]!;
    expect((await mine(t.users.outsider)).some((n) => n.id === theirs.id)).toBe(false);
    const steal = await t.app.inject({ method: 'POST', url: '/api/v1/notifications/read', headers: bearer(t.users.outsider), payload: { ids: [theirs.id] } });
    expect([steal.statusCode, steal.json().error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await mine(t.users.approver)).find((n) => n.id === theirs.id)!.readAt).toBeNull();
    const log = await t.app.inject({ url: '/api/v1/notifications/deliveries', headers: bearer(t.users.operator) });
    expect([log.statusCode, log.json().error.code]).toEqual([403, 'PERMISSION_DENIED']);
    expect((await t.app.inject({ url: '/api/v1/notifications' })).statusCode).toBe(401);
  });

  it('marks read and counts what is unread', async () => {
    const count = async () => (await t.app.inject({ url: '/api/v1/notifications/count', headers: bearer(t.users.approver2) })).json().unread as number;
    const unread = await count();
    expect(unread).toBeGreaterThan(0);
    const first = (await mine(t.users.approver2)).find((n) => n.readAt === null)!;
    const one = await t.app.inject({ method: 'POST', url: '/api/v1/notifications/read', headers: bearer(t.users.approver2), payload: { ids: [first.id] } });
    expect(one.json()).toEqual({ marked: 1, unread: unread - 1 });
    const all = await t.app.inject({ method: 'POST', url: '/api/v1/notifications/read', headers: bearer(t.users.approver2), payload: { all: true } });
    expect(all.json()).toEqual({ marked: unread - 1, unread: 0 });
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/notifications/read', headers: bearer(t.users.approver2), payload: {} })).statusCode).toBe(400);
  });

  it('retries a delivery the relay refuses, logs it failed, and case work goes on', async () => {
    relay.state.failing = true;
    try {
      const c = await newCase();
      const action = await propose(c.id);
      const approverId = t.users.approver.id;
      let failed: Awaited<ReturnType<typeof deliveries>>[number] | undefined;
      await vi.waitFor(async () => {
        const waiting = (await mine(t.users.approver)).find((n) => n.actionId === action.id);
        expect(waiting).toBeDefined();
        failed = (await deliveries()).find((d) => d.notificationId === waiting!.id && d.channel === 'email' && d.recipientId === approverId);
        expect(failed).toMatchObject({ status: 'failed', attempts: 2 });
      }, WAIT);
      expect(failed!.lastError).toMatch(/^smtp:E[A-Z]+ 451$/);
      // Slack was not affected by the mail relay's refusal.
      expect((await deliveries()).find((d) => d.notificationId === failed!.notificationId && d.channel === 'slack')).toMatchObject({ status: 'sent' });
      // Deciding never waited on a delivery.
      const decided = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${action.id}/decisions`, headers: adminSession, payload: { decision: 'approve', payloadHash: action.payloadHash, onBehalfOf: approverId } });
      expect(decided.statusCode).toBe(201);
    } finally {
      relay.state.failing = false;
    }
  });
});
