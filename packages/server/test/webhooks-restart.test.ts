import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { readConfig } from '../src/config.js';
import { resultRows } from '../src/db/database.js';
import { buildApp } from '../src/http/app.js';
import { openLatch } from '../src/runtime.js';
import { WebhookWorker } from '../src/webhooks/webhook-worker.js';
import { startWebhookReceiver } from './fakes/webhook-receiver.js';
import { DB_KINDS, freshPostgresDatabase, PASSWORD, refundBody, TEST_CONFIG_DIR, TEST_LOG_KEY } from './harness.js';

const WAIT = { timeout: 45_000, interval: 100 };
const quiet = (level: string, message: string) => void (level === 'error' ? console.error(message) : undefined);

/**
 * Crashes and restarts around webhook deliveries, on a database that outlives the process (an
 * embedded data directory, a PostgreSQL database): a worker dying mid-batch writes nothing, a batch
 * read again writes nothing, and the one message whose answer was lost when Latch stopped is the
 * only one sent twice, under the same webhook-id.
 */
describe.each(DB_KINDS)('webhook deliveries across a crash and a restart on %s', (kind) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('sends every event once, except the message whose answer was lost, which is sent again with its webhook-id', async () => {
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'latch-webhooks-restart-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const pg = kind === 'postgres' ? await freshPostgresDatabase() : undefined;
    if (pg) cleanups.push(() => pg.drop());
    const config = readConfig({
      LATCH_CONFIG_DIR: TEST_CONFIG_DIR,
      LATCH_DATA_DIR: dataDir,
      LATCH_LOG_KEY: TEST_LOG_KEY,
      LATCH_LOG_INTERVAL_MS: '100',
      ...(pg ? { LATCH_DATABASE_URL: pg.url } : {}),
      LATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      // The built-in worker reads the log once at start and then sleeps: this test drives the batches.
      LATCH_WEBHOOK_INTERVAL_MS: '3600000',
      LATCH_WEBHOOK_RETRY_DELAY_SECONDS: '1',
      LATCH_WEBHOOK_TIMEOUT_MS: '2000',
    });
    const open = async () => {
      const latch = await openLatch(config, { migrate: true, log: quiet });
      return { latch, app: await buildApp(latch.ctx) };
    };

    let { latch, app } = await open();
    const system = { type: 'system', id: 'test' } as const;
    const admin = await latch.ctx.database.write((tx) => createUser(tx, { email: 'admin@restart.example', name: 'Admin', password: PASSWORD, roles: ['admin'], teams: ['refunds'] }, system, undefined, latch.ctx.roles));
    const { token } = await latch.ctx.database.write((tx) => createToken(tx, admin, { name: 't', scopes: ['*'] }, system, undefined, latch.ctx.roles));
    const headers = { authorization: `Bearer ${token}` };
    const created = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers, payload: { url: `${receiver.url}/hook`, eventTypes: ['case.created'] } });
    expect(created.statusCode, created.body).toBe(201);
    const endpointId = created.json().id as string;
    // The first message is taken and never answered: its answer is lost when Latch stops.
    receiver.on('/hook', (n, _req, res) => (n === 1 ? undefined : res.writeHead(204).end()));

    const caseIds: string[] = [];
    for (let i = 0; i < 5; i++) caseIds.push((await app.inject({ method: 'POST', url: '/api/v1/cases', headers, payload: refundBody() })).json().id);
    await latch.ctx.log.sequencer.drain();
    const deliveryCount = async () => Number(resultRows<{ n: string }>(await latch.ctx.database.db.execute(sql`select count(*) as n from webhook_deliveries`))[0]!.n);
    const enqueue = (tx: Parameters<typeof latch.ctx.scheduler.schedule>[0], queue: string, data: object) => latch.ctx.scheduler.schedule(tx, queue, data, new Date());
    const worker = (send: typeof enqueue) => new WebhookWorker({ database: latch.ctx.database, enqueue: send, intervalMs: 3_600_000, log: quiet });

    // The worker dies after queueing three of the five: the batch's transaction takes all of it back.
    let sent = 0;
    const dying = worker(async (tx, queue, data) => {
      if (++sent > 3) throw new Error('killed mid-batch');
      await enqueue(tx, queue, data);
    });
    await expect(dying.step()).rejects.toThrow('killed mid-batch');
    expect(await deliveryCount()).toBe(0);

    // The next worker reads the batch again, whole.
    expect(await worker(enqueue).step()).toBeGreaterThanOrEqual(5);
    expect(await deliveryCount()).toBe(5);
    await vi.waitFor(() => expect(receiver.at('/hook')).toHaveLength(5), WAIT);

    // Read from the start again (as after a crash between the writes and the cursor's move): nothing new.
    await latch.ctx.database.write((tx) => tx.execute(sql`update webhook_cursor set position = -1`));
    expect(await worker(enqueue).step()).toBeGreaterThanOrEqual(5);
    expect(await deliveryCount()).toBe(5);

    // Latch stops while the first message waits for its answer, and starts again.
    await app.close();
    await latch.close();
    ({ latch, app } = await open());
    await vi.waitFor(async () => {
      const log = (await app.inject({ url: `/api/v1/webhooks/${endpointId}/deliveries`, headers })).json().items as { status: string }[];
      expect(log.map((d) => d.status)).toEqual(Array(5).fill('delivered'));
    }, WAIT);
    const ids = receiver.at('/hook').map((r) => r.headers['webhook-id']!);
    const eventIds = receiver.at('/hook').map((r) => (JSON.parse(r.body) as { data: { eventId: string; caseId: string } }).data);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(5);
    // The one sent twice is the first message, whose answer never came.
    expect(ids.filter((id) => id === ids[0])).toHaveLength(2);
    expect(new Set(eventIds.map((e) => e.caseId))).toEqual(new Set(caseIds));
    expect(new Set(eventIds.map((e) => e.eventId)).size).toBe(5);
    await app.close();
    await latch.close();
    // An embedded data directory is created and migrated on disk twice, with fsyncs: slow on a busy machine.
  }, 300_000);
});
