import { createConnection } from 'node:net';
import { rmSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeConfigDir } from './intake-support.js';
import { bearer, DB_KINDS, startTestLatch, type TestLatch } from './harness.js';

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
