import { rmSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobs, intakeQuarantine } from '../src/db/schema.js';
import { bearer, DB_KINDS, startTestLatch, type TestLatch } from './harness.js';
import { intakeConfigDir } from './intake-support.js';

describe.each(DB_KINDS)('erasing a subject clears their quarantined intake (%s)', (kind) => {
  let t: TestLatch;
  let dir: string;
  let smtp: ReturnType<typeof nodemailer.createTransport>;
  beforeAll(async () => {
    dir = intakeConfigDir();
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir, LATCH_SMTP_PORT: '0' });
    smtp = nodemailer.createTransport({ host: '127.0.0.1', port: t.ctx.intake.smtpPort!, secure: false, ignoreTLS: true });
  });
  afterAll(async () => {
    smtp?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (message: Mail.Options) => smtp.sendMail({ to: 'refunds@latch.test', ...message });
  const erase = async (subject: string, dryRun = false) =>
    t.app.inject({ method: 'POST', url: `/api/v1/erasures${dryRun ? '?dryRun=true' : ''}`, headers: bearer(t.users.admin), payload: { subject, reason: 'TICKET-11' } });
  const quarantined = async () =>
    t.ctx.database.db
      .select({ id: intakeQuarantine.id, subject: intakeQuarantine.subject, status: intakeQuarantine.status, reason: intakeQuarantine.reason, size: blobs.size, bytes: blobs.data })
      .from(intakeQuarantine)
      .innerJoin(blobs, eq(blobs.sha256, intakeQuarantine.rawSha256));

  it('the sender is forgotten and the raw bytes emptied (hash kept), held items discarded; other senders’ items stay', async () => {
    await send({ from: 'jane@customer.example', subject: 'Refund 8801', text: 'The lamp 8801 is broken.' });
    await send({ from: 'Jane@Customer.example', subject: 'Out of office', text: 'jane is away until 8802', headers: { 'Auto-Submitted': 'auto-replied' } });
    await send({ from: 'jane@customer.example', subject: 'Deals', text: 'jane list 8803', headers: { Precedence: 'bulk' } });
    await send({ from: 'kim@customer.example', subject: 'Out of office', text: 'kim is away 8804', headers: { 'Auto-Submitted': 'auto-replied' } });
    const held = await quarantined();
    expect(held.map((h) => h.subject).sort()).toEqual(['jane@customer.example', 'jane@customer.example', 'kim@customer.example']);
    const bulk = held.find((h) => h.reason === 'bulk')!;
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/intake/quarantine/${bulk.id}/discard`, headers: bearer(t.users.admin) })).statusCode).toBe(200);

    const dry = await erase('jane@customer.example', true);
    expect(dry.json()).toMatchObject({ dryRun: true, quarantined: 2 });
    expect((await quarantined()).filter((h) => h.subject === 'jane@customer.example')).toHaveLength(2);

    const erased = await erase('JANE@customer.example');
    expect(erased.statusCode).toBe(200);
    expect(erased.json()).toMatchObject({ dryRun: false, quarantined: 2 });
    const after = await quarantined();
    const janes = after.filter((h) => held.find((x) => x.id === h.id)!.subject === 'jane@customer.example');
    expect(janes.map((h) => ({ subject: h.subject, status: h.status, bytes: h.bytes.length, sized: h.size > 0 }))).toEqual([
      { subject: null, status: 'discarded', bytes: 0, sized: true },
      { subject: null, status: 'discarded', bytes: 0, sized: true },
    ]);
    const kims = after.filter((h) => h.subject === 'kim@customer.example');
    expect(kims).toHaveLength(1);
    expect(kims[0]!.status).toBe('held');
    expect(kims[0]!.bytes.toString('utf8')).toContain('kim is away 8804');
  });

  it('a sender known only from quarantine can be erased (not SUBJECT_NOT_FOUND); asked again, nothing is left', async () => {
    await send({ from: 'lee@customer.example', subject: 'Auto: away', text: 'lee away 8901', headers: { 'Auto-Submitted': 'auto-generated' } });
    const first = await erase('lee@customer.example');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ cases: [], quarantined: 1 });
    const again = await erase('lee@customer.example');
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('SUBJECT_NOT_FOUND');
  });
});
