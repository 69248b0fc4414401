import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSignerKeys, parseTrustFile, verifyBundle } from '@latch/core';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../src/audit/verify-store.js';
import { startStripeServer, type StripeServer } from './fakes/stripe-server.js';
import { bearer, DB_KINDS, TEST_CONFIG_DIR, sessionFor, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';
import { runLatch } from './process.js';

const STRIPE_PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/stripe', import.meta.url));
const SECRET = 'sk_test_reference_story_secret_4242';

/** A config directory like the repo's, plus plugins.yaml wiring the Stripe plugin to a local Stripe. */
function configWithStripe(stripeUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-config-'));
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  writeFileSync(
    join(dir, 'plugins.yaml'),
    `plugins:\n  stripe:\n    path: ${STRIPE_PLUGIN_DIR}\n    config: { apiBase: "${stripeUrl}", apiVersion: "2023-08-16" }\n    secrets: { apiKey: { env: LATCH_TEST_STRIPE_KEY } }\n    retry: { attempts: 5, firstDelayMs: 200 }\n`,
  );
  return dir;
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.each(DB_KINDS)('the reference story, end to end, on %s', (kind) => {
  let stripe: StripeServer;
  let configDir: string;
  let t: TestLatch;
  let reviewer: Record<string, string>;
  let operator: Record<string, string>;
  beforeAll(async () => {
    process.env.LATCH_TEST_STRIPE_KEY = SECRET;
    // pi_small is another customer's payment: the refund policy (v6) adds a payment's earlier refunds, and pi_reference's 600.00 would hold a small refund of it.
    stripe = await startStripeServer({ paymentIntents: [{ id: 'pi_reference', amount: 250_000, currency: 'usd' }, { id: 'pi_small', amount: 10_000, currency: 'usd' }] });
    configDir = configWithStripe(stripe.url);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: configDir });
    [reviewer, operator] = await Promise.all([sessionFor(t.app, t.users.approver), sessionFor(t.app, t.users.operator)]);
  });
  afterAll(async () => {
    await t?.close();
    await stripe?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  const action = async (id: string) => (await t.app.inject({ url: `/api/v1/actions/${id}`, headers: bearer(t.users.operator) })).json();
  const timeline = async (caseId: string) =>
    (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline?bytes=true`, headers: bearer(t.users.admin) })).json().items as { kind: string; data: Record<string, unknown>; blobs?: string[]; bytes: string }[];

  it('case → proposal → self-approval refused → approval → Stripe refund → result on the timeline → verify', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: operator,
      payload: {
        type: 'refund',
        title: 'Refund above threshold for order 1101',
        requester: { email: 'ops@bigco.example', name: 'BigCo Ops' },
        fields: { order_id: '1101', payment_intent: 'pi_reference', amount_minor: 250_000, currency: 'usd' },
      },
    });
    const caseId = created.json().id;
    const offered = (await t.app.inject({ url: `/api/v1/cases/${caseId}/actions`, headers: operator })).json();
    expect(offered.suggestions).toEqual([
      expect.objectContaining({ plugin: 'stripe', action: 'refund', suggestedInput: expect.objectContaining({ payment_intent: 'pi_reference', amount_minor: 250_000 }) }),
    ]);

    const input = { payment_intent: 'pi_reference', amount_minor: 60_000, currency: 'usd', reason: 'requested_by_customer' };
    const proposed = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator, payload: { plugin: 'stripe', action: 'refund', input } })).json();
    expect(proposed.status).toBe('awaiting_approval');
    const self = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${proposed.id}/decisions`, headers: operator, payload: { decision: 'approve', payloadHash: proposed.payloadHash } });
    expect(self.json().error.code).toBe('SELF_APPROVAL_FORBIDDEN');
    expect(stripe.refunds.size).toBe(0);

    const approved = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${proposed.id}/decisions`, headers: reviewer, payload: { decision: 'approve', payloadHash: proposed.payloadHash } });
    expect(approved.statusCode).toBe(201);
    const done = await until(() => action(proposed.id), (a) => a.status === 'succeeded' || a.status === 'failed');
    expect(done.status, JSON.stringify(done.result)).toBe('succeeded');
    expect(stripe.refunds.size).toBe(1);
    const [refund] = [...stripe.refunds.values()] as { amount: number; payment_intent: string }[];
    expect(refund).toMatchObject({ amount: 60_000, payment_intent: 'pi_reference' });
    const sent = stripe.requests.find((r) => r.method === 'POST' && r.path === '/v1/refunds')!;
    expect(sent.headers['idempotency-key']).toBe(`latch-${proposed.id}-r1-e1`);

    const events = await timeline(caseId);
    expect(events.map((e) => e.kind)).toEqual(['case.created', 'action.proposed', 'attempt.blocked', 'approval.granted', 'action.approved', 'action.started', 'action.succeeded']);
    const succeeded = events.at(-1)!;
    expect(succeeded.blobs).toHaveLength(2);
    for (const event of events) expect(event.bytes).not.toContain(SECRET);
    for (const sha of succeeded.blobs!) {
      const stored = await t.ctx.database.db.execute(`select convert_from(data, 'UTF8') as text from blobs where sha256 = '${sha}'` as never);
      const text = JSON.stringify(stored);
      expect(text).not.toContain(SECRET);
    }
    // The exchange is readable by anyone who can read the case, and only through a case that refers to it.
    const [requestSha, responseSha] = [succeeded.data.request as string, succeeded.data.response as string];
    const sent2 = await t.app.inject({ url: `/api/v1/cases/${caseId}/exchanges/${requestSha}`, headers: reviewer });
    expect(sent2.statusCode, sent2.body).toBe(200);
    expect(sent2.json()).toMatchObject({ sha256: requestSha, role: 'request', event: { kind: 'action.succeeded', actionId: proposed.id }, content: { method: 'POST', headers: { 'Idempotency-Key': `latch-${proposed.id}-r1-e1`, 'Stripe-Version': '2023-08-16' } } });
    const answer = (await t.app.inject({ url: `/api/v1/cases/${caseId}/exchanges/${responseSha}`, headers: reviewer })).json();
    expect(answer).toMatchObject({ role: 'response', content: { status: 200, headers: { 'request-id': expect.stringMatching(/^req_/) as string, 'stripe-version': '2023-08-16' } } });
    expect(JSON.parse(answer.content.body)).toMatchObject({ object: 'refund', amount: 60_000, metadata: { latch_action: proposed.id, latch_case: caseId } });
    expect(JSON.stringify(answer)).not.toContain(SECRET);
    expect((await t.app.inject({ url: `/api/v1/cases/${caseId}/exchanges/${'0'.repeat(64)}`, headers: reviewer })).statusCode).toBe(404);
    const otherCase = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: operator, payload: { type: 'refund', title: 'Other', fields: { order_id: '2', amount_minor: 1, currency: 'usd' } } })).json().id;
    expect((await t.app.inject({ url: `/api/v1/cases/${otherCase}/exchanges/${requestSha}`, headers: reviewer })).json().error.code).toBe('NOT_FOUND');
    expect((await t.app.inject({ url: `/api/v1/cases/${caseId}/exchanges/${requestSha}`, headers: bearer(t.users.outsider) })).statusCode).toBe(404);
    expect((await verifyStore(t.ctx.database.db)).ok).toBe(true);
    if (t.databaseUrl) {
      const verified = runLatch({ ...process.env, LATCH_DATABASE_URL: t.databaseUrl, LATCH_LOG_KEY: TEST_LOG_KEY }, ['verify', '--all']);
      expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    }

    // 6. Proof: the auditor gets an evidence bundle and checks it offline, trusting only the log's key.
    const exported = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/exports`, headers: bearer(t.users.admin), payload: {} })).json();
    const zip = await t.app.inject({ method: 'GET', url: exported.bundle, headers: bearer(t.users.admin) });
    expect(zip.statusCode, zip.body).toBe(200);
    const files = new Map(Object.entries(unzipSync(zip.rawPayload)));
    for (const sha of succeeded.blobs!) expect(files.has(`blobs/${sha}`)).toBe(true);
    const report = verifyBundle(files, { trusted: parseTrustFile(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey) });
    expect(report.failures).toEqual([]);
    expect(report.events).toBe(events.length + 1);
  });

  it('retries a 500 with the same idempotency key, and records a card error as a final failure a person can retry', async () => {
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: operator, payload: { type: 'refund', title: 'Small refund', fields: { order_id: '7', payment_intent: 'pi_small', amount_minor: 1_000, currency: 'usd' } } })).json().id;
    stripe.inject({ kind: 'api_error', times: 1, path: '/v1/refunds', method: 'POST' });
    const small = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator, payload: { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_small', amount_minor: 1_000, currency: 'usd', reason: 'duplicate' } } })).json();
    expect(small.status).toBe('approved');
    const retried = await until(() => action(small.id), (a) => a.status === 'succeeded' || a.status === 'failed');
    expect(retried).toMatchObject({ status: 'succeeded', attempts: 2 });
    const keys = stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds').map((r) => r.headers['idempotency-key']);
    expect(keys.filter((k) => k === `latch-${small.id}-r1-e1`)).toHaveLength(2);

    stripe.inject({ kind: 'card_error', times: 1, path: '/v1/refunds', method: 'POST' });
    const declined = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator, payload: { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_small', amount_minor: 900, currency: 'usd', reason: 'duplicate' } } })).json();
    const failed = await until(() => action(declined.id), (a) => a.status === 'failed' || a.status === 'succeeded');
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, result: { effect: 'none' } });
    expect(failed.result.summary).toMatch(/Your card was declined\. \(will not retry\)$/);
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${declined.id}/retry`, headers: operator, payload: { reason: 'customer fixed their card' } });
    expect(again.statusCode).toBe(200);
    const second = await until(() => action(declined.id), (a) => a.status === 'succeeded' || a.status === 'failed');
    expect(second).toMatchObject({ status: 'succeeded', execution: 2 });
    const kinds = (await timeline(caseId)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['action.failed', 'action.retried', 'action.succeeded']));
    const retriedEvent = (await timeline(caseId)).find((e) => e.kind === 'action.retried')!;
    expect(retriedEvent.data).toMatchObject({ execution: 2, previousEffect: 'none', reconcileFirst: true });
  });
});
