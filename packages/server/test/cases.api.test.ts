import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../src/audit/verify-store.js';
import { bearer, DB_KINDS, refundBody, startTestLatch, type TestLatch } from './harness.js';

async function count(t: TestLatch, table: 'cases' | 'events' | 'notes' | 'attachments' | 'case_links'): Promise<number> {
  const result = await t.ctx.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`));
  const rows = (Array.isArray(result) ? result : (result as { rows: { n: number }[] }).rows) as { n: number }[];
  return rows[0]!.n;
}

describe.each(DB_KINDS)('cases API on %s', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind, { LATCH_MAX_ATTACHMENT_BYTES: '1024' });
  });
  afterAll(async () => t?.close());

  const create = (body: unknown = refundBody(), as = t.users.operator, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: { ...bearer(as), ...headers }, payload: body as object });

  it('creates a case with a hash-chained case.created event', async () => {
    const res = await create();
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ type: 'refund', typeVersion: 6, status: 'new', queue: 'refunds', priority: 'normal', version: 1 });
    expect(res.headers.etag).toBe('"1"');
    expect(body.allowedTransitions).toEqual(['in_progress', 'rejected', 'closed']);
    const timeline = await t.app.inject({ url: `/api/v1/cases/${body.id}/timeline?bytes=true`, headers: bearer(t.users.operator) });
    const [event] = timeline.json().items;
    expect(event).toMatchObject({ seq: 1, kind: 'case.created', prevHash: null, actor: { type: 'token', user: t.users.operator.id } });
    expect(event.data.title).toBe('Refund for order 1042');
    // Personal data is revealed to the reader but only a commitment is in the hashed bytes.
    expect(event.bytes).not.toContain('jane@customer.example');
    expect(event.bytes).not.toContain('Refund for order 1042');
    expect(event.data.fields.customer_email).toBe('jane@customer.example');
  });

  const refusals: { name: string; body: unknown; status: number; code: string }[] = [
    { name: 'fields failing the case type schema', body: refundBody({ fields: { order_id: '1', amount_minor: -5, currency: 'usd' } }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'a float amount', body: refundBody({ fields: { order_id: '1', amount_minor: 10.5, currency: 'usd' } }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'an unknown top-level field', body: { ...refundBody(), colour: 'red' }, status: 400, code: 'VALIDATION_FAILED' },
    { name: 'an unknown typed field', body: refundBody({ fields: { order_id: '1', amount_minor: 5, currency: 'usd', extra: 1 } }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'a wrong type', body: { ...refundBody(), title: 42 }, status: 400, code: 'VALIDATION_FAILED' },
    { name: 'an unknown case type', body: refundBody({ type: 'nope' }), status: 400, code: 'UNKNOWN_CASE_TYPE' },
    { name: 'a blank title', body: refundBody({ title: '   ' }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'an unknown assignee', body: refundBody({ assigneeId: '0190a5c4-0000-7000-8000-000000000000' }), status: 400, code: 'VALIDATION_FAILED' },
  ];
  it.each(refusals)('refuses $name with $status $code and writes nothing', async ({ body, status, code }) => {
    const [cases, events] = [await count(t, 'cases'), await count(t, 'events')];
    const res = await create(body);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect([await count(t, 'cases'), await count(t, 'events')]).toEqual([cases, events]);
  });

  it('refuses malformed JSON and oversize bodies without a stack trace', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: { ...bearer(t.users.operator), 'content-type': 'application/json' }, payload: '{"type": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('MALFORMED_JSON');
    const huge = await create(refundBody({ description: 'x'.repeat(2_000_000) }));
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(huge.body).not.toMatch(/at .*\.js/);
  });

  it('hides cases from principals who may not see them (404, not 403)', async () => {
    const { id } = (await create()).json();
    for (const user of [t.users.outsider, t.users.requester]) {
      const res = await t.app.inject({ url: `/api/v1/cases/${id}`, headers: bearer(user) });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    expect((await t.app.inject({ url: `/api/v1/cases/${id}`, headers: bearer(t.users.admin) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/api/v1/cases/${id}`, headers: bearer(t.users.approver) })).statusCode).toBe(200);
    const mine = await create({ type: 'refund', title: 'My own refund', fields: { order_id: '9', amount_minor: 100, currency: 'eur' } }, t.users.requester);
    expect(mine.statusCode).toBe(201);
    expect(mine.json().requester).toMatchObject({ userId: t.users.requester.id, email: 'requester@test.example' });
    expect((await t.app.inject({ url: `/api/v1/cases/${mine.json().id}`, headers: bearer(t.users.requester) })).statusCode).toBe(200);
  });

  it('updates with optimistic concurrency and records old and new values', async () => {
    const { id } = (await create()).json();
    const patch = (payload: object, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${id}`, headers: { ...bearer(t.users.operator), ...headers }, payload });
    expect((await patch({ priority: 'high' })).json().error.code).toBe('VERSION_REQUIRED');
    const ok = await patch({ priority: 'high', status: 'in_progress', fields: { amount_minor: 5000 }, reason: 'customer called' }, { 'if-match': '"1"' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ version: 2, priority: 'high', status: 'in_progress', fields: { amount_minor: 5000 } });
    const stale = await patch({ priority: 'low' }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { currentVersion: 2 } });
    const badMove = await patch({ version: 2, status: 'closed' });
    expect(badMove.statusCode).toBe(422);
    expect(badMove.json().error.code).toBe('INVALID_TRANSITION');
    const badField = await patch({ version: 2, fields: { currency: 'doubloons' } });
    expect(badField.json().error.code).toBe('VALIDATION_FAILED');
    const events = (await t.app.inject({ url: `/api/v1/cases/${id}/timeline`, headers: bearer(t.users.operator) })).json().items;
    expect(events.map((e: { kind: string }) => e.kind)).toEqual(['case.created', 'field.changed', 'status.changed']);
    expect(events[1].data.changes).toEqual(
      expect.arrayContaining([
        { field: 'priority', old: 'normal', new: 'high' },
        { field: 'fields.amount_minor', old: 4999, new: 5000 },
      ]),
    );
    expect(events[2]).toMatchObject({ data: { from: 'new', to: 'in_progress' }, reason: 'customer called', prevHash: events[1].hash });
  });

  it('lists with filters, full-text search and stable cursor pagination', async () => {
    const marker = `zebra${Date.now()}`;
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await create(refundBody({ title: `${marker} case ${i}`, priority: i % 2 ? 'high' : 'low' }));
      made.push(res.json().id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/cases?q=${marker}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page: { items: { id: string }[]; nextCursor: string | null } = (await t.app.inject({ url, headers: bearer(t.users.operator) })).json();
      seen.push(...page.items.map((c: { id: string }) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    const high = (await t.app.inject({ url: `/api/v1/cases?q=${marker}&priority=high`, headers: bearer(t.users.operator) })).json();
    expect(high.items).toHaveLength(3);
    const byPriority = (await t.app.inject({ url: `/api/v1/cases?q=${marker}&sort=priority&limit=4`, headers: bearer(t.users.operator) })).json();
    expect(byPriority.items.map((c: { priority: string }) => c.priority)).toEqual(['high', 'high', 'high', 'low']);
    const rest = (await t.app.inject({ url: `/api/v1/cases?q=${marker}&sort=priority&cursor=${byPriority.nextCursor}`, headers: bearer(t.users.operator) })).json();
    expect(rest.items).toHaveLength(3);
    const outsider = (await t.app.inject({ url: `/api/v1/cases?q=${marker}`, headers: bearer(t.users.outsider) })).json();
    expect(outsider.items).toHaveLength(0);
    for (const cursorValue of ['garbage', Buffer.from('["not-a-uuid"]').toString('base64url')]) {
      const bad = await t.app.inject({ url: `/api/v1/cases?cursor=${cursorValue}`, headers: bearer(t.users.operator) });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('INVALID_CURSOR');
    }
    const badFilter = await t.app.inject({ url: '/api/v1/cases?limit=5000', headers: bearer(t.users.operator) });
    expect(badFilter.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('adds notes, attachments and links, each with its event', async () => {
    const a = (await create()).json().id;
    const b = (await create()).json().id;
    const note = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${a}/notes`, headers: bearer(t.users.operator), payload: { body: '<script>alert(1)</script> checked' } });
    expect(note.statusCode).toBe(201);
    const notes = (await t.app.inject({ url: `/api/v1/cases/${a}/notes`, headers: bearer(t.users.approver) })).json().items;
    expect(notes[0].body).toBe('<script>alert(1)</script> checked');

    const upload = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${a}/attachments?filename=${encodeURIComponent('receipt <1>.html')}`,
      headers: { ...bearer(t.users.operator), 'content-type': 'text/html' },
      payload: Buffer.from('<h1>receipt</h1>'),
    });
    expect(upload.statusCode).toBe(201);
    expect(upload.json()).toMatchObject({ size: 16, contentType: 'text/html', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const download = await t.app.inject({ url: `/api/v1/cases/${a}/attachments/${upload.json().id}`, headers: bearer(t.users.operator) });
    expect(download.body).toBe('<h1>receipt</h1>');
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['content-disposition']).toMatch(/^attachment;/);
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    const tooBig = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${a}/attachments?filename=big.bin`,
      headers: { ...bearer(t.users.operator), 'content-type': 'application/octet-stream' },
      payload: Buffer.alloc(2048),
    });
    expect(tooBig.statusCode).toBe(413);
    expect(await count(t, 'attachments')).toBe(1);

    const link = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${a}/links`, headers: bearer(t.users.operator), payload: { caseId: b, kind: 'duplicates' } });
    expect(link.statusCode).toBe(201);
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${a}/links`, headers: bearer(t.users.operator), payload: { caseId: b, kind: 'duplicates' } });
    expect(again.json().error.code).toBe('ALREADY_EXISTS');
    const kinds = async (id: string) =>
      (await t.app.inject({ url: `/api/v1/cases/${id}/timeline`, headers: bearer(t.users.operator) })).json().items.map((e: { kind: string }) => e.kind);
    expect(await kinds(a)).toEqual(['case.created', 'note.added', 'attachment.added', 'link.added']);
    expect(await kinds(b)).toEqual(['case.created', 'link.added']);
    const unlink = await t.app.inject({ method: 'DELETE', url: `/api/v1/cases/${b}/links/${link.json().id}`, headers: bearer(t.users.operator) });
    expect(unlink.statusCode).toBe(204);
    expect(await kinds(a)).toContain('link.removed');
  });

  it('honours Idempotency-Key: a retry replays, a different body is refused', async () => {
    const key = { 'idempotency-key': `create-${kind}-1` };
    const first = await create(refundBody({ title: 'idempotent' }), t.users.operator, key);
    const cases = await count(t, 'cases');
    const second = await create(refundBody({ title: 'idempotent' }), t.users.operator, key);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    expect(await count(t, 'cases')).toBe(cases);
    const different = await create(refundBody({ title: 'something else' }), t.users.operator, key);
    expect(different.statusCode).toBe(422);
    expect(different.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('keeps the audit table append-only and every chain verifiable', async () => {
    for (const statement of ['update events set kind = kind', 'delete from events', 'truncate events']) {
      await expect(t.ctx.database.db.execute(sql.raw(statement))).rejects.toThrow();
    }
    const report = await verifyStore(t.ctx.database.db);
    expect(report.ok).toBe(true);
    expect(report.events).toBeGreaterThan(20);
  });
});
