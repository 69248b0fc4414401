import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeServer } from './fakes/stripe-server.js';
import { bearer, DB_KINDS, refundBody, sessionFor, startTestLatch, TEST_CONFIG_DIR, type TestLatch } from './harness.js';

const STRIPE_PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/stripe', import.meta.url));
const SCRAPE_TOKEN = 'scrape-token-for-metrics-test-0123456789';

/** One sample of the text exposition format: `name{a="b",…} value`. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses Prometheus text: every non-comment line must be a well-formed sample. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (done(got) || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(DB_KINDS)('GET /metrics (%s)', (kind) => {
  let stripe: StripeServer;
  let dir: string;
  let t: TestLatch;
  beforeAll(async () => {
    process.env.LATCH_TEST_STRIPE_KEY = 'sk_test_metrics_4242';
    stripe = await startStripeServer({ paymentIntents: [{ id: 'pi_metrics', amount: 100_000, currency: 'usd' }] });
    dir = mkdtempSync(join(tmpdir(), 'latch-metrics-config-'));
    cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
    // Stripe is the only plugin here: the case types whose actions need another one are left out.
    for (const file of readdirSync(join(dir, 'case-types'))) if (/plugin: (?!stripe\b)/.test(readFileSync(join(dir, 'case-types', file), 'utf8'))) rmSync(join(dir, 'case-types', file));
    writeFileSync(join(dir, 'intake.yaml'), 'forms:\n  refund-request: { type: refund, queue: refunds, title: "Ask for a refund" }\n');
    writeFileSync(
      join(dir, 'plugins.yaml'),
      `plugins:\n  stripe:\n    path: ${STRIPE_PLUGIN_DIR}\n    config: { apiBase: "${stripe.url}" }\n    secrets: { apiKey: { env: LATCH_TEST_STRIPE_KEY } }\n    retry: { attempts: 2, firstDelayMs: 100 }\n`,
    );
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir, LATCH_METRICS_TOKEN: SCRAPE_TOKEN });
  });
  afterAll(async () => {
    await t?.close();
    await stripe?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const scrape = async () => {
    const res = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: res.body, samples: parse(res.body) };
  };

  it('counts requests by route pattern, jobs by queue, executions by plugin and intake by channel; gauges the approvals and the log', async () => {
    const before = (await scrape()).samples;
    const operator = bearer(t.users.operator);
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: operator, payload: refundBody() });
    expect(created.statusCode, created.body).toBe(201);
    const caseId = created.json().id as string;
    for (let i = 0; i < 3; i++) expect((await t.app.inject({ url: `/api/v1/cases/${caseId}?include=x&q=jane@customer.example`, headers: operator })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/api/v1/cases/${caseId}/nope/secret@mail.example` })).statusCode).toBe(404);

    // A small refund runs at once (a job on action-execute, an execution by stripe); a large one waits for approval.
    const input = (amount: number) => ({ payment_intent: 'pi_metrics', amount_minor: amount, currency: 'usd', reason: 'duplicate' });
    const small = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator, payload: { plugin: 'stripe', action: 'refund', input: input(500) } })).json();
    expect(small.status, JSON.stringify(small)).toBe('approved');
    const large = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator, payload: { plugin: 'stripe', action: 'refund', input: input(75_000) } })).json();
    expect(large.status, JSON.stringify(large)).toBe('awaiting_approval');
    await until(async () => (await t.app.inject({ url: `/api/v1/actions/${small.id}`, headers: operator })).json().status, (s) => s === 'succeeded');

    const form = new URLSearchParams({ name: 'Kim Lee', email: 'kim@example.com', subject: 'Refund', message: 'Cracked', 'field.order_id': '7', 'field.amount_minor': '100', 'field.currency': 'usd', website: '' });
    const posted = await t.app.inject({ method: 'POST', url: '/forms/refund-request', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form.toString(), remoteAddress: '10.1.2.3' });
    expect(posted.statusCode, posted.body).toBe(201);

    // The job's outcome is counted once its completion is written, just after the action's status.
    const after = await until(scrape, ({ samples }) => value(samples, 'latch_jobs_total', { queue: 'action-execute', outcome: 'completed' }) > value(before, 'latch_jobs_total', { queue: 'action-execute', outcome: 'completed' }));
    const moved = (name: string, labels: Record<string, string>) => value(after.samples, name, labels) - value(before, name, labels);

    expect(moved('latch_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/cases', status_code: '201' })).toBe(1);
    expect(moved('latch_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/cases/:id', status_code: '200' })).toBe(3);
    expect(moved('latch_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    expect(moved('latch_http_request_duration_seconds_count', { method: 'POST', route: '/forms/:slug', status_code: '201' })).toBe(1);
    expect(value(after.samples, 'latch_http_request_duration_seconds_bucket', { route: '/api/v1/cases/:id', le: '+Inf' })).toBeGreaterThanOrEqual(3);
    expect(moved('latch_jobs_total', { queue: 'action-execute', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(moved('latch_executions_total', { plugin: 'stripe', outcome: 'succeeded' })).toBe(1);
    expect(moved('latch_intake_total', { channel: 'form', outcome: 'created' })).toBe(1);

    // Database facts (read at most every few seconds): wait for a reading after the traffic.
    const facts = await until(scrape, ({ samples }) => value(samples, 'latch_approvals_waiting') >= 1 && value(samples, 'latch_log_size') > 0, 15_000);
    expect(value(facts.samples, 'latch_approvals_waiting')).toBe(1);
    expect(value(facts.samples, 'latch_database_up')).toBe(1);
    expect(value(facts.samples, 'latch_log_size')).toBeGreaterThan(0);
    expect(value(facts.samples, 'latch_log_checkpoint_size')).toBeGreaterThan(0);
    const age = facts.samples.find((s) => s.name === 'latch_log_checkpoint_age_seconds');
    expect(age?.value).toBeGreaterThanOrEqual(0);
    expect(age?.value).toBeLessThan(600);
    expect(value(facts.samples, 'latch_process_resident_memory_bytes')).toBeGreaterThan(0);

    // No id, address, email or query string in any label.
    const labelValues = after.samples.flatMap((s) => Object.values(s.labels));
    for (const v of labelValues) {
      expect(v).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
      expect(v).not.toMatch(/@|\?/);
    }
    for (const secret of [caseId, small.id, large.id, 'jane@customer.example', 'kim@example.com', 'secret@mail.example', 'pi_metrics', 'sk_test_metrics_4242']) {
      expect(after.text).not.toContain(secret);
      expect(facts.text).not.toContain(secret);
    }
  });

  it('refuses callers without metrics:read or the scrape token, with stable codes', async () => {
    const anonymous = await t.app.inject({ url: '/metrics' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('UNAUTHENTICATED');
    const wrong = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${SCRAPE_TOKEN}x` } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('UNAUTHENTICATED');
    for (const user of [t.users.operator, t.users.approver, t.users.requester]) {
      const res = await t.app.inject({ url: '/metrics', headers: bearer(user) });
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'PERMISSION_DENIED', details: { permission: 'metrics:read' } });
    }
    const session = await t.app.inject({ url: '/metrics', headers: await sessionFor(t.app, t.users.operator) });
    expect(session.statusCode).toBe(403);
    // The scrape token opens /metrics and nothing else.
    const elsewhere = await t.app.inject({ url: '/api/v1/cases', headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
    expect(elsewhere.statusCode).toBe(401);
    // An admin, and an API token scoped to metrics:read alone, may read it.
    expect((await t.app.inject({ url: '/metrics', headers: bearer(t.users.admin) })).statusCode).toBe(200);
    const scoped = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(t.users.admin), payload: { name: 'prometheus', scopes: ['metrics:read'] } });
    expect(scoped.statusCode, scoped.body).toBe(201);
    const viaScoped = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${scoped.json().token}` } });
    expect(viaScoped.statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/cases', headers: { authorization: `Bearer ${scoped.json().token}` } })).statusCode).toBe(403);
  });
});

describe('GET /metrics without a scrape token configured (PGlite)', () => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch('pglite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('accepts no bearer value as a scrape token, not even an empty one', async () => {
    for (const authorization of ['Bearer ', 'Bearer undefined', 'Bearer x']) {
      const res = await t.app.inject({ url: '/metrics', headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHENTICATED');
    }
  });
});
