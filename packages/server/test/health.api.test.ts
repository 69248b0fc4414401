import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type LatchApp } from '../src/http/app.js';
import { bearer, DB_KINDS, startTestLatch, type TestLatch } from './harness.js';

describe.each(DB_KINDS)('health, readiness and request ids (%s)', (kind) => {
  let t: TestLatch;
  let logged: LatchApp;
  const lines: string[] = [];
  beforeAll(async () => {
    t = await startTestLatch(kind);
    logged = await buildApp(t.ctx, { logger: true, logStream: { write: (line) => void lines.push(line) } });
  });
  afterAll(async () => {
    await logged?.close();
    await t?.close();
  });

  it('/healthz answers without the database; /readyz lists each check and reveals nothing sensitive', async () => {
    const live = await t.app.inject({ url: '/healthz' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { database: { status: 'ok', kind }, migrations: { status: 'ok' }, logSigning: { status: 'ok' }, plugins: { status: 'not_configured' } },
    });
    expect(ready.body).not.toMatch(/\/|\d+\.\d+\.\d+|postgres:|password/i);
  });

  it('echoes a well-formed X-Request-Id, replaces a malformed one, and logs it on every line of the request', async () => {
    const sent = 'edge-7f3a.42:retry_1';
    const kept = await logged.inject({ url: '/api/v1/cases', headers: { ...bearer(t.users.operator), 'x-request-id': sent } });
    expect(kept.statusCode).toBe(200);
    expect(kept.headers['x-request-id']).toBe(sent);

    for (const bad of ['has space', 'x'.repeat(129), 'new\u0001line', '-leading-dash', '']) {
      const res = await logged.inject({ url: '/healthz', headers: { 'x-request-id': bad } });
      expect(res.headers['x-request-id']).not.toBe(bad);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    // Refusals carry it too, and two requests without one get different ids.
    const refused = await logged.inject({ url: '/api/v1/cases' });
    expect(refused.statusCode).toBe(401);
    const other = await logged.inject({ url: '/api/v1/cases' });
    expect(refused.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(other.headers['x-request-id']).not.toBe(refused.headers['x-request-id']);

    const entries = lines.map((line) => JSON.parse(line) as { reqId?: string; msg?: string });
    const ofKept = entries.filter((e) => e.reqId === sent);
    expect(ofKept.map((e) => e.msg)).toEqual(['incoming request', 'request completed']);
    const ofRefused = entries.filter((e) => e.reqId === refused.headers['x-request-id']);
    expect(ofRefused.length).toBeGreaterThanOrEqual(2);
    // Every request line names its request; none carries a malformed id the client sent.
    for (const e of entries.filter((x) => x.msg === 'incoming request' || x.msg === 'request completed')) expect(e.reqId).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
  });
});

describe.each(DB_KINDS)('readiness when the database is gone (%s)', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind, { LATCH_METRICS_TOKEN: 'scrape-when-down' });
  });
  afterAll(async () => {
    // The database is already closed: closing the rest may find it so.
    await t?.close().catch(() => undefined);
  });

  it('/readyz answers 503 naming the failed checks without the error text; /healthz stays 200', async () => {
    await t.ctx.log.sequencer.stop();
    await t.ctx.database.close();
    const res = await t.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body.status).toBe('not ready');
    expect(body.checks.database).toEqual({ status: 'failed', reason: 'unreachable' });
    expect(body.checks.migrations).toEqual({ status: 'failed', reason: 'database_unavailable' });
    expect(res.body).not.toMatch(/pool|closed|error|ECONN|select/i);
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    // The scrape still answers (the scrape token needs no database), saying the database is down.
    const metrics = await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-when-down' } });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/^latch_database_up 0$/m);
    expect(metrics.body).not.toMatch(/^latch_approvals_waiting \d/m);
  });
});
