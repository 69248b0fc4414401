import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../src/audit/verify-store.js';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { readStream, SYSTEM_STREAM } from '../src/db/event-store.js';
import { bearer, DB_KINDS, refundBody, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';
import { runLatch } from './process.js';

async function rows<T>(t: TestLatch, query: SQL): Promise<T[]> {
  const result = await t.ctx.database.db.execute(query);
  return (Array.isArray(result) ? result : (result as unknown as { rows: T[] }).rows) as T[];
}

/** Every row of every table, as JSON text (bytea shows as hex): what a database dump would hold. */
async function databaseText(t: TestLatch): Promise<string> {
  const tables = await rows<{ schema: string; name: string }>(
    t,
    sql`select table_schema as schema, table_name as name from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
  );
  const parts: string[] = [];
  for (const { schema, name } of tables) {
    const dump = await rows<{ row: string }>(t, sql.raw(`select row_to_json(x)::text as row from "${schema}"."${name}" x`));
    parts.push(...dump.map((r) => r.row));
  }
  return parts.join('\n').toLowerCase();
}

const count = async (t: TestLatch, table: 'events' | 'personal_data') => (await rows<{ n: number }>(t, sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n;

const ERIN = 'erin.erasable@customer.example';
const PASSPORT = 'ERIN-PASSPORT-SCAN-0001';
const SHARED = 'SHARED-RECEIPT-BYTES-7';
/** What must be nowhere in the database after Erin is erased (blob contents are searched as hex too). */
const ERIN_TEXT = [ERIN, 'Erin Erasable', 'Quiet Lane', '7946 0000', 'erin-passport', 'erin-receipt', PASSPORT];
const refundInput = { payment_intent: 'pi_1', amount_minor: 75_000, currency: 'usd', reason: 'duplicate' };

describe.each(DB_KINDS)('erasure API on %s', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind);
  });
  afterAll(async () => t?.close());

  const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, headers: Record<string, string>, payload?: unknown) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const attach = (caseId: string, filename: string, content: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/attachments?filename=${filename}`, headers: { ...bearer(t.users.operator), 'content-type': 'text/plain' }, payload: Buffer.from(content) });

  it('erases a requester: values, read models and unshared blobs go; events, hashes and a shared blob stay', async () => {
    const op = bearer(t.users.operator);
    const admin = bearer(t.users.admin);
    const erinCase = refundBody({
      title: 'Refund for Erin Erasable',
      description: 'Parcel never reached 12 Quiet Lane',
      requester: { email: 'Erin.Erasable@Customer.example', name: 'Erin Erasable' },
      fields: { order_id: '7', amount_minor: 4999, currency: 'usd', payment_intent: 'pi_7', customer_email: ERIN },
    });
    const created = await inject('POST', '/api/v1/cases', { ...op, 'idempotency-key': 'erin-case' }, erinCase);
    expect(created.statusCode).toBe(201);
    const erin = created.json().id as string;
    expect((await inject('PATCH', `/api/v1/cases/${erin}`, op, { version: 1, title: 'Refund for Erin Erasable, order 7' })).statusCode).toBe(200);
    expect((await inject('POST', `/api/v1/cases/${erin}/notes`, op, { body: 'Called back on 020 7946 0000' })).statusCode).toBe(201);
    const passport = (await attach(erin, 'erin-passport.txt', PASSPORT)).json().id as string;
    const receipt = (await attach(erin, 'erin-receipt.txt', SHARED)).json().id as string;
    const bobBody = refundBody({ requester: { email: 'bob@customer.example', name: 'Bob Keeps' }, fields: { order_id: '8', amount_minor: 100, currency: 'usd', customer_email: 'bob@customer.example' } });
    const bob = (await inject('POST', '/api/v1/cases', op, bobBody)).json().id as string;
    const bobReceipt = (await attach(bob, 'bob-receipt.txt', SHARED)).json().id as string;
    const action = (await inject('POST', `/api/v1/cases/${erin}/actions`, op, { plugin: 'stripe', action: 'refund', input: refundInput })).json();
    expect(action.status).toBe('awaiting_approval');

    // A dry run says what would go, and that a pending action blocks it; then the refusal writes nothing.
    const dry = await inject('POST', '/api/v1/erasures?dryRun=true', admin, { subject: ERIN });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ dryRun: true, erasureId: null, values: 10, cases: [erin], blobs: { erased: 1, kept: 1 }, userId: null, storedResponses: 1 });
    expect(dry.json().blockedBy).toEqual([{ actionId: action.id, caseId: erin, status: 'awaiting_approval' }]);
    const counts = [await count(t, 'events'), await count(t, 'personal_data')];
    const blocked = await inject('POST', '/api/v1/erasures', admin, { subject: ERIN });
    expect([blocked.statusCode, blocked.json().error.code]).toEqual([409, 'ERASURE_BLOCKED']);
    expect([await count(t, 'events'), await count(t, 'personal_data')]).toEqual(counts);
    expect((await inject('POST', `/api/v1/actions/${action.id}/cancel`, op, {})).statusCode).toBe(200);

    const before = await rows<{ id: string; hash: string; bytes: string }>(t, sql`select id, hash, bytes from events order by id`);
    expect((await inject('POST', '/api/v1/erasures', op, { subject: ERIN })).statusCode).toBe(403);
    const namesSubject = await inject('POST', '/api/v1/erasures', admin, { subject: ERIN, reason: `asked by ${ERIN}` });
    expect([namesSubject.statusCode, namesSubject.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);

    const erased = await inject('POST', '/api/v1/erasures', { ...admin, 'idempotency-key': 'erase-erin' }, { subject: ERIN, reason: 'TICKET-4711' });
    expect(erased.statusCode).toBe(200);
    const report = erased.json();
    expect(report).toMatchObject({ dryRun: false, values: 10, cases: [erin], blobs: { erased: 1, kept: 1 }, userId: null, storedResponses: 1, blockedBy: [] });
    const replay = await inject('POST', '/api/v1/erasures', { ...admin, 'idempotency-key': 'erase-erin' }, { subject: ERIN, reason: 'TICKET-4711' });
    expect([replay.headers['idempotent-replayed'], replay.json()]).toEqual(['true', report]);
    const again = await inject('POST', '/api/v1/erasures', admin, { subject: ERIN });
    expect([again.statusCode, again.json().error.code]).toEqual([404, 'SUBJECT_NOT_FOUND']);

    // Not one hashed byte changed, and every chain verifies.
    const after = new Map((await rows<{ id: string; hash: string; bytes: string }>(t, sql`select id, hash, bytes from events`)).map((e) => [e.id, e]));
    for (const event of before) expect(after.get(event.id)).toEqual(event);
    expect(await verifyStore(t.ctx.database.db)).toMatchObject({ ok: true, broken: [] });

    // The timeline keeps its shape; the values read as erased; subject.erased says how much, not whose.
    const timeline = (await inject('GET', `/api/v1/cases/${erin}/timeline?bytes=true`, op)).json().items;
    const byKind = (kind: string) => timeline.filter((e: { kind: string }) => e.kind === kind);
    const gone = { erased: true };
    expect(byKind('case.created')[0].data).toMatchObject({ title: gone, description: gone, requester: { email: gone, name: gone }, fields: { customer_email: gone, order_id: '7' } });
    expect(byKind('field.changed')[0].data.changes[0]).toEqual({ field: 'title', old: gone, new: gone });
    expect(byKind('note.added')[0].data.body).toEqual(gone);
    expect(byKind('attachment.added').map((e: { data: { filename: unknown } }) => e.data.filename)).toEqual([gone, gone]);
    const caseErased = timeline.at(-1);
    expect(caseErased).toMatchObject({ kind: 'subject.erased', reason: 'TICKET-4711', data: { erasureId: report.erasureId, values: 10, blobs: 1 } });
    const system = (await readStream(t.ctx.database.db, SYSTEM_STREAM, { includeBytes: true })).filter((e) => e.kind === 'subject.erased');
    expect(system).toHaveLength(1);
    expect(system[0]!.data).toEqual({ erasureId: report.erasureId, cases: 1, values: 10, blobs: { erased: 1, kept: 1 }, userId: null, storedResponses: 1 });
    for (const bytes of [caseErased.bytes, system[0]!.bytes]) expect(bytes.toLowerCase()).not.toContain('erin');

    // Read models: scrubbed but usable; downloads say erased; Bob keeps the shared bytes and his data.
    const read = (await inject('GET', `/api/v1/cases/${erin}`, op)).json();
    expect(read).toMatchObject({ title: '[erased]', description: '', requester: { email: null, name: null }, fields: { order_id: '7', amount_minor: 4999 } });
    expect(read.fields).not.toHaveProperty('customer_email');
    expect((await inject('GET', `/api/v1/cases/${erin}/notes`, op)).json().items.map((n: { body: string }) => n.body)).toEqual(['[erased]']);
    expect((await inject('GET', `/api/v1/cases/${erin}/attachments`, op)).json().items.map((a: { filename: string }) => a.filename)).toEqual(['[erased]', '[erased]']);
    for (const id of [passport, receipt]) {
      const download = await inject('GET', `/api/v1/cases/${erin}/attachments/${id}`, op);
      expect([download.statusCode, download.json().error.code]).toEqual([410, 'ERASED']);
    }
    const bobDownload = await inject('GET', `/api/v1/cases/${bob}/attachments/${bobReceipt}`, op);
    expect([bobDownload.statusCode, bobDownload.body]).toEqual([200, SHARED]);
    expect((await inject('GET', `/api/v1/cases/${bob}/timeline`, op)).json().items[0].data.requester.email).toBe('bob@customer.example');
    const replayedCreate = await inject('POST', '/api/v1/cases', { ...op, 'idempotency-key': 'erin-case' }, erinCase);
    expect([replayedCreate.statusCode, replayedCreate.json().error.code]).toEqual([410, 'ERASED']);
    const edited = await inject('PATCH', `/api/v1/cases/${erin}`, op, { version: read.version, fields: { order_id: '7b' } });
    expect(edited.statusCode).toBe(200);

    // Nowhere in any table, in clear or as blob bytes.
    const dump = await databaseText(t);
    for (const text of ERIN_TEXT) {
      expect(dump, text).not.toContain(text.toLowerCase());
      expect(dump, `${text} (hex)`).not.toContain(Buffer.from(text).toString('hex'));
    }
    expect(dump).toContain(Buffer.from(SHARED).toString('hex'));
    expect(dump).toContain('bob@customer.example');
  });

  it('keeps a shared blob while another subject holds it, and erases it with the last one', async () => {
    const content = 'SHARED-BETWEEN-CARL-AND-DANA';
    const open = async (email: string) => {
      const body = refundBody({ requester: { email, name: email }, fields: { order_id: '3', amount_minor: 100, currency: 'usd' } });
      const id = (await inject('POST', '/api/v1/cases', bearer(t.users.operator), body)).json().id as string;
      return { id, attachment: (await attach(id, 'statement.txt', content)).json().id as string };
    };
    const [carl, dana] = [await open('carl@customer.example'), await open('dana@customer.example')];
    const erase = async (subject: string) => (await inject('POST', '/api/v1/erasures', bearer(t.users.admin), { subject })).json();
    expect((await erase('carl@customer.example')).blobs).toEqual({ erased: 0, kept: 1 });
    expect((await inject('GET', `/api/v1/cases/${dana.id}/attachments/${dana.attachment}`, bearer(t.users.operator))).body).toBe(content);
    // Carl's erased attachment.added no longer keeps the bytes: Dana's was the last live reference.
    expect((await erase('dana@customer.example')).blobs).toEqual({ erased: 1, kept: 0 });
    for (const { id, attachment } of [carl, dana]) expect((await inject('GET', `/api/v1/cases/${id}/attachments/${attachment}`, bearer(t.users.operator))).statusCode).toBe(410);
    expect(await databaseText(t)).not.toContain(Buffer.from(content).toString('hex'));
  });

  it('erases a user account with that email: anonymised, disabled, its token revoked; never the caller’s own', async () => {
    const system = { type: 'system', id: 'test' } as const;
    const uma = await t.ctx.database.write((tx) => createUser(tx, { email: 'uma@customer.example', name: 'Uma Requester', roles: ['requester'] }, system));
    const { token } = await t.ctx.database.write((tx) => createToken(tx, uma, { name: 'uma', scopes: ['*'] }, system));
    const asUma = { authorization: `Bearer ${token}` };
    const own = await inject('POST', '/api/v1/cases', asUma, { type: 'refund', title: 'Uma wants her money', fields: { order_id: '9', amount_minor: 100, currency: 'usd' } });
    expect(own.json().requester).toMatchObject({ userId: uma.id, email: 'uma@customer.example' });

    const res = await inject('POST', '/api/v1/erasures', bearer(t.users.admin), { subject: 'uma@customer.example' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ userId: uma.id, cases: [own.json().id], values: 5 });
    expect((await inject('GET', '/api/v1/me', asUma)).statusCode).toBe(401);
    const user = (await inject('GET', `/api/v1/users/${uma.id}`, bearer(t.users.admin))).json();
    expect(user).toMatchObject({ email: `erased-${uma.id}@erased.invalid`, name: '[erased]', disabled: true });
    const created = (await readStream(t.ctx.database.db, SYSTEM_STREAM)).find((e) => e.kind === 'user.created' && (e.data as { userId: string }).userId === uma.id);
    expect(created?.data).toMatchObject({ email: { erased: true }, name: { erased: true } });
    const dump = await databaseText(t);
    expect(dump).not.toContain('uma@customer.example');
    expect(dump).not.toContain('uma requester');

    const self = await inject('POST', '/api/v1/erasures', bearer(t.users.admin), { subject: t.users.admin.email });
    expect([self.statusCode, self.json().error.code]).toEqual([403, 'PERMISSION_DENIED']);
  });

  it('refuses an unknown subject with 404 SUBJECT_NOT_FOUND and writes nothing', async () => {
    const counts = [await count(t, 'events'), await count(t, 'personal_data')];
    for (const dryRun of ['', '?dryRun=true']) {
      const res = await inject('POST', `/api/v1/erasures${dryRun}`, bearer(t.users.admin), { subject: 'nobody@nowhere.example' });
      expect([res.statusCode, res.json().error.code]).toEqual([404, 'SUBJECT_NOT_FOUND']);
    }
    expect([await count(t, 'events'), await count(t, 'personal_data')]).toEqual(counts);
  });
});

describe('latch erase on PostgreSQL', () => {
  it('says what it would erase without --yes, erases with it, and verify still passes', async () => {
    const t = await startTestLatch('postgres');
    try {
      const subject = 'cli.subject@customer.example';
      const body = refundBody({ requester: { email: subject, name: 'Cli Subject' }, fields: { order_id: '1', amount_minor: 5, currency: 'usd', customer_email: subject } });
      const id = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: body })).json().id as string;
      const env = { ...process.env, LATCH_DATABASE_URL: t.databaseUrl!, LATCH_LOG: 'off', LATCH_LOG_KEY: TEST_LOG_KEY };

      const dry = runLatch(env, ['erase', '--subject', subject]);
      expect([dry.status, dry.stderr]).toEqual([0, 'nothing erased: run again with --yes to erase\n']);
      expect(dry.stdout).toContain(`would erase: 4 personal value(s) in 1 case(s)`);
      expect(dry.stdout).toContain(`case ${id}`);
      const erased = runLatch(env, ['erase', '--subject', subject, '--reason', 'TICKET-9', '--yes']);
      expect(erased.status, erased.stderr).toBe(0);
      expect(erased.stdout).toMatch(/^erased: 4 personal value\(s\) in 1 case\(s\)/);
      expect(erased.stdout).toMatch(/erasure [0-9a-f-]{36} recorded as subject.erased/);
      expect(runLatch(env, ['verify', '--all']).status).toBe(0);
      const again = runLatch(env, ['erase', '--subject', subject, '--yes']);
      expect(again.status).toBe(2);
      expect(again.stderr).toContain('SUBJECT_NOT_FOUND');
      expect(await databaseText(t)).not.toContain(subject);
    } finally {
      await t.close();
    }
  });
});
