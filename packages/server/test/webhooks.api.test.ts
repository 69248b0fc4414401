import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resultRows } from '../src/db/database.js';
import { SYSTEM_STREAM } from '../src/db/event-store.js';
import { metricsRegistry } from '../src/metrics/metrics.js';
import { listen, personAt, runCli } from './cli-support.js';
import { startWebhookReceiver, type WebhookReceiver } from './fakes/webhook-receiver.js';
import { bearer, DB_KINDS, refundBody, startTestLatch, type TestLatch, type TestUser } from './harness.js';

const WAIT = { timeout: 45_000, interval: 100 };
const SECRET_NOTE = 'Customer says the PIN is 4471, call her at home';

interface Delivery {
  id: string;
  eventId: string;
  eventKind: string;
  status: string;
  attempts: number;
  replays: number;
  responseStatus: number | null;
  errorCode: string | null;
  durationMs: number | null;
}

describe.each(DB_KINDS)('outbound webhooks on %s', (kind) => {
  let t: TestLatch;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    t = await startTestLatch(kind, {
      LATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      LATCH_WEBHOOK_INTERVAL_MS: '100',
      LATCH_WEBHOOK_RETRY_DELAY_SECONDS: '1',
      LATCH_WEBHOOK_MAX_ATTEMPTS: '4',
      LATCH_WEBHOOK_TIMEOUT_MS: '3000',
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const api = (user: TestUser, method: string, url: string, payload?: object) =>
    t.app.inject({ method: method as 'GET', url, headers: bearer(user), ...(payload ? { payload } : {}) });
  const addEndpoint = async (path: string, filters: object = { eventTypes: ['case.created'] }) => {
    const res = await api(t.users.admin, 'POST', '/api/v1/webhooks', { url: `${receiver.url}${path}`, description: path, ...filters });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; secret: string };
  };
  const newCase = async (overrides: Record<string, unknown> = {}) => {
    const res = await api(t.users.operator, 'POST', '/api/v1/cases', refundBody(overrides));
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string };
  };
  const deliveries = async (endpointId: string) => {
    const res = await api(t.users.admin, 'GET', `/api/v1/webhooks/${endpointId}/deliveries`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items as Delivery[];
  };
  const systemEvents = async (eventKind: string) =>
    resultRows<{ bytes: string }>(await t.ctx.database.db.execute(sql`select bytes from events where stream = ${SYSTEM_STREAM} and kind = ${eventKind} order by seq`)).map(
      (r) => JSON.parse(r.bytes) as { data: Record<string, unknown> },
    );

  it('signs each case event the Standard Webhooks way, sends only what the filter asks for, and no personal data', async () => {
    const endpoint = await addEndpoint('/signed', { eventTypes: ['case.created', 'note.*'], caseTypes: ['refund'] });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const c = await newCase({ title: 'Refund for Jane Doe, flat 4B' });
    expect((await api(t.users.operator, 'POST', `/api/v1/cases/${c.id}/notes`, { body: SECRET_NOTE })).statusCode).toBe(201);
    // A status change is no case.created or note.*: not sent.
    await vi.waitFor(() => expect(receiver.at('/signed')).toHaveLength(2), WAIT);

    const verifier = new Webhook(endpoint.secret);
    // Deliveries run side by side: receivers order by the case's seq (or logPosition), not by arrival.
    const payloads = receiver
      .at('/signed')
      .map((r) => verifier.verify(r.body, r.headers) as { type: string; timestamp: string; data: Record<string, unknown> })
      .sort((a, b) => Number(a.data.seq) - Number(b.data.seq));
    expect(payloads.map((p) => p.type)).toEqual(['case.created', 'note.added']);
    for (const p of payloads) {
      expect(p.data).toMatchObject({ caseId: c.id, caseType: 'refund', queue: 'refunds', outcome: 'ok' });
      expect(Object.keys(p.data).sort()).toEqual(['caseId', 'caseType', 'eventId', 'hash', 'logPosition', 'occurredAt', 'outcome', 'queue', 'seq', 'summary', 'tone'].sort());
      expect(p.timestamp).toBe(p.data.occurredAt);
    }
    expect(payloads[0]!.data.summary).toMatch(/^A user/);
    for (const r of receiver.at('/signed')) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body).not.toMatch(/Jane|jane@customer|flat 4B|4471|PIN/);
    }
    // Another secret does not verify: the signature is really checked.
    const other = new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`);
    expect(() => other.verify(receiver.at('/signed')[0]!.body, receiver.at('/signed')[0]!.headers)).toThrow();

    // The outcome is written once the answer is in: the receiver has the message a moment before the log says so.
    let log: Delivery[] = [];
    await vi.waitFor(async () => {
      log = await deliveries(endpoint.id);
      expect(log.map((d) => [d.eventKind, d.status, d.attempts, d.responseStatus]).sort()).toEqual([
        ['case.created', 'delivered', 1, 204],
        ['note.added', 'delivered', 1, 204],
      ]);
    }, WAIT);
    expect(new Set(receiver.at('/signed').map((r) => r.headers['webhook-id']))).toEqual(new Set(log.map((d) => d.id)));
    // The secret is shown once: never by a list, a read or a delivery log.
    const everything = [(await api(t.users.admin, 'GET', '/api/v1/webhooks')).body, (await api(t.users.admin, 'GET', `/api/v1/webhooks/${endpoint.id}`)).body, JSON.stringify(log)];
    for (const body of everything) expect(body).not.toContain(endpoint.secret.slice(6));
    expect((await systemEvents('webhook.created')).map((e) => JSON.stringify(e))).not.toContain(endpoint.secret.slice(6));
  });

  it('retries a receiver that fails twice, with the same webhook-id, until it answers 2xx', async () => {
    receiver.on('/flaky', (n, _req, res) => res.writeHead(n <= 2 ? 503 : 200).end(n <= 2 ? 'down for maintenance' : 'ok'));
    const endpoint = await addEndpoint('/flaky');
    await newCase();
    await vi.waitFor(async () => expect((await deliveries(endpoint.id))[0]).toMatchObject({ status: 'delivered', attempts: 3, responseStatus: 200, errorCode: null }), WAIT);
    const ids = receiver.at('/flaky').map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    // Each attempt is signed afresh (its own timestamp), and each verifies.
    for (const r of receiver.at('/flaky')) expect(() => new Webhook(endpoint.secret).verify(r.body, r.headers)).not.toThrow();
    expect(new Set(receiver.at('/flaky').map((r) => r.body)).size).toBe(1);
  });

  it('retries when the receiver drops the connection after reading the message', async () => {
    receiver.on('/drop', (n, req, res) => (n === 1 ? req.socket.destroy() : res.writeHead(202).end()));
    const endpoint = await addEndpoint('/drop');
    await newCase();
    await vi.waitFor(async () => expect((await deliveries(endpoint.id))[0]).toMatchObject({ status: 'delivered', attempts: 2, responseStatus: 202 }), WAIT);
    const ids = receiver.at('/drop').map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
  });

  it('gives up after the last attempt, and a 410 disables the endpoint at once', async () => {
    receiver.on('/broken', (_n, _req, res) => res.writeHead(500).end());
    const broken = await addEndpoint('/broken');
    receiver.on('/gone', (_n, _req, res) => res.writeHead(410).end());
    const gone = await addEndpoint('/gone');
    await newCase();
    await vi.waitFor(async () => expect((await deliveries(broken.id))[0]).toMatchObject({ status: 'failed', attempts: 4, responseStatus: 500, errorCode: 'HTTP_500' }), WAIT);
    expect(receiver.at('/broken')).toHaveLength(4);
    await vi.waitFor(async () => expect((await deliveries(gone.id))[0]).toMatchObject({ status: 'failed', attempts: 1, responseStatus: 410, errorCode: 'HTTP_410' }), WAIT);
    expect((await api(t.users.admin, 'GET', `/api/v1/webhooks/${gone.id}`)).json()).toMatchObject({ enabled: false, disabledReason: 'gone' });
    expect((await systemEvents('webhook.disabled')).map((e) => e.data)).toContainEqual(expect.objectContaining({ endpointId: gone.id, reason: 'gone' }));
    // Disabled: later events are not sent to it, and its deliveries cannot be replayed until it is enabled.
    await newCase();
    await vi.waitFor(async () => expect((await deliveries(broken.id)).length).toBe(2), WAIT);
    expect(await deliveries(gone.id)).toHaveLength(1);
    expect(receiver.at('/gone')).toHaveLength(1);
    const replay = await api(t.users.admin, 'POST', `/api/v1/webhooks/deliveries/${(await deliveries(gone.id))[0]!.id}/replay`);
    expect(replay.statusCode).toBe(422);
    expect(replay.json().error.code).toBe('INVALID_TRANSITION');
    const metrics = await metricsRegistry.getSingleMetricAsString('latch_webhook_deliveries_total');
    expect(metrics).toMatch(/outcome="gone"} [1-9]/);
    expect(metrics).toMatch(/outcome="failed"} [1-9]/);
    expect(metrics).toMatch(/outcome="retrying"} [1-9]/);
  });

  it('replays a delivery: the same message and webhook-id again, on the record', async () => {
    const endpoint = await addEndpoint('/replay');
    await newCase();
    await vi.waitFor(async () => expect((await deliveries(endpoint.id))[0]?.status).toBe('delivered'), WAIT);
    const [first] = await deliveries(endpoint.id);
    const res = await api(t.users.admin, 'POST', `/api/v1/webhooks/deliveries/${first!.id}/replay`);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ id: first!.id, status: 'pending', attempts: 0, replays: 1 });
    await vi.waitFor(async () => expect((await deliveries(endpoint.id))[0]).toMatchObject({ status: 'delivered', attempts: 1, replays: 1 }), WAIT);
    const sent = receiver.at('/replay');
    expect(sent).toHaveLength(2);
    expect(sent[1]!.headers['webhook-id']).toBe(first!.id);
    expect(sent[1]!.body).toBe(sent[0]!.body);
    expect((await systemEvents('webhook.delivery_replayed')).map((e) => e.data)).toContainEqual(expect.objectContaining({ deliveryId: first!.id, endpointId: endpoint.id, previousStatus: 'delivered' }));
    expect((await api(t.users.admin, 'POST', '/api/v1/webhooks/deliveries/01900000-0000-7000-8000-000000000000/replay')).statusCode).toBe(404);
  });

  it('refuses what is not an http(s) URL, unknown case types and bad filters with a stable code', async () => {
    const bad = [
      { url: 'ftp://receiver.example/hook', eventTypes: ['*'] },
      { url: 'file:///etc/passwd', eventTypes: ['*'] },
      { url: 'https://user:pw@receiver.example/hook', eventTypes: ['*'] },
      { url: 'not a url', eventTypes: ['*'] },
      { url: 'https://receiver.example/hook', eventTypes: [] },
      { url: 'https://receiver.example/hook', eventTypes: ['case created'] },
      { url: 'https://receiver.example/hook', eventTypes: ['*'], extra: true },
    ];
    for (const payload of bad) {
      const res = await api(t.users.admin, 'POST', '/api/v1/webhooks', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
    const unknownType = await api(t.users.admin, 'POST', '/api/v1/webhooks', { url: 'https://receiver.example/hook', eventTypes: ['*'], caseTypes: ['no_such_type'] });
    expect(unknownType.statusCode).toBe(400);
    expect(unknownType.json().error.code).toBe('UNKNOWN_CASE_TYPE');
  });

  it('lets an admin change, rotate, disable and delete an endpoint, each on the record', async () => {
    const endpoint = await addEndpoint('/managed');
    const rotated = await api(t.users.admin, 'PATCH', `/api/v1/webhooks/${endpoint.id}`, { rotateSecret: true, eventTypes: ['action.*'] });
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(rotated.json().secret).toMatch(/^whsec_/);
    expect(rotated.json().secret).not.toBe(endpoint.secret);
    expect(rotated.json().eventTypes).toEqual(['action.*']);
    const off = await api(t.users.admin, 'PATCH', `/api/v1/webhooks/${endpoint.id}`, { enabled: false });
    expect(off.json()).toMatchObject({ enabled: false, disabledReason: 'admin' });
    expect(off.json().secret).toBeUndefined();
    expect((await api(t.users.admin, 'DELETE', `/api/v1/webhooks/${endpoint.id}`)).statusCode).toBe(204);
    expect((await api(t.users.admin, 'GET', `/api/v1/webhooks/${endpoint.id}`)).statusCode).toBe(404);
    const updates = (await systemEvents('webhook.updated')).map((e) => e.data).filter((d) => d.endpointId === endpoint.id);
    expect(updates.map((d) => d.secretRotated)).toEqual([true, false]);
    expect((await systemEvents('webhook.deleted')).map((e) => e.data.endpointId)).toContain(endpoint.id);
    for (const e of [...(await systemEvents('webhook.created')), ...(await systemEvents('webhook.updated'))]) expect(JSON.stringify(e)).not.toMatch(/whsec_|\/managed/);
  });

  it('is driven from the command line too: latch webhook add, list, deliveries, replay, rm', async () => {
    const env = { ...personAt(await listen(t)), LATCH_TOKEN: t.users.admin.token };
    const added = await runCli(['webhook', 'add', '--endpoint', `${receiver.url}/cli`, '--events', 'case.created', '--case-types', 'refund', '--json'], env);
    expect(added.status, added.stderr).toBe(0);
    const endpoint = JSON.parse(added.stdout) as { id: string; secret: string };
    expect(endpoint.secret).toMatch(/^whsec_/);
    const listed = await runCli(['webhook', 'list'], env);
    expect(listed.stdout).toContain(`${endpoint.id}  enabled`);
    expect(listed.stdout).not.toContain(endpoint.secret);
    await newCase();
    await vi.waitFor(async () => expect((await runCli(['webhook', 'deliveries', endpoint.id], env)).stdout).toMatch(/delivered\s+case\.created\s+attempts 1\s+HTTP 204/), WAIT);
    const [delivery] = await deliveries(endpoint.id);
    const replayed = await runCli(['webhook', 'replay', delivery!.id], env);
    expect(replayed.stdout).toContain(`${delivery!.id}  queued again (case.created)`);
    await vi.waitFor(() => expect(receiver.at('/cli')).toHaveLength(2), WAIT);
    const operator = await runCli(['webhook', 'list'], { ...env, LATCH_TOKEN: t.users.operator.token });
    expect(operator.status).not.toBe(0);
    expect(operator.stderr).toContain('PERMISSION_DENIED');
    expect((await runCli(['webhook', 'rm', endpoint.id], env)).stdout).toContain(`removed ${endpoint.id}`);
    expect((await api(t.users.admin, 'GET', `/api/v1/webhooks/${endpoint.id}`)).statusCode).toBe(404);
    // Seven runs of the CLI, each a Node process starting on a busy machine.
  }, 240_000);

  it('answers 403 to an operator (and a requester) on every webhook route, 401 to nobody signed in', async () => {
    const endpoint = await addEndpoint('/private');
    const calls: [string, string, object?][] = [
      ['GET', '/api/v1/webhooks'],
      ['POST', '/api/v1/webhooks', { url: 'https://receiver.example/hook', eventTypes: ['*'] }],
      ['GET', `/api/v1/webhooks/${endpoint.id}`],
      ['PATCH', `/api/v1/webhooks/${endpoint.id}`, { enabled: false }],
      ['DELETE', `/api/v1/webhooks/${endpoint.id}`],
      ['GET', `/api/v1/webhooks/${endpoint.id}/deliveries`],
      ['POST', `/api/v1/webhooks/deliveries/01900000-0000-7000-8000-000000000000/replay`],
    ];
    for (const [method, url, payload] of calls) {
      for (const user of [t.users.operator, t.users.requester]) {
        const res = await api(user, method, url, payload);
        expect(res.statusCode, `${method} ${url}`).toBe(403);
        expect(res.json().error.code).toBe('PERMISSION_DENIED');
      }
      expect((await t.app.inject({ method: method as 'GET', url, ...(payload ? { payload } : {}) })).statusCode).toBe(401);
    }
    expect((await api(t.users.admin, 'GET', `/api/v1/webhooks/${endpoint.id}`)).json().enabled).toBe(true);
  });
});
