import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeServer } from './fakes/stripe-server.js';
import { bearer, DB_KINDS, TEST_CONFIG_DIR, startTestLatch, type TestLatch } from './harness.js';

const STRIPE_PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/stripe', import.meta.url));
const ROGUE = fileURLToPath(new URL('./fixtures/rogue-plugin.mjs', import.meta.url));

/** The repo's config, a case type allowing the rogue plugin's `hang` (no reconcile), and plugins.yaml with quick retries. */
function config(stripeUrl: string): { dir: string; rogueDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'latch-once-config-'));
  const rogueDir = mkdtempSync(join(tmpdir(), 'latch-once-rogue-'));
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  const hang = { name: 'hang', title: 'Hang', inputSchema: { type: 'object' }, timeoutMs: 200 };
  const manifest = { id: 'rogue', name: 'Rogue', version: '1.0.0', protocolVersion: '1', command: ['node', ROGUE], caseTypes: ['*'], caseFields: [], config: [{ name: 'token', description: 'a secret', required: true, secret: true }], actions: [hang] };
  writeFileSync(join(rogueDir, 'latch-plugin.json'), JSON.stringify(manifest));
  writeFileSync(
    join(dir, 'case-types', 'ledger.v1.yaml'),
    'key: ledger\nversion: 1\nname: Ledger\ndefaultQueue: refunds\nfields: { type: object, properties: {} }\nstatuses: [{ key: new, name: New }]\ninitialStatus: new\ntransitions: []\n' +
      'actions:\n  - { plugin: rogue, action: hang, name: Hang, input: { type: object } }\n',
  );
  writeFileSync(
    join(dir, 'plugins.yaml'),
    `plugins:\n  stripe:\n    path: ${STRIPE_PLUGIN_DIR}\n    config: { apiBase: "${stripeUrl}" }\n    secrets: { apiKey: { env: LATCH_TEST_STRIPE_KEY } }\n    retry: { attempts: 3, firstDelayMs: 100 }\n` +
      `  rogue:\n    path: ${rogueDir}\n    secrets: { token: { env: LATCH_TEST_ROGUE_TOKEN } }\n    retry: { attempts: 2, firstDelayMs: 100 }\n`,
  );
  return { dir, rogueDir };
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(DB_KINDS)('exactly once in effect, across a retry by hand, on %s', (kind) => {
  let stripe: StripeServer;
  let dirs: { dir: string; rogueDir: string };
  let t: TestLatch;
  beforeAll(async () => {
    process.env.LATCH_TEST_STRIPE_KEY = 'sk_test_exactly_once_4242';
    process.env.LATCH_TEST_ROGUE_TOKEN = 'rogue-token-exactly-once';
    stripe = await startStripeServer({ paymentIntents: [{ id: 'pi_once', amount: 100_000, currency: 'usd' }] });
    dirs = config(stripe.url);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dirs.dir });
  });
  afterAll(async () => {
    await t?.close();
    await stripe?.close();
    for (const dir of Object.values(dirs ?? {})) rmSync(dir, { recursive: true, force: true });
  });

  const operator = () => bearer(t.users.operator);
  const action = async (id: string) => (await t.app.inject({ url: `/api/v1/actions/${id}`, headers: operator() })).json();
  const settled = (id: string) => until(() => action(id), (a) => a.status === 'succeeded' || a.status === 'failed');
  const timeline = async (caseId: string) => (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: operator() })).json().items as { kind: string; data: Record<string, unknown>; reason?: string }[];
  const propose = async (type: string, fields: Record<string, unknown>, plugin: string, name: string, input: Record<string, unknown>) => {
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: operator(), payload: { type, title: 'Exactly once', fields } })).json().id as string;
    const proposed = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator(), payload: { plugin, action: name, input } })).json();
    expect(proposed.status, JSON.stringify(proposed)).toBe('approved');
    return { caseId, id: proposed.id as string };
  };

  it('a refund whose responses are lost, that fails, and is retried by hand reaches Stripe once, and is reconciled', async () => {
    const before = stripe.refunds.size;
    // Stripe refunds, then the connection drops (stripe-node's own retry too); then Stripe can't be asked for a while.
    stripe.inject({ kind: 'lost_response', path: '/v1/refunds', method: 'POST', times: 2 });
    const { caseId, id } = await propose('refund', { order_id: '1', payment_intent: 'pi_once', amount_minor: 5_000, currency: 'usd' }, 'stripe', 'refund', {
      payment_intent: 'pi_once', amount_minor: 5_000, currency: 'usd', reason: 'duplicate',
    });
    await until(async () => stripe.requests.filter((r) => r.dropped).length, (n) => n === 2, 10_000);
    stripe.inject({ kind: 'api_error', path: '/v1/refunds', method: 'GET', times: 2 }); // attempts 2 and 3 can't reconcile
    const failed = await settled(id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, result: { effect: 'unknown' } });
    expect(failed.result.summary).toMatch(/\(attempt 3 of 3; will not retry: a person may retry it\)$/);
    expect(stripe.refunds.size - before).toBe(1);

    const retried = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${id}/retry`, headers: operator(), payload: { reason: 'the network is back' } });
    expect(retried.statusCode, retried.body).toBe(200);
    const done = await settled(id);
    expect(done).toMatchObject({ status: 'succeeded', execution: 2, result: { effect: 'applied' } });
    expect(stripe.refunds.size - before).toBe(1);
    const posts = stripe.requests.filter((r) => r.method === 'POST' && r.body.includes(id));
    expect(new Set(posts.map((r) => r.headers['idempotency-key']))).toEqual(new Set([`latch-${id}-r1-e1`]));

    const events = await timeline(caseId);
    const failures = events.filter((e) => e.kind === 'action.failed');
    expect(failures.map((e) => e.data.willRetry)).toEqual([true, true, false]);
    expect(failures.every((e) => e.data.effect === 'unknown')).toBe(true);
    expect(events.filter((e) => e.kind === 'action.started').map((e) => e.data.reconcileFirst ?? false)).toEqual([false, true, true, true]);
    expect(events.at(-1)).toMatchObject({ kind: 'action.reconciled', data: { execution: 2 } });
    expect(events.some((e) => e.kind === 'action.succeeded')).toBe(false);
  });

  it('a refund Stripe reports as pending is followed, each check on the timeline, until it succeeds', async () => {
    stripe.ledger.refundStatus = 'pending';
    const { caseId, id } = await propose('refund', { order_id: '3', payment_intent: 'pi_once', amount_minor: 700, currency: 'usd' }, 'stripe', 'refund', {
      payment_intent: 'pi_once', amount_minor: 700, currency: 'usd', reason: 'requested_by_customer',
    });
    const ours = () => [...stripe.refunds.values()].filter((r) => (r.metadata as Record<string, string>).latch_action === id);
    await until(async () => ours().length, (n) => n > 0);
    stripe.ledger.refundStatus = 'succeeded';
    expect(ours()[0]!.status).toBe('pending');
    const pendings = await until(async () => (await timeline(caseId)).filter((e) => e.kind === 'action.pending'), (p) => p.length >= 2);
    expect(pendings.length).toBeGreaterThanOrEqual(2);
    expect((await action(id)).status).toBe('queued');
    stripe.ledger.settleRefund(String(ours()[0]!.id), 'succeeded');
    expect(await settled(id)).toMatchObject({ status: 'succeeded', execution: 1, result: { status: 'succeeded', effect: 'applied' } });
    const events = await timeline(caseId);
    expect(events.at(-1)).toMatchObject({ kind: 'action.succeeded', data: { followed: true } });
    expect(events.filter((e) => e.kind === 'action.started').slice(1).every((e) => e.data.following === true)).toBe(true);
    expect(ours()).toHaveLength(1);
  });

  it('a plugin that cannot reconcile: a retry by hand after an unknown outcome needs a confirmation with a reason, on the record', async () => {
    const { caseId, id } = await propose('ledger', {}, 'rogue', 'hang', {});
    const failed = await settled(id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, result: { effect: 'unknown' } });

    const refused = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${id}/retry`, headers: operator(), payload: {} });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'EXECUTION_OUTCOME_UNKNOWN', details: { plugin: 'rogue', effect: 'unknown' } });
    const noReason = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${id}/retry`, headers: operator(), payload: { confirmUnknownOutcome: true } });
    expect(noReason.json().error.code).toBe('VALIDATION_FAILED');
    const typo = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${id}/retry`, headers: operator(), payload: { confirmUnknownOutcome: 'yes' } });
    expect(typo.statusCode).toBe(400);
    expect((await action(id)).execution).toBe(1);

    const confirmed = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${id}/retry`, headers: operator(), payload: { confirmUnknownOutcome: true, reason: 'checked the ledger: nothing was booked' } });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const events = await timeline(caseId);
    expect(events.find((e) => e.kind === 'action.retried')).toMatchObject({ reason: 'checked the ledger: nothing was booked', data: { execution: 2, previousEffect: 'unknown', confirmedUnknownOutcome: true } });
    expect(events.filter((e) => e.kind === 'attempt.blocked').length).toBeGreaterThanOrEqual(1);
  });
});
