import { rmSync } from 'node:fs';
import { sha256Hex } from '@latch/core';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobs } from '../src/db/schema.js';
import { receiveEmail } from '../src/intake/email/receive-email.js';
import { bearer, DB_KINDS, startTestLatch, type TestLatch } from './harness.js';
import { intakeConfigDir } from './intake-support.js';

const YAML = `
addresses:
  refunds@latch.test: { type: refund, queue: refunds }
forms:
  refund-request: { type: refund, queue: refunds, title: "Ask for a refund", maxBytes: 2048, perClientPerHour: 3 }
`;
const FORM = 'application/x-www-form-urlencoded';
const valid = {
  name: 'Kim Lee',
  email: 'kim@example.com',
  subject: 'Refund for order 1042',
  message: 'The blender arrived cracked',
  'field.order_id': '1042',
  'field.amount_minor': '2599',
  'field.currency': 'usd',
  website: '',
};

describe.each(DB_KINDS)('intake by public form (%s)', (kind) => {
  let t: TestLatch;
  let dir: string;
  let client = 0;
  beforeAll(async () => {
    dir = intakeConfigDir(YAML);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (url: string) => (await t.app.inject({ url, headers: bearer(t.users.admin) })).json();
  /** Each test posts from an address of its own, so the per-client limit counts only its posts. */
  const post = (fields: Record<string, string>, remoteAddress = `10.0.0.${++client}`, slug = 'refund-request') => {
    const payload = new URLSearchParams(fields).toString();
    return t.app.inject({ method: 'POST', url: `/forms/${slug}`, headers: { 'content-type': FORM }, payload, remoteAddress }).then((res) => ({ res, payload }));
  };
  const referenceOf = (html: string) => /Your reference is <code>([0-9a-f-]{36})<\/code>/.exec(html)?.[1];

  it('serves the form as plain HTML: labels from x-label, choices from the enum, a hidden honeypot, no script', async () => {
    const res = await t.app.inject({ url: '/forms/refund-request' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'.*form-action 'self'/);
    expect(res.body).toContain('<h1>Ask for a refund</h1>');
    expect(res.body).toMatch(/<label for="f-field-order_id">Order <span class="req">\(required\)<\/span><\/label>/);
    expect(res.body).toMatch(/<select id="f-field-currency" name="field.currency" required>.*<option value="eur">/);
    expect(res.body).toContain('<label for="f-field-payment_intent">Stripe payment intent</label>');
    expect(res.body).toMatch(/<div class="hp" aria-hidden="true">.*name="website" tabindex="-1"/);
    expect(res.body).not.toMatch(/<script/i);
    const missing = await t.app.inject({ url: '/forms/no-such-form' });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('NOT_FOUND');
  });

  it('a post opens a case with typed fields and the exact post as raw source, found by ?q=; the reference threads a reply by email', async () => {
    const { res, payload } = await post(valid);
    expect(res.statusCode).toBe(201);
    const reference = referenceOf(res.body);
    expect(reference).toBeDefined();
    expect(res.body).toContain(`[Latch case ${reference}]`);
    const view = await get(`/api/v1/cases/${reference}`);
    expect(view).toMatchObject({ type: 'refund', queue: 'refunds', title: 'Refund for order 1042', fields: { order_id: '1042', amount_minor: 2599, currency: 'usd' }, requester: { email: 'kim@example.com' } });
    const events = (await get(`/api/v1/cases/${reference}/timeline`)).items;
    const received = events.find((e: { kind: string }) => e.kind === 'intake.received');
    expect(received.data).toMatchObject({ channel: 'form', source: 'refund-request', rawType: FORM, rawSha256: sha256Hex(Buffer.from(payload)), size: payload.length });
    const [blob] = await t.ctx.database.db.select().from(blobs).where(eq(blobs.sha256, received.data.rawSha256));
    expect(blob!.data.toString('utf8')).toBe(payload);
    const found = (await get('/api/v1/cases?q=blender')).items.map((c: { id: string }) => c.id);
    expect(found).toEqual([reference]);

    const reply = Buffer.from(`From: Kim Lee <kim@example.com>\r\nTo: refunds@latch.test\r\nSubject: Re: [Latch case ${reference}] photos\r\nMessage-ID: <f1@example.com>\r\n\r\nPhotos of the crack attached.\r\n`);
    const followed = await receiveEmail(t.ctx, { raw: reply, address: 'refunds@latch.test', envelopeFrom: 'kim@example.com' });
    expect(followed).toMatchObject({ caseId: reference, outcome: 'threaded' });
  });

  it('a filled honeypot is quarantined with its reason and answered like a success, with a reference to no case', async () => {
    const { res, payload } = await post({ ...valid, subject: 'cheap pills', website: 'http://spam.example' });
    expect(res.statusCode).toBe(201);
    const reference = referenceOf(res.body);
    expect(reference).toBeDefined();
    expect((await t.app.inject({ url: `/api/v1/cases/${reference}`, headers: bearer(t.users.admin) })).statusCode).toBe(404);
    const held = (await get('/api/v1/intake/quarantine?status=held')).items;
    expect(held).toContainEqual(expect.objectContaining({ channel: 'form', source: 'refund-request', reason: 'honeypot', rawSha256: sha256Hex(Buffer.from(payload)) }));
    expect((await get('/api/v1/cases?q=pills')).items).toEqual([]);
  });

  it('wrong inputs re-render the form with a message beside each, the values escaped, and open nothing', async () => {
    const { res } = await post({ ...valid, subject: '<script>alert(1)</script>', message: 'never stored zebra', 'field.amount_minor': '12.50', 'field.currency': '', 'field.payment_intent': 'ch_nope', email: 'not-an-address' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('Please correct the 4 marked fields.');
    expect(res.body).toContain('Amount (minor units) must be a whole number');
    expect(res.body).toContain('Currency is required');
    expect(res.body).toContain('Stripe payment intent is not in the expected format');
    expect(res.body).toContain('Your email must be an email address');
    expect(res.body).toContain('value="&#60;script&#62;alert(1)&#60;/script&#62;"');
    expect(res.body).not.toContain('<script>');
    expect(res.body).toMatch(/id="f-field-currency" name="field.currency" required aria-invalid="true" aria-describedby="f-field-currency-error"/);
    expect((await get('/api/v1/cases?q=zebra')).items).toEqual([]);
  });

  it('an oversize post is 413 PAYLOAD_TOO_LARGE, over the form’s limit or the route’s', async () => {
    for (const size of [3_000, 100_000]) {
      const { res } = await post({ ...valid, message: 'x'.repeat(size) });
      expect(res.statusCode).toBe(413);
      expect(res.body).toContain('<code>PAYLOAD_TOO_LARGE</code>');
    }
  });

  it('past its budget a client is 429 RATE_LIMITED with Retry-After; another client is not', async () => {
    const statuses: number[] = [];
    let last = '';
    for (let i = 0; i < 4; i++) {
      const { res } = await post({ ...valid, subject: `budget ${i}` }, '192.0.2.7');
      statuses.push(res.statusCode);
      last = res.body;
      if (res.statusCode === 429) expect(res.headers['retry-after']).toBe('3600');
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect(last).toContain('<code>RATE_LIMITED</code>');
    expect((await post(valid, '192.0.2.8')).res.statusCode).toBe(201);
  });

  it('reads no cookie: a post carrying a session is answered the same and opens a case as the intake, not the person', async () => {
    const payload = new URLSearchParams({ ...valid, subject: 'cookie carried walrus' }).toString();
    const res = await t.app.inject({ method: 'POST', url: '/forms/refund-request', headers: { 'content-type': FORM, cookie: 'latch_session=whatever' }, payload, remoteAddress: '10.9.9.9' });
    expect(res.statusCode).toBe(201);
    const [found] = (await get('/api/v1/cases?q=walrus')).items;
    const created = (await get(`/api/v1/cases/${found.id}/timeline`)).items[0];
    expect(created.actor).toMatchObject({ type: 'system', id: 'intake' });
  });
});
