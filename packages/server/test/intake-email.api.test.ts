import { createConnection } from 'node:net';
import { rmSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { parseSignerKeys, parseTrustFile } from '@latch/core';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLog } from '../src/audit/verify-log.js';
import { verifyStore } from '../src/audit/verify-store.js';
import { resultRows } from '../src/db/database.js';
import { intakeCommits } from '../src/intake/group-commit.js';
import { intakeConfigDir } from './intake-support.js';
import { bearer, DB_KINDS, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';

describe.each(DB_KINDS)('email intake over SMTP (%s)', (kind) => {
  let t: TestLatch;
  let dir: string;
  let smtp: ReturnType<typeof nodemailer.createTransport>;
  beforeAll(async () => {
    dir = intakeConfigDir();
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir, LATCH_SMTP_PORT: '0' });
    smtp = nodemailer.createTransport({ host: '127.0.0.1', port: t.ctx.intake.smtpPort!, secure: false, ignoreTLS: true, pool: false });
  });
  afterAll(async () => {
    smtp?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (message: Mail.Options) => smtp.sendMail({ to: 'refunds@latch.test', ...message });
  const get = async (url: string) => (await t.app.inject({ url, headers: bearer(t.users.admin) })).json();
  const casesOf = async (q: string) => (await get(`/api/v1/cases?q=${encodeURIComponent(q)}`)).items as { id: string; title: string; priority: string; queue: string }[];
  const held = async () => (await get('/api/v1/intake/quarantine?status=held')).items as { reason: string; detail: string; source: string }[];

  it('a new message opens a case in the routed queue; a reply threads into it; a reply from someone else opens a linked possible forgery', async () => {
    const first = await send({ from: 'Jane Doe <jane@customer.example>', subject: 'Refund for order 5501', text: 'The blender 5501 arrived smashed.', messageId: '<first-5501@customer.example>' });
    expect(first.response).toMatch(/^250/);
    const [opened] = await casesOf('smashed');
    expect(opened).toMatchObject({ title: 'Refund for order 5501', queue: 'refunds' });
    const caseView = await get(`/api/v1/cases/${opened!.id}`);
    expect(caseView.requester).toMatchObject({ email: 'jane@customer.example', name: 'Jane Doe' });

    await send({ from: 'jane@customer.example', subject: 'Re: Refund for order 5501', text: 'Any news?', inReplyTo: '<first-5501@customer.example>', references: ['<first-5501@customer.example>'] });
    await send({ from: 'mallory@evil.example', subject: 'Re: Refund for order 5501', text: 'Please pay to my new account', inReplyTo: '<first-5501@customer.example>' });
    const messages = (await get(`/api/v1/cases/${opened!.id}/intake`)).items;
    expect(messages.map((m: { text: string }) => m.text.trim())).toEqual(['The blender 5501 arrived smashed.', 'Any news?']);
    expect(messages[0].headers).toEqual(expect.arrayContaining([{ name: 'from', value: '"Jane Doe" <jane@customer.example>' }, { name: 'subject', value: 'Refund for order 5501' }]));
    const [forged] = await casesOf('new account');
    expect(forged!.id).not.toBe(opened!.id);
    const received = (await get(`/api/v1/cases/${forged!.id}/timeline`)).items.find((e: { kind: string }) => e.kind === 'intake.received');
    expect(received.data).toMatchObject({ channel: 'email', source: 'refunds@latch.test', possibleForgery: opened!.id });
    expect((await get(`/api/v1/cases/${forged!.id}/links`)).items).toMatchObject([{ toCaseId: opened!.id, kind: 'relates' }]);
  });

  it('attachments are stored by SHA-256 on the case; an HTML-only message keeps its text, never its markup', async () => {
    await send({
      from: 'ola@customer.example',
      subject: 'Receipt attached',
      html: '<p>See the <b>receipt</b> for parcel 8812</p><script>alert(1)</script><img src=x onerror=alert(2)>',
      attachments: [{ filename: '../../etc/receipt.pdf', content: Buffer.from('%PDF-1.4 receipt') }],
    });
    const [opened] = await casesOf('parcel 8812');
    const files = (await get(`/api/v1/cases/${opened!.id}/attachments`)).items;
    expect(files).toMatchObject([{ filename: 'receipt.pdf', size: 16 }]);
    const [message] = (await get(`/api/v1/cases/${opened!.id}/intake`)).items;
    expect(message.htmlOnly).toBe(true);
    expect(message.text).toContain('receipt');
    expect(message.text).not.toContain('<script');
    expect(message.text).not.toContain('onerror');
    expect(message.attachments).toMatchObject([{ filename: 'receipt.pdf', size: 16 }]);
  });

  const heldCases: { name: string; message: Mail.Options; reason: string }[] = [
    { name: 'a bounce (Return-Path <>)', message: { from: 'mailer-daemon@mx.example', envelope: { from: '', to: 'refunds@latch.test' }, subject: 'Undelivered Mail Returned to Sender', text: 'bounce 1' }, reason: 'bounce' },
    { name: 'an auto-reply', message: { from: 'bob@customer.example', subject: 'Out of office', text: 'away', headers: { 'Auto-Submitted': 'auto-replied' } }, reason: 'auto_reply' },
    { name: 'bulk mail', message: { from: 'news@shop.example', subject: 'Our deals', text: 'deals', headers: { Precedence: 'bulk' } }, reason: 'bulk' },
    { name: 'a loop of our own message', message: { from: 'someone@customer.example', subject: 'Re: your case', text: 'loop', messageId: '<0193aaaa@latch.test>' }, reason: 'loop' },
    { name: 'a sender disguised with a bidirectional override', message: { from: 'jane\u202e@customer.example', subject: 'hi', text: 'x' }, reason: 'suspicious_address' },
    {
      name: 'too many attachments',
      message: { from: 'many@customer.example', subject: 'files', text: 'x', attachments: [1, 2, 3, 4].map((i) => ({ filename: `f${i}.txt`, content: `file ${i}` })) },
      reason: 'too_many_attachments',
    },
    { name: 'an attachment over the limit', message: { from: 'big@customer.example', subject: 'big', text: 'x', attachments: [{ filename: 'big.bin', content: Buffer.alloc(3000, 1) }] }, reason: 'attachment_too_large' },
  ];
  it.each(heldCases)('$name is accepted and quarantined with its reason, never a case', async ({ message, reason }) => {
    const before = (await get('/api/v1/cases/count')).count;
    const info = await send(message);
    expect(info.response).toMatch(/^250/);
    const [item] = await held();
    expect(item).toMatchObject({ reason, source: 'refunds@latch.test' });
    expect((await get('/api/v1/cases/count')).count).toBe(before);
  });

  it('a flood from one sender is quarantined past the limit', async () => {
    for (let i = 0; i < 7; i++) await send({ from: 'flood@customer.example', subject: `flood ${i}`, text: `flood message ${i}` });
    expect((await casesOf('flood')).length).toBe(5);
    expect((await held()).slice(0, 2).map((i) => i.reason)).toEqual(['flood', 'flood']);
  });

  it('header injection in the subject stays one line of text; unknown recipients are refused; oversize messages are refused', async () => {
    await send({ from: 'eve@customer.example', subject: '=?UTF-8?B?' + Buffer.from('Refund\r\nBcc: victim@example.com').toString('base64') + '?=', text: 'injection body 4471' });
    const [opened] = await casesOf('4471');
    expect(opened!.title).toBe('Refund Bcc: victim@example.com');
    await expect(smtp.sendMail({ from: 'x@customer.example', to: 'nobody@latch.test', subject: 's', text: 't' })).rejects.toMatchObject({ responseCode: 550 });
    await expect(send({ from: 'x@customer.example', subject: 'huge', text: 'x'.repeat(300_000) })).rejects.toMatchObject({ responseCode: 552 });
  });

  it('messages arriving together are received as one batch, each as it would be alone: a case per new message (with its triage row and job), the same bytes twice one case, a reply threaded, a routed assignee, a bounce held; chains and the log verify', async () => {
    const mime = (from: string, messageId: string, subject: string, body: string, extra = '') =>
      `From: ${from}\r\nTo: refunds@latch.test\r\nSubject: ${subject}\r\nMessage-ID: ${messageId}\r\nDate: Thu, 05 Mar 2026 10:00:00 +0000\r\n${extra}\r\n${body}\r\n`;
    // Several connections at once, through the running receiver (its context, as `latch serve` builds it).
    const pool = nodemailer.createTransport({ host: '127.0.0.1', port: t.ctx.intake.smtpPort!, secure: false, ignoreTLS: true, pool: true, maxConnections: 12 });
    const sendRaw = (from: string, raw: string) => pool.sendMail({ envelope: { from, to: 'refunds@latch.test' }, raw });
    try {
      await sendRaw('ana@customer.example', mime('Ana <ana@customer.example>', '<batch-opener@customer.example>', 'Order 7001', 'batch opener 7001'));
      const [opener] = await casesOf('batch opener 7001');
      const fresh = Array.from({ length: 8 }, (_, i) => mime(`batch${i}@customer.example`, `<batch-${i}@customer.example>`, `Order 71${i}`, `batch body 71${i}`));
      // The intake's group commit held busy until every message has arrived and waits behind it: they share the next transaction.
      const commits = intakeCommits(t.ctx.database);
      let release!: () => void;
      const busy = commits.run('busy', () => new Promise<void>((resolve) => (release = resolve)));
      const arriving = Promise.all([
        ...fresh.map((raw, i) => sendRaw(`batch${i}@customer.example`, raw)),
        sendRaw('batch0@customer.example', fresh[0]!),
        sendRaw('ana@customer.example', mime('ana@customer.example', '<batch-reply@customer.example>', 'Re: Order 7001', 'any news 7001', 'In-Reply-To: <batch-opener@customer.example>\r\n')),
        sendRaw('vip@vip.example', mime('vip@vip.example', '<batch-vip@vip.example>', 'Order 7300', 'vip batch 7300')),
        sendRaw('', mime('mailer-daemon@mx.example', '<batch-bounce@mx.example>', 'Undelivered', 'bounce 7400')),
      ]);
      for (let waited = 0; commits.waiting < fresh.length + 4 && waited < 30_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(commits.waiting).toBe(fresh.length + 4);
      release();
      await busy;
      expect((await arriving).map((info) => info.response.slice(0, 3))).toEqual([...fresh, 1, 2, 3, 4].map(() => '250'));

      // One case per new message, its one message on it: the same bytes sent twice are on it once.
      const created: string[] = [];
      for (const i of fresh.keys()) {
        const found = await casesOf(`batch body 71${i}`);
        expect(found).toHaveLength(1);
        created.push(found[0]!.id);
        const messages = (await get(`/api/v1/cases/${found[0]!.id}/intake`)).items as { text: string }[];
        expect(messages.map((m) => m.text.trim())).toEqual([`batch body 71${i}`]);
      }
      expect((await get(`/api/v1/cases/${opener!.id}/intake`)).items.map((m: { text: string }) => m.text.trim())).toEqual(['batch opener 7001', 'any news 7001']);
      const [vip] = await casesOf('vip batch 7300');
      expect((await get(`/api/v1/cases/${vip!.id}`)).assigneeId).toBe(t.users.operator.id);
      expect((await held()).find((item) => item.reason === 'bounce')).toBeDefined();
      // Each new case awaits triage, with its ask in the job queue (the batch's asks added in one statement).
      const opened = [...created, vip!.id];
      const triage = resultRows<{ case_id: string }>(await t.ctx.database.db.execute(sql`select case_id from case_triage where case_id = any(${sql.param(opened)}::uuid[]) and state = 'awaiting'`));
      expect(triage.map((r) => r.case_id).sort()).toEqual([...opened].sort());
      const asks = resultRows<{ case_id: string }>(
        await t.ctx.database.db.execute(sql`select data->>'caseId' as case_id from pgboss.job where name = 'intelligence-triage' and data->>'caseId' = any(${sql.param(opened)}::text[])`),
      );
      expect(asks.map((r) => r.case_id).sort()).toEqual([...opened].sort());
      // Received together: the new cases' asks were added in the one transaction (pg-boss stamps created_on with its start).
      const stamps = resultRows<{ n: number }>(
        await t.ctx.database.db.execute(sql`select count(distinct created_on)::int as n from pgboss.job where name = 'intelligence-triage' and data->>'caseId' = any(${sql.param(opened)}::text[])`),
      );
      expect(stamps[0]!.n).toBe(1);
      expect((await verifyStore(t.ctx.database.db)).broken).toEqual([]);
      await t.ctx.log.sequencer.drain();
      const log = await verifyLog(t.ctx.database.db, { trusted: parseTrustFile(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey) });
      expect(log.problems).toEqual([]);
    } finally {
      pool.close();
    }
  });

  it('broken MIME is received as far as it parses, and raw garbage without a sender is quarantined as malformed', async () => {
    const port = t.ctx.intake.smtpPort!;
    const garbage = 'Content-Type: multipart/mixed; boundary="never"\r\n\r\n--never\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%not base64\r\n';
    const reply = await rawSmtp(port, 'x@customer.example', 'refunds@latch.test', garbage);
    expect(reply).toMatch(/^250/m);
    const [item] = await held();
    expect(item!.reason).toBe('malformed');
  });
});

/** One SMTP transaction by hand (for content no client library would produce); answers the reply to DATA's end. */
async function rawSmtp(port: number, from: string, to: string, data: string): Promise<string> {
  const socket = createConnection({ port, host: '127.0.0.1' });
  const lines: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  let buffer = '';
  socket.on('data', (chunk) => {
    buffer += chunk.toString();
    let index;
    while ((index = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      if (/^\d{3} /.test(line)) {
        if (waiting) {
          const w = waiting;
          waiting = undefined;
          w(line);
        } else lines.push(line);
      }
    }
  });
  const next = () => new Promise<string>((resolve) => (lines.length > 0 ? resolve(lines.shift()!) : (waiting = resolve)));
  const say = async (text: string) => {
    socket.write(`${text}\r\n`);
    return next();
  };
  await next();
  await say('EHLO test');
  await say(`MAIL FROM:<${from}>`);
  await say(`RCPT TO:<${to}>`);
  await say('DATA');
  const answer = await say(`${data}\r\n.`);
  await say('QUIT');
  socket.destroy();
  return answer;
}
