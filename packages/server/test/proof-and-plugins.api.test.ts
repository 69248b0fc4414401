import { mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DB_KINDS, TEST_CONFIG_DIR, refundBody, startTestLatch, type TestLatch } from './harness.js';

const ECHO_DIR = fileURLToPath(new URL('../../../plugins/echo', import.meta.url));
const SECRET = 'echo-secret-never-shown-7f3a';
const GREETING = 'configured-greeting-never-shown';

/** The repo's config plus plugins.yaml wiring the echo plugin, with a secret and a configured value. */
function configWithEcho(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-plugins-api-'));
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'plugins.yaml'), `plugins:\n  echo:\n    path: ${ECHO_DIR}\n    config: { greeting: "${GREETING}" }\n    secrets: { token: { env: LATCH_TEST_ECHO_TOKEN } }\n`);
  return dir;
}

describe.each(DB_KINDS)('proof and plugins API (%s)', (kind) => {
  let t: TestLatch;
  let configDir: string;
  beforeAll(async () => {
    process.env.LATCH_TEST_ECHO_TOKEN = SECRET;
    configDir = configWithEcho();
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: configDir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('GET /api/v1/plugins lists each plugin with its manifest and health, and no configured value or secret', async () => {
    const res = await t.app.inject({ url: '/api/v1/plugins', headers: bearer(t.users.operator) });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain(GREETING);
    const [echo, ...others] = res.json().items;
    expect(others).toEqual([]);
    expect(echo).toMatchObject({ id: 'echo', name: 'Echo', version: '0.1.0', protocolVersion: '1', state: 'ready', restarts: 0, lastError: null, caseTypes: ['*'] });
    expect(echo.actions.map((a: { name: string }) => a.name)).toEqual(['echo', 'noop']);
    expect(echo.config).toEqual([
      { name: 'greeting', description: 'Prefix of the echo summary', secret: false, required: false },
      { name: 'token', description: expect.any(String), secret: true, required: true },
    ]);
    expect(echo).not.toHaveProperty('command');
  });

  it('GET /api/v1/plugins without plugins answers an empty list; anonymous is refused', async () => {
    const bare = await startTestLatch(kind);
    try {
      const res = await bare.app.inject({ url: '/api/v1/plugins', headers: bearer(bare.users.requester) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ items: [] });
      expect((await bare.app.inject({ url: '/api/v1/plugins' })).statusCode).toBe(401);
    } finally {
      await bare.close();
    }
  });

  it("GET /cases/{id}/verification recomputes the case's chain and names a missing tail", async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    expect(created.statusCode).toBe(201);
    const id: string = created.json().id;
    await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/notes`, headers: bearer(t.users.operator), payload: { body: 'checked' } });
    const good = await t.app.inject({ url: `/api/v1/cases/${id}/verification`, headers: bearer(t.users.operator) });
    expect(good.statusCode).toBe(200);
    expect(good.json()).toEqual({ ok: true, events: 2, head: expect.stringMatching(/^[0-9a-f]{64}$/), problems: [] });

    // Someone outside its queue is told it does not exist, like reading the case.
    expect((await t.app.inject({ url: `/api/v1/cases/${id}/verification`, headers: bearer(t.users.outsider) })).json().error.code).toBe('NOT_FOUND');

    // The recorded head claims an event the table no longer holds (a deleted tail).
    await t.ctx.database.db.execute(sql`update stream_heads set seq = seq + 1 where stream = ${id}`);
    const broken = (await t.app.inject({ url: `/api/v1/cases/${id}/verification`, headers: bearer(t.users.operator) })).json();
    expect(broken.ok).toBe(false);
    expect(broken.problems).toHaveLength(1);
    expect(broken.problems[0]).toMatch(/^event 3: /);
  });

  it('POST /log/verifications verifies the whole log against the trust file, one run at a time', async () => {
    await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    await t.ctx.log.sequencer.drain();
    const trust = (await t.app.inject({ url: '/api/v1/log/trust', headers: bearer(t.users.admin) })).body;
    const verify = () => t.app.inject({ method: 'POST', url: '/api/v1/log/verifications', headers: bearer(t.users.admin) });
    let first: Awaited<ReturnType<typeof verify>>;
    let second: Awaited<ReturnType<typeof verify>>;
    if (t.databaseUrl) {
      // PostgreSQL: hold the first run inside its read of the checkpoints, so the second surely
      // arrives while it runs (two requests racing could otherwise finish one after the other).
      const blocker = new pg.Client({ connectionString: t.databaseUrl });
      await blocker.connect();
      try {
        await blocker.query('begin');
        await blocker.query('lock table log_checkpoints in access exclusive mode');
        const running = verify();
        await until(async () => (await blocker.query(`select 1 from pg_locks where not granted and relation = 'log_checkpoints'::regclass`)).rowCount! > 0);
        second = await verify();
        await blocker.query('commit');
        first = await running;
      } finally {
        await blocker.end();
      }
    } else {
      // PGlite has one connection in this process: the first request's run holds it first.
      [first, second] = await Promise.all([verify(), verify()]);
    }
    expect([first.statusCode, second.statusCode]).toEqual([200, 409]);
    expect(second.json().error.code).toBe('VERIFICATION_RUNNING');
    const report = first.json();
    expect(report).toMatchObject({ ok: true, problems: [], trust });
    expect(report.leaves).toBeGreaterThan(0);
    expect(report.checkpoints).toBeGreaterThan(0);
    // Free again once the run is over.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/log/verifications', headers: bearer(t.users.admin) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/log/verifications', headers: bearer(t.users.operator) })).statusCode).toBe(403);
  });
});

/** Polls `check` until it holds; the bound is generous, so this is no timing assertion. */
async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
