import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { readConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { openLatch } from '../src/runtime.js';
import { DB_KINDS, freshPostgresDatabase, PASSWORD, REPO_CONFIG_DIR, refundBody, TEST_LOG_KEY } from './harness.js';

/**
 * At start, the server names the approved actions waiting for a plugin it does not run: one
 * warning line, with the count per plugin action and the first ids. Restarts need a database that
 * outlives the process, so PGlite runs on a data directory here, not in memory.
 */
describe.each(DB_KINDS)('startup warning about actions waiting for a missing plugin (%s)', (kind) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function database(): Promise<Record<string, string>> {
    if (kind === 'postgres') {
      const pgdb = await freshPostgresDatabase();
      cleanups.push(pgdb.drop);
      return { LATCH_DATABASE_URL: pgdb.url };
    }
    const dir = mkdtempSync(join(tmpdir(), 'latch-no-stall-startup-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return { LATCH_DATA_DIR: dir };
  }

  const start = async (env: Record<string, string>) => {
    const lines: string[] = [];
    const config = readConfig({ LATCH_CONFIG_DIR: REPO_CONFIG_DIR, LATCH_LOG_KEY: TEST_LOG_KEY, LATCH_LOG_INTERVAL_MS: '100', ...env });
    const latch = await openLatch(config, { migrate: true, log: (level, message) => lines.push(`${level} ${message}`) });
    return { latch, warnings: () => lines.filter((l) => l.startsWith('warn ') && l.includes('wait for a plugin')) };
  };

  it('lists the approved actions no configured plugin can run, and says nothing when there are none', async () => {
    const env = await database();
    const first = await start(env);
    const ids: string[] = [];
    try {
      expect(first.warnings()).toEqual([]);
      const app = await buildApp(first.latch.ctx);
      try {
        const system = { type: 'system', id: 'test' } as const;
        const user = await first.latch.ctx.database.write((tx) => createUser(tx, { email: 'op@test.example', name: 'op', password: PASSWORD, roles: ['operator'], teams: ['refunds'] }, system));
        const { token } = await first.latch.ctx.database.write((tx) => createToken(tx, user, { name: 't', scopes: ['*'] }, system));
        const headers = { authorization: `Bearer ${token}` };
        for (const amount of [100, 200, 300]) {
          const created = await app.inject({ method: 'POST', url: '/api/v1/cases', headers, payload: refundBody() });
          const input = { payment_intent: 'pi_123', amount_minor: amount, currency: 'usd', reason: 'duplicate' };
          const proposed = await app.inject({ method: 'POST', url: `/api/v1/cases/${created.json().id}/actions`, headers, payload: { plugin: 'stripe', action: 'refund', input } });
          expect(proposed.json().status).toBe('approved');
          ids.push(proposed.json().id);
        }
        // Awaiting approval is not waiting for a plugin: not listed.
        const created = await app.inject({ method: 'POST', url: '/api/v1/cases', headers, payload: refundBody() });
        const big = { payment_intent: 'pi_123', amount_minor: 90_000, currency: 'usd', reason: 'duplicate' };
        const pending = await app.inject({ method: 'POST', url: `/api/v1/cases/${created.json().id}/actions`, headers, payload: { plugin: 'stripe', action: 'refund', input: big } });
        expect(pending.json().status).toBe('awaiting_approval');
      } finally {
        await app.close();
      }
    } finally {
      await first.latch.close();
    }

    const second = await start(env);
    try {
      expect(second.warnings()).toEqual([
        `warn 3 approved action(s) wait for a plugin this server does not run: stripe.refund (3); ids ${ids.join(', ')}. Configure the plugin in plugins.yaml and restart.`,
      ]);
    } finally {
      await second.latch.close();
    }
  }, 150_000); // an embedded database on disk, opened twice, syncs every write
});
