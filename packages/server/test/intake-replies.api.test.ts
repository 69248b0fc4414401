import { rmSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resultRows } from '../src/db/database.js';
import { parseEmail } from '../src/intake/email/parse-email.js';
import { INTAKE_REPLY_QUEUE } from '../src/intake/replies/queue-reply.js';
import { bearer, DB_KINDS, refundBody, startTestLatch, type TestLatch, type TestUser } from './harness.js';
import { intakeConfigDir } from './intake-support.js';
import { startMailRelay, type MailRelay } from './notifications-relay.js';

const WAIT = { timeout: 30_000, interval: 100 };

describe.each(DB_KINDS)('replies to the requester (%s)', (kind) => {
  let t: TestLatch;
  let relay: MailRelay;
  let dir: string;
  let smtp: ReturnType<typeof nodemailer.createTransport>;
  beforeAll(async () => {
    relay = await startMailRelay();
    dir = intakeConfigDir();
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir, LATCH_SMTP_PORT: '0', LATCH_NOTIFY_SMTP_URL: relay.url, LATCH_NOTIFY_RETRY_DELAY_SECONDS: '1' });
    smtp = nodemailer.createTransport({ host: '127.0.0.1', port: t.ctx.intake.smtpPort!, secure: false, ignoreTLS: true, pool: false });
  });
  afterAll(async () => {
    smtp?.close();
    await t?.close();
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (url: string, user: TestUser = t.users.admin) => (await t.app.inject({ url, headers: bearer(user) })).json();
  const reply = (caseId: string, body: string, user: TestUser = t.users.operator, key?: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/replies`, headers: { ...bearer(user), ...(key ? { 'idempotency-key': key } : {}) }, payload: { body } });
  const openByMail = async (from: string, subject: string, text: string, messageId: string) => {
    await smtp.sendMail({ to: 'refunds@latch.test', from, subject, text, messageId });
    const found = (await get(`/api/v1/cases?q=${encodeURIComponent(text.split(' ')[0]!)}`)).items as { id: string }[];
    expect(found).toHaveLength(1);
    return found[0]!.id;
  };
  const sentTo = (address: string) => relay.received.filter((m) => m.to.includes(address));

  it('sends the reply threaded to the requester’s message, records it, and the requester’s answer threads back into the case', async () => {
    const caseId = await openByMail('Jane Doe <jane@customer.example>', 'Refund for order 7301', 'Kettle7301 leaks from the base.', '<kettle-7301@customer.example>');
    const first = await reply(caseId, 'Sorry to hear that. Could you send a photo of the base?', t.users.operator, 'reply-7301');
    expect(first.statusCode).toBe(202);
    const queued = first.json();
    expect(queued).toMatchObject({ caseId, status: 'queued' });
    const again = await reply(caseId, 'Sorry to hear that. Could you send a photo of the base?', t.users.operator, 'reply-7301');
    expect(again.json().id).toBe(queued.id);

    await vi.waitFor(() => expect(sentTo('jane@customer.example')).toHaveLength(1), WAIT);
    const raw = sentTo('jane@customer.example')[0]!.raw;
    expect(raw).toMatch(/^In-Reply-To: <kettle-7301@customer\.example>/m);
    expect(raw).toMatch(/^References: <kettle-7301@customer\.example>/m);
    const parsed = await parseEmail(Buffer.from(raw));
    expect(parsed.subject).toBe(`Re: Refund for order 7301 [Latch case ${caseId}]`);
    expect(parsed.text.trim()).toBe('Sorry to hear that. Could you send a photo of the base?');
    const ourId = /^Message-ID: <([^>]+@latch\.test)>/m.exec(raw)?.[1];
    expect(ourId).toBeDefined();

    const timeline = (await get(`/api/v1/cases/${caseId}/timeline`)).items as { kind: string; data: Record<string, unknown>; presentation: { summary: string } }[];
    const sent = timeline.filter((e) => e.kind === 'case.reply_sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.data).toMatchObject({ replyId: queued.id, channel: 'email', body: 'Sorry to hear that. Could you send a photo of the base?' });
    expect(sent[0]!.presentation.summary).toBe('operator (API token) replied to the requester by email');

    await smtp.sendMail({ to: 'refunds@latch.test', from: 'jane@customer.example', subject: `Re: Refund for order 7301 [Latch case ${caseId}]`, text: 'Photo attached later today.', inReplyTo: `<${ourId}>`, references: [`<kettle-7301@customer.example>`, `<${ourId}>`] });
    const messages = (await get(`/api/v1/cases/${caseId}/intake`)).items as { direction: string; text: string }[];
    expect(messages.map((m) => [m.direction, m.text.trim()])).toEqual([
      ['in', 'Kettle7301 leaks from the base.'],
      ['out', 'Sorry to hear that. Could you send a photo of the base?'],
      ['in', 'Photo attached later today.'],
    ]);
  });

  it('a relay that refuses at first gets the reply again from the job queue, each failure on the case’s timeline by its code', async () => {
    const caseId = await openByMail('ravi@customer.example', 'Toaster 8811', 'Toaster8811 burns everything.', '<toaster-8811@customer.example>');
    const failures = async () =>
      ((await get(`/api/v1/cases/${caseId}/timeline`)).items as { kind: string; outcome: string; data: Record<string, unknown>; presentation: { summary: string } }[]).filter((e) => e.kind === 'case.reply_failed');
    relay.state.failing = true;
    let replyId: string;
    try {
      const queued = await reply(caseId, 'We will replace it.');
      expect(queued.statusCode).toBe(202);
      replyId = queued.json().id;
      await vi.waitFor(async () => {
        const rows = resultRows<{ state: string }>(await t.ctx.database.db.execute(sql`select state from pgboss.job where name = ${INTAKE_REPLY_QUEUE} and state = 'retry'`));
        expect(rows.length).toBeGreaterThan(0);
      }, WAIT);
      await vi.waitFor(async () => expect((await failures()).length).toBeGreaterThan(0), WAIT);
      expect(sentTo('ravi@customer.example')).toHaveLength(0);
    } finally {
      relay.state.failing = false;
    }
    await vi.waitFor(() => expect(sentTo('ravi@customer.example')).toHaveLength(1), WAIT);
    const failed = await failures();
    // The relay refused MAIL FROM with 451 "mailbox unavailable": the timeline keeps the code, never that text.
    expect(failed[0]).toMatchObject({ outcome: 'failed', data: { replyId: replyId!, reason: 'smtp:EENVELOPE 451', attempt: 1, retrying: true } });
    expect(failed.map((e) => e.data.attempt)).toEqual(failed.map((_, i) => i + 1));
    expect(JSON.stringify(failed)).not.toMatch(/mailbox unavailable|ravi@/);
    expect(failed[0]!.presentation.summary).toBe('A reply to the requester was not sent (smtp:EENVELOPE 451, attempt 1); it will be tried again');
  });

  it('refuses a case without a requester address, people who cannot see or work the case, and an empty body', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ requester: undefined, title: 'Refund typed in by staff' }) });
    expect(created.statusCode).toBe(201);
    const noAddress = await reply(created.json().id, 'Hello');
    expect([noAddress.statusCode, noAddress.json().error.code]).toEqual([409, 'NO_REQUESTER_ADDRESS']);

    const caseId = await openByMail('mina@customer.example', 'Blender 9920', 'Blender9920 is too loud.', '<blender-9920@customer.example>');
    const outsider = await reply(caseId, 'Hello', t.users.outsider);
    expect([outsider.statusCode, outsider.json().error.code]).toEqual([404, 'NOT_FOUND']);
    const approver = await reply(caseId, 'Hello', t.users.approver);
    expect(approver.statusCode).toBe(403);
    const blank = await reply(caseId, '   ');
    expect([blank.statusCode, blank.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const timeline = (await get(`/api/v1/cases/${caseId}/timeline`)).items as { kind: string }[];
    expect(timeline.filter((e) => e.kind === 'case.reply_sent')).toHaveLength(0);
    expect(sentTo('mina@customer.example')).toHaveLength(0);
  });
});

describe.each(DB_KINDS)('replies without outgoing mail (%s)', (kind) => {
  let t: TestLatch;
  let dir: string;
  beforeAll(async () => {
    dir = intakeConfigDir();
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses with MAIL_NOT_CONFIGURED and records nothing', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    const caseId = created.json().id as string;
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/replies`, headers: bearer(t.users.operator), payload: { body: 'Hello' } });
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'MAIL_NOT_CONFIGURED']);
    const timeline = (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.operator) })).json().items as { kind: string }[];
    expect(timeline.map((e) => e.kind)).not.toContain('case.reply_sent');
  });
});
