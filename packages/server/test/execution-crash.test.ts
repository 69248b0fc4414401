import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startStripeServer } from './fakes/stripe-server.js';
import { REPO_CONFIG_DIR } from './harness.js';
import { exited, latchEnv, runLatch, startServer } from './process.js';

const STRIPE_PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/stripe', import.meta.url));

describe('kill -9 of Latch in the middle of a Stripe refund', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-exec-crash-'));
  const configDir = mkdtempSync(join(tmpdir(), 'latch-exec-config-'));
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  });

  it('completes the action after restart, and Stripe sees exactly one refund', async () => {
    const stripe = await startStripeServer({ paymentIntents: [{ id: 'pi_crash', amount: 10_000, currency: 'usd' }] });
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      cpSync(REPO_CONFIG_DIR, configDir, { recursive: true });
      writeFileSync(
        join(configDir, 'plugins.yaml'),
        `plugins:\n  stripe:\n    path: ${STRIPE_PLUGIN_DIR}\n    config: { apiBase: "${stripe.url}" }\n    secrets: { apiKey: { env: LATCH_TEST_STRIPE_KEY } }\n`,
      );
      const env = latchEnv(dataDir, { LATCH_CONFIG_DIR: configDir, LATCH_TEST_STRIPE_KEY: 'sk_test_crash_1234' });
      expect(runLatch({ ...env, LATCH_USER_PASSWORD: 'crash test password' }, ['user', 'create', '--email', 'op@test.example', '--name', 'Op', '--role', 'operator', '--team', 'refunds']).status).toBe(0);
      const token = runLatch(env, ['token', 'create', '--user', 'op@test.example', '--name', 't']).stdout.trim();
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

      server = await startServer(env, 3871);
      const caseId = ((await (await fetch(`${server.base}/api/v1/cases`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'refund', title: 'Crash refund', fields: { order_id: '1', payment_intent: 'pi_crash', amount_minor: 5_000, currency: 'usd' } }),
      })).json()) as { id: string }).id;
      // Stripe makes the refund at once but answers only after 5 s: Latch dies while waiting.
      stripe.inject({ kind: 'timeout', delayMs: 5_000, times: 1, path: '/v1/refunds' });
      const proposed = (await (await fetch(`${server.base}/api/v1/cases/${caseId}/actions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_crash', amount_minor: 5_000, currency: 'usd', reason: 'duplicate' } }),
      })).json()) as { id: string; status: string };
      expect(proposed.status).toBe('approved');
      for (let i = 0; i < 100 && stripe.refunds.size === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(stripe.refunds.size).toBe(1);
      server.child.kill('SIGKILL');
      await exited(server.child);

      server = await startServer(env, 3872);
      let status = '';
      let last: unknown;
      for (let i = 0; i < 150 && status !== 'succeeded' && status !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 200));
        last = await (await fetch(`${server.base}/api/v1/actions/${proposed.id}`, { headers })).json();
        status = (last as { status: string }).status;
      }
      expect(status, `${JSON.stringify(last)}\n${server.stderr()}`).toBe('succeeded');
      expect(stripe.refunds.size).toBe(1);
      const keys = stripe.requests.filter((r) => r.path === '/v1/refunds').map((r) => r.headers['idempotency-key']);
      expect(new Set(keys)).toEqual(new Set([`latch-${proposed.id}-r1-e1`]));
      expect(stripe.requests.some((r) => r.path === '/v1/refunds' && r.replayed)).toBe(true);
      const timeline = ((await (await fetch(`${server.base}/api/v1/cases/${caseId}/timeline`, { headers })).json()) as { items: { kind: string }[] }).items.map((e) => e.kind);
      expect(timeline.filter((k) => k === 'action.started')).toHaveLength(2);
      expect(timeline.filter((k) => k === 'action.succeeded')).toHaveLength(1);
      server.child.kill('SIGTERM');
      expect(await exited(server.child)).toBe(0);
      expect(runLatch(env, ['verify', '--all']).status).toBe(0);
    } finally {
      server?.child.kill('SIGKILL');
      await stripe.close();
    }
  });
});
