import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeServer } from './fakes/stripe-server.js';
import { TEST_CONFIG_DIR } from './harness.js';
import { exited, latchEnv, runLatch, startServer } from './process.js';

const STRIPE_PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/stripe', import.meta.url));

/**
 * Latch is killed (-9) after Stripe made the refund and before Latch recorded the outcome (Stripe
 * answers 5 s late). Restarted, it must find the refund rather than make another, whether it does
 * so at once or only in a new execution a person starts by hand after Stripe could not be asked.
 */
describe('kill -9 of Latch between the plugin call and the write of its outcome', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function crashDuringRefund(afterRestart: (stripe: StripeServer) => void) {
    const [dataDir, configDir] = [mkdtempSync(join(tmpdir(), 'latch-exec-crash-')), mkdtempSync(join(tmpdir(), 'latch-exec-config-'))];
    dirs.push(dataDir, configDir);
    const stripe = await startStripeServer({ paymentIntents: [{ id: 'pi_crash', amount: 10_000, currency: 'usd' }] });
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      cpSync(TEST_CONFIG_DIR, configDir, { recursive: true });
      writeFileSync(
        join(configDir, 'plugins.yaml'),
        `plugins:\n  stripe:\n    path: ${STRIPE_PLUGIN_DIR}\n    config: { apiBase: "${stripe.url}" }\n    secrets: { apiKey: { env: LATCH_TEST_STRIPE_KEY } }\n    retry: { attempts: 2, firstDelayMs: 100 }\n`,
      );
      const env = latchEnv(dataDir, { LATCH_CONFIG_DIR: configDir, LATCH_TEST_STRIPE_KEY: 'sk_test_crash_1234' });
      expect(runLatch({ ...env, LATCH_USER_PASSWORD: 'crash test password' }, ['user', 'create', '--email', 'op@test.example', '--name', 'Op', '--role', 'operator', '--team', 'refunds']).status).toBe(0);
      const token = runLatch(env, ['token', 'create', '--user', 'op@test.example', '--name', 't']).stdout.trim();
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      type Reply = { id: string; status: string; execution: number; result: { effect: string }; items: { kind: string; data: Record<string, unknown> }[] };
      const api = async (path: string, init: { method?: string; body?: unknown } = {}) =>
        (await (await fetch(`${server!.base}${path}`, { method: init.method ?? 'GET', headers, ...(init.body ? { body: JSON.stringify(init.body) } : {}) })).json()) as Reply;

      server = await startServer(env);
      const caseId = (await api('/api/v1/cases', { method: 'POST', body: { type: 'refund', title: 'Crash refund', fields: { order_id: '1', payment_intent: 'pi_crash', amount_minor: 5_000, currency: 'usd' } } })).id;
      // Stripe makes the refund at once but answers only after 5 s: Latch dies while waiting.
      stripe.inject({ kind: 'timeout', delayMs: 5_000, times: 1, path: '/v1/refunds', method: 'POST' });
      const proposed = await api(`/api/v1/cases/${caseId}/actions`, { method: 'POST', body: { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_crash', amount_minor: 5_000, currency: 'usd', reason: 'duplicate' } } });
      expect(proposed.status).toBe('approved');
      for (let i = 0; i < 100 && stripe.refunds.size === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(stripe.refunds.size).toBe(1);
      server.child.kill('SIGKILL');
      await exited(server.child);

      afterRestart(stripe);
      server = await startServer(env);
      const settle = async () => {
        let last = { status: '' } as Reply;
        for (let i = 0; i < 150 && last.status !== 'succeeded' && last.status !== 'failed'; i++) {
          await new Promise((r) => setTimeout(r, 200));
          last = await api(`/api/v1/actions/${proposed.id}`);
        }
        return last;
      };
      const timeline = async () => (await api(`/api/v1/cases/${caseId}/timeline`)).items;
      return { stripe, server: server!, settle, timeline, api, actionId: proposed.id as string, env };
    } catch (error) {
      server?.child.kill('SIGKILL');
      await stripe.close();
      throw error;
    }
  }

  it('finds the refund after restart (reconcile) and never refunds twice', async () => {
    const run = await crashDuringRefund(() => undefined);
    try {
      const done = await run.settle();
      expect(done.status, `${JSON.stringify(done)}\n${run.server.stderr()}`).toBe('succeeded');
      expect(run.stripe.refunds.size).toBe(1);
      const posts = run.stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds');
      expect(posts.map((r) => r.headers['idempotency-key'])).toEqual([`latch-${run.actionId}-r1-e1`]);
      const kinds = (await run.timeline()).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'action.started')).toHaveLength(2);
      expect(kinds.at(-1)).toBe('action.reconciled');
      run.server.child.kill('SIGTERM');
      expect(await exited(run.server.child)).toBe(0);
      expect(runLatch(run.env, ['verify', '--all']).status).toBe(0);
    } finally {
      run.server.child.kill('SIGKILL');
      await run.stripe.close();
    }
  });

  it('when Stripe cannot be asked after the restart, the action fails as unknown; a retry by hand still refunds once', async () => {
    // Every refund listing fails until the retry by hand: the restarted attempts can neither find nor safely repeat the refund.
    const run = await crashDuringRefund((stripe) => stripe.inject({ kind: 'api_error', path: '/v1/refunds', method: 'GET', times: 2 }));
    try {
      const failed = await run.settle();
      expect(failed, run.server.stderr()).toMatchObject({ status: 'failed', execution: 1, result: { effect: 'unknown' } });
      expect(run.stripe.refunds.size).toBe(1);
      const retried = await run.api(`/api/v1/actions/${run.actionId}/retry`, { method: 'POST', body: { reason: 'Stripe is reachable again' } });
      expect(retried.status).toBe('queued');
      const done = await run.settle();
      expect(done).toMatchObject({ status: 'succeeded', execution: 2 });
      expect(run.stripe.refunds.size).toBe(1);
      expect(run.stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds')).toHaveLength(1);
      const kinds = (await run.timeline()).map((e) => e.kind);
      expect(kinds.slice(-2)).toEqual(['action.started', 'action.reconciled']);
      expect(kinds).toContain('action.retried');
    } finally {
      run.server.child.kill('SIGKILL');
      await run.stripe.close();
    }
  });
});
