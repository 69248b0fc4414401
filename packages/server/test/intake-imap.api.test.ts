import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImapPoller, type ImapPoller } from '../src/intake/imap/imap-poller.js';
import type { ImapSettings } from '../src/intake/intake-config.js';
import { startFakeImapServer, type FakeImapServer } from './fakes/imap-server.js';
import { bearer, DB_KINDS, startTestLatch, type TestLatch } from './harness.js';
import { intakeConfigDir } from './intake-support.js';

const PASSWORD_ENV = 'LATCH_TEST_IMAP_PASSWORD';
const IMAP_PASSWORD = 'imap-Secret-4711';
process.env[PASSWORD_ENV] = IMAP_PASSWORD;

/** A message as it sits in a mailbox. */
function mail(headers: Record<string, string>, body: string): string {
  const lines = Object.entries({ Date: 'Mon, 6 Jan 2025 10:00:00 +0000', 'MIME-Version': '1.0', 'Content-Type': 'text/plain; charset=utf-8', To: 'refunds@latch.test', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}\r\n`;
}

describe.each(DB_KINDS)('email intake over IMAP (%s)', (kind) => {
  let t: TestLatch;
  let dir: string;
  let imap: FakeImapServer;
  beforeAll(async () => {
    imap = await startFakeImapServer({ user: 'refunds', password: IMAP_PASSWORD });
    dir = intakeConfigDir(`
addresses:
  refunds@latch.test: { type: refund, queue: refunds }
email:
  messageIdDomain: latch.test
  imap: { host: 127.0.0.1, port: ${imap.port}, secure: false, user: refunds, password: { env: ${PASSWORD_ENV} }, mailbox: INBOX, pollSeconds: 3600, address: refunds@latch.test }
`);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir });
    await poller().pollNow(); // the poll at start, over an empty mailbox
  });
  afterAll(async () => {
    await t?.close();
    await imap?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const poller = () => t.ctx.intake.imap!;
  const settings = () => t.ctx.intake.config.email.imap!;
  const get = async (url: string) => (await t.app.inject({ url, headers: bearer(t.users.admin) })).json();
  const casesOf = async (q: string) => (await get(`/api/v1/cases?q=${encodeURIComponent(q)}`)).items as { id: string; title: string; queue: string }[];
  const seen = (uid: number) => imap.messages.find((m) => m.uid === uid)!.flags.has('\\Seen');

  it('two unseen messages become two cases in the routed queue, each flagged \\Seen; a second poll fetches nothing', async () => {
    const a = imap.add(mail({ From: 'Ann <ann@customer.example>', Subject: 'Refund for kettle 7101', 'Message-ID': '<k7101@customer.example>' }, 'The kettle 7101 leaks.'));
    const b = imap.add(mail({ From: 'bo@customer.example', Subject: 'Toaster 7102 broken', 'Message-ID': '<t7102@customer.example>' }, 'Toaster 7102 sparks.'));
    expect(await poller().pollNow()).toEqual({ unseen: 2, created: 2, threaded: 0, quarantined: 0, duplicates: 0 });
    expect(await casesOf('kettle 7101')).toMatchObject([{ title: 'Refund for kettle 7101', queue: 'refunds' }]);
    expect(await casesOf('7102')).toMatchObject([{ title: 'Toaster 7102 broken' }]);
    expect([seen(a.uid), seen(b.uid)]).toEqual([true, true]);
    expect(imap.commands).toEqual(expect.arrayContaining(['AUTHENTICATE', 'SELECT', 'UID SEARCH', 'UID FETCH', 'UID STORE', 'LOGOUT']));
    expect(await poller().pollNow()).toMatchObject({ unseen: 0, created: 0 });
  });

  it('a reply threads into its case by In-Reply-To, as over SMTP; a bounce is quarantined', async () => {
    imap.add(mail({ From: 'cy@customer.example', Subject: 'Blender 7201 missing', 'Message-ID': '<b7201@customer.example>' }, 'Blender 7201 never came.'));
    await poller().pollNow();
    imap.add(mail({ From: 'cy@customer.example', Subject: 'Re: Blender 7201 missing', 'Message-ID': '<b7201-2@customer.example>', 'In-Reply-To': '<b7201@customer.example>' }, 'Still waiting on 7201.'));
    imap.add(mail({ 'Return-Path': '<>', From: 'mailer-daemon@mx.example', Subject: 'Undelivered Mail 7201', 'Message-ID': '<dsn7201@mx.example>' }, 'bounce'));
    expect(await poller().pollNow()).toMatchObject({ unseen: 2, threaded: 1, quarantined: 1, created: 0 });
    const [opened] = await casesOf('7201');
    const messages = (await get(`/api/v1/cases/${opened!.id}/intake`)).items as { text: string }[];
    expect(messages.map((m) => m.text.trim())).toEqual(['Blender 7201 never came.', 'Still waiting on 7201.']);
    const held = (await get('/api/v1/intake/quarantine?status=held')).items as { reason: string; source: string }[];
    expect(held).toMatchObject([{ reason: 'bounce', source: 'refunds@latch.test' }]);
  });

  it('flags a message \\Seen only once its case is committed', async () => {
    const found: number[] = [];
    imap.onStore = async () => {
      found.push((await casesOf('mixer 7301')).length);
      return 'apply';
    };
    try {
      const m = imap.add(mail({ From: 'di@customer.example', Subject: 'Mixer 7301 dented', 'Message-ID': '<m7301@customer.example>' }, 'The mixer 7301 is dented.'));
      await poller().pollNow();
      expect(found).toEqual([1]);
      expect(seen(m.uid)).toBe(true);
    } finally {
      imap.onStore = undefined;
    }
  });

  it('a crash between the commit and the flag: after a restart the message is fetched again and received once', async () => {
    imap.onStore = async () => 'drop';
    const held = imap.add(mail({ From: 'ed@customer.example', Subject: 'Out of office 7401', 'Message-ID': '<ooo7401@customer.example>', 'Auto-Submitted': 'auto-replied' }, 'away'));
    const m = imap.add(mail({ From: 'ed@customer.example', Subject: 'Grill 7401 cracked', 'Message-ID': '<g7401@customer.example>' }, 'Grill 7401 cracked.'));
    expect(await poller().pollNow()).toHaveProperty('failed'); // the auto-reply is held, its flag lost
    expect(seen(held.uid)).toBe(false);
    imap.onStore = async (uids) => (uids.includes(m.uid) ? 'drop' : 'apply');
    expect(await poller().pollNow()).toHaveProperty('failed'); // the auto-reply again (held once, flagged now); the grill's case committed, its flag lost
    expect([seen(held.uid), seen(m.uid)]).toEqual([true, false]);
    expect(await casesOf('grill 7401')).toHaveLength(1);
    imap.onStore = undefined;
    await poller().stop();

    const restarted: ImapPoller = startImapPoller(t.ctx, settings(), () => undefined);
    try {
      expect(await restarted.pollNow()).toEqual({ unseen: 1, created: 0, threaded: 0, quarantined: 0, duplicates: 1 });
      expect(await casesOf('grill 7401')).toHaveLength(1);
      expect(seen(m.uid)).toBe(true);
      const autoReplies = ((await get('/api/v1/intake/quarantine?status=held')).items as { reason: string }[]).filter((i) => i.reason === 'auto_reply');
      expect(autoReplies).toHaveLength(1);
      const [grill] = await casesOf('grill 7401');
      expect((await get(`/api/v1/cases/${grill!.id}/intake`)).items).toHaveLength(1);
    } finally {
      await restarted.stop();
    }
  });

  it('bad credentials are reported once, not in a loop, without the password; the poller keeps retrying and does not crash', async () => {
    const say: { level: string; message: string }[] = [];
    process.env.LATCH_TEST_IMAP_WRONG = 'wrong-Password-99';
    const wrong: ImapSettings = { ...settings(), password: { env: 'LATCH_TEST_IMAP_WRONG' }, pollSeconds: 1 };
    const before = imap.logins.length;
    const failing = startImapPoller(t.ctx, wrong, (level, message) => say.push({ level, message }));
    try {
      for (let i = 0; i < 300 && imap.logins.length - before < 3; i++) await new Promise((r) => setTimeout(r, 50));
      expect(imap.logins.slice(before).filter((l) => !l.ok).length).toBeGreaterThanOrEqual(3);
      expect(say.filter((s) => s.level === 'warn')).toEqual([{ level: 'warn', message: expect.stringContaining('login refused') }]);
      expect(JSON.stringify(say)).not.toContain('wrong-Password-99');
      expect(await failing.pollNow()).toEqual({ failed: expect.stringContaining('login refused') });
    } finally {
      await failing.stop();
    }
    const closedPort = await startFakeImapServer({ user: 'x', password: 'y' });
    await closedPort.close();
    const unreachable = startImapPoller(t.ctx, { ...settings(), port: closedPort.port }, () => undefined);
    try {
      expect(await unreachable.pollNow()).toEqual({ failed: 'cannot connect (ECONNREFUSED)' });
    } finally {
      await unreachable.stop();
    }
  });
});
