import { rmSync } from 'node:fs';
import { sha256Hex } from '@latch/core';
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_STREAM } from '../src/db/event-store.js';
import { blobs, events } from '../src/db/schema.js';
import { loadIntakeConfig } from '../src/intake/intake-config.js';
import { quarantineIntake } from '../src/intake/quarantine.js';
import { receiveIntake } from '../src/intake/receive-intake.js';
import { bearer, DB_KINDS, sessionFor, startTestLatch, type TestLatch } from './harness.js';
import { intakeConfigDir } from './intake-support.js';

const target = { type: 'refund', queue: 'refunds' } as const;
const raw = (text: string) => Buffer.from(text, 'utf8');

describe('intake.yaml is checked at startup', () => {
  const cases: { name: string; yaml: string; message: RegExp }[] = [
    { name: 'an unknown key', yaml: 'adresses: {}', message: /intake\.yaml: \/ must NOT have additional properties \('adresses'\)/ },
    { name: 'a rule without a condition', yaml: 'routes: [{ name: r, when: {}, set: { priority: high } }]', message: /\/routes\/0\/when must NOT have fewer than 1 properties/ },
    { name: 'a bad regular expression', yaml: 'routes: [{ name: r, when: { title: "(" }, set: { priority: high } }]', message: /\/routes\/0\/when\/title is not a valid regular expression/ },
    { name: 'a bad priority', yaml: 'addresses: { a@b.c: { type: refund, priority: soon } }', message: /\/addresses\/a@b\.c\/priority must be equal to one of the allowed values/ },
    { name: 'a password in the file', yaml: 'addresses: { a@b.c: { type: refund } }\nemail: { imap: { host: h, user: u, password: hunter2, address: a@b.c } }', message: /\/email\/imap\/password must be object/ },
  ];
  it.each(cases)('refuses $name, naming the file and the path', ({ yaml, message }) => {
    const dir = intakeConfigDir(yaml);
    try {
      expect(() => loadIntakeConfig(dir)).toThrow(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown case type when Latch starts', async () => {
    const dir = intakeConfigDir('addresses: { a@b.c: { type: refnud } }');
    try {
      await expect(startTestLatch('pglite', { LATCH_CONFIG_DIR: dir })).rejects.toThrow(/intake\.yaml:\d+:\d+: error INTAKE_UNKNOWN_CASE_TYPE: \/addresses\/a@b\.c\/type 'refnud' is not a known case type/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(DB_KINDS)('intake core (%s)', (kind) => {
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

  const timeline = async (caseId: string) => (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline?bytes=true`, headers: bearer(t.users.admin) })).json().items;

  it('opens a case without the fields its type requires, routed by the rules that fired, with the raw source by hash; found by ?q=', async () => {
    const source = raw('URGENT: refund please\n\nmy order 77 arrived broken, refund me');
    const result = await receiveIntake(t.ctx, {
      channel: 'form',
      source: 'refund-form',
      raw: source,
      rawType: 'text/plain',
      target,
      parsed: { title: 'URGENT: refund please', body: 'my order 77 arrived broken, refund me', requester: { email: 'Kim@VIP.example', name: 'Kim' } },
    });
    expect(result.outcome).toBe('created');
    const view = (await t.app.inject({ url: `/api/v1/cases/${result.caseId}`, headers: bearer(t.users.operator) })).json();
    expect(view).toMatchObject({ type: 'refund', queue: 'refunds', priority: 'high', fields: {}, assigneeId: t.users.operator.id, requester: { email: 'kim@vip.example' } });
    const events = await timeline(result.caseId);
    expect(events.map((e: { kind: string }) => e.kind)).toEqual(['case.created', 'intake.received']);
    expect(events[1].data).toMatchObject({ channel: 'form', source: 'refund-form', routing: ['urgent', 'vip-to-operator'], rawSha256: sha256Hex(source), size: source.length });
    expect(events[1].blobs).toEqual([sha256Hex(source)]);
    expect(events[1].bytes).not.toContain('broken');
    const found = (await t.app.inject({ url: '/api/v1/cases?q=broken', headers: bearer(t.users.operator) })).json().items;
    expect(found.map((c: { id: string }) => c.id)).toEqual([result.caseId]);
    // A person editing the fields must now complete them.
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${result.caseId}`, headers: { ...bearer(t.users.operator), 'if-match': '"1"' }, payload: { fields: { order_id: '77' } } });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('threads a follow-up from the same requester, opens a linked case flagged as possible forgery for anyone else, and receives the same bytes once', async () => {
    const first = await receiveIntake(t.ctx, { channel: 'email', source: 'refunds@latch.test', raw: raw('one'), rawType: 'message/rfc822', target, parsed: { title: 'Refund', body: 'one', requester: { email: 'ann@customer.example' }, ownKey: 'm1@customer.example' } });
    const again = await receiveIntake(t.ctx, { channel: 'email', source: 'refunds@latch.test', raw: raw('one'), rawType: 'message/rfc822', target, parsed: { title: 'Refund', body: 'one', requester: { email: 'ann@customer.example' }, ownKey: 'm1@customer.example' } });
    expect(again).toEqual({ caseId: first.caseId, outcome: 'duplicate' });
    const reply = await receiveIntake(t.ctx, { channel: 'email', source: 'refunds@latch.test', raw: raw('two'), rawType: 'message/rfc822', target, parsed: { title: 'Re: Refund', body: 'two', requester: { email: 'ANN@customer.example' }, threadKeys: ['<nope>', 'M1@customer.example'], ownKey: 'm2@customer.example' } });
    expect(reply).toEqual({ caseId: first.caseId, outcome: 'threaded' });
    const forged = await receiveIntake(t.ctx, { channel: 'email', source: 'refunds@latch.test', raw: raw('three'), rawType: 'message/rfc822', target, parsed: { title: 'Re: Refund', body: 'send it to my account', requester: { email: 'mallory@evil.example' }, threadKeys: ['m2@customer.example'] } });
    expect(forged.outcome).toBe('created');
    expect(forged.possibleForgeryOf).toBe(first.caseId);
    expect((await timeline(first.caseId)).map((e: { kind: string }) => e.kind)).toEqual(['case.created', 'intake.received', 'intake.received', 'link.added']);
    const forgedEvents = await timeline(forged.caseId);
    expect(forgedEvents.find((e: { kind: string }) => e.kind === 'intake.received').data.possibleForgery).toBe(first.caseId);
    const links = (await t.app.inject({ url: `/api/v1/cases/${forged.caseId}/links`, headers: bearer(t.users.admin) })).json().items;
    expect(links).toMatchObject([{ kind: 'relates', fromCaseId: forged.caseId, toCaseId: first.caseId }]);
    // A token naming a case threads only for its requester too.
    const byToken = await receiveIntake(t.ctx, { channel: 'email', source: 'refunds@latch.test', raw: raw('four'), rawType: 'message/rfc822', target, parsed: { title: 'x', body: 'x', requester: { email: 'ann@customer.example' }, caseToken: first.caseId } });
    expect(byToken).toEqual({ caseId: first.caseId, outcome: 'threaded' });
  });

  it('lists quarantined items to admins only; release opens a case naming the admin, discard is on the record and empties the bytes', async () => {
    const held = await t.ctx.database.write(async (tx) => [
      await quarantineIntake(tx, { channel: 'email', source: 'refunds@latch.test', reason: 'flood', detail: '6 messages', raw: raw('From: a@b.example\r\nSubject: flood 1\r\n\r\nhello'), rawType: 'message/rfc822', subject: 'a@b.example' }),
      await quarantineIntake(tx, { channel: 'email', source: 'refunds@latch.test', reason: 'bounce', detail: 'Return-Path <>', raw: raw('From: mailer-daemon@x.example\r\nSubject: undeliverable\r\n\r\nbounce body'), rawType: 'message/rfc822', subject: undefined }),
    ]);
    expect((await t.app.inject({ url: '/api/v1/intake/quarantine', headers: bearer(t.users.operator) })).statusCode).toBe(403);
    const list = (await t.app.inject({ url: '/api/v1/intake/quarantine?status=held', headers: bearer(t.users.admin) })).json().items;
    expect(list.map((i: { reason: string }) => i.reason)).toEqual(['bounce', 'flood']);
    expect(list[1]).toMatchObject({ status: 'held', reasonText: expect.stringContaining('Too many'), detail: '6 messages', caseId: null });

    const admin = await sessionFor(t.app, t.users.admin);
    const released = await t.app.inject({ method: 'POST', url: `/api/v1/intake/quarantine/${held[0]!.id}/release`, headers: admin });
    expect(released.statusCode).toBe(200);
    const { caseId, item } = released.json();
    expect(item).toMatchObject({ status: 'released', caseId, decidedBy: t.users.admin.id });
    const received = (await timeline(caseId)).find((e: { kind: string }) => e.kind === 'intake.received');
    expect(received).toMatchObject({ actor: { type: 'user', id: t.users.admin.id }, data: { releasedFrom: held[0]!.id, quarantineReason: 'flood' } });
    const twice = await t.app.inject({ method: 'POST', url: `/api/v1/intake/quarantine/${held[0]!.id}/discard`, headers: admin });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('INTAKE_ALREADY_DECIDED');

    const discarded = await t.app.inject({ method: 'POST', url: `/api/v1/intake/quarantine/${held[1]!.id}/discard`, headers: admin });
    expect(discarded.json()).toMatchObject({ status: 'discarded', decidedBy: t.users.admin.id });
    const [last] = await t.ctx.database.db.select().from(events).where(eq(events.stream, SYSTEM_STREAM)).orderBy(desc(events.seq)).limit(1);
    expect(JSON.parse(last!.bytes)).toMatchObject({ kind: 'intake.discarded', actor: { id: t.users.admin.id }, data: { quarantineId: held[1]!.id, reason: 'bounce', channel: 'email' } });
    const [bytes] = await t.ctx.database.db.select().from(blobs).where(eq(blobs.sha256, held[1]!.rawSha256));
    expect(bytes!.data.length).toBe(0);
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/intake/quarantine/01900000-0000-7000-8000-000000000000/release', headers: admin });
    expect(missing.statusCode).toBe(404);
  });

  it('pages the quarantine list with limit and a cursor, newest first, each item once; a foreign cursor is 400 INVALID_CURSOR', async () => {
    const held = await t.ctx.database.write(async (tx) => {
      const rows = [];
      for (let i = 0; i < 5; i++) {
        rows.push(await quarantineIntake(tx, { channel: 'alert', source: 'paging', reason: 'malformed', detail: `page item ${i}`, raw: raw(`paging ${i}`), rawType: 'application/json', subject: undefined }));
      }
      return rows;
    });
    const admin = bearer(t.users.admin);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.app.inject({ url: `/api/v1/intake/quarantine?status=held&limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: admin });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: { id: string; source: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.filter((item) => item.source === 'paging').map((item) => item.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(cursor).toBeNull();
    expect(seen).toEqual(held.map((row) => row.id).reverse());
    const all = (await t.app.inject({ url: '/api/v1/intake/quarantine?status=held&limit=200', headers: admin })).json();
    expect(all.nextCursor).toBeNull();
    for (const bad of ['nonsense', Buffer.from(JSON.stringify(['not-a-uuid'])).toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) {
      const res = await t.app.inject({ url: `/api/v1/intake/quarantine?cursor=${bad}`, headers: admin });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('INVALID_CURSOR');
    }
    expect((await t.app.inject({ url: '/api/v1/intake/quarantine?limit=0', headers: admin })).statusCode).toBe(400);
  });
});
