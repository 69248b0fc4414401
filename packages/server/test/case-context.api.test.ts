import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson, sha256Hex } from '@latch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeServer } from './fakes/stripe-server.js';
import { bearer, DB_KINDS, TEST_CONFIG_DIR, refundBody, startTestLatch, type TestLatch } from './harness.js';

const STRIPE_PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/stripe', import.meta.url));
const KEY = 'sk_test_context_api_4242';

/** The repo's config with the Stripe plugin, asked for context on refund cases. */
function configDir(stripeUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-context-config-'));
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'plugins.yaml'), `plugins:\n  stripe:\n    path: ${STRIPE_PLUGIN_DIR}\n    config: { apiBase: "${stripeUrl}" }\n    secrets: { apiKey: { env: LATCH_TEST_CONTEXT_STRIPE_KEY } }\n    context: [refund]\n`);
  return dir;
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Item = { plugin: string; status: string; updatedAt: string; answer: null | { sha256: string; fetchedAt: string; summary: string | null; facts: { label: string; value: string }[]; erased: boolean } };
type Event = { kind: string; actor: { type: string; id: string; user?: string }; data: Record<string, unknown>; blobs?: string[] };
const factsOf = (item: Item | undefined) => Object.fromEntries((item?.answer?.facts ?? []).map((f) => [f.label, f.value]));

describe.each(DB_KINDS)('context from plugins, on %s', (kind) => {
  let stripe: StripeServer;
  let dir: string;
  let t: TestLatch;
  beforeAll(async () => {
    process.env.LATCH_TEST_CONTEXT_STRIPE_KEY = KEY;
    stripe = await startStripeServer({ paymentIntents: [{ id: 'pi_ctxolder', amount: 1_200, currency: 'usd', customer: 'cus_ctx' }, { id: 'pi_ctx', amount: 60_000, currency: 'usd', customer: 'cus_ctx' }] });
    dir = configDir(stripe.url);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    await stripe?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const operator = () => bearer(t.users.operator);
  const context = async (id: string, headers = operator()) => t.app.inject({ url: `/api/v1/cases/${id}/context`, headers });
  const stripeItem = async (id: string) => ((await context(id)).json().items as Item[]).find((i) => i.plugin === 'stripe');
  const timeline = async (id: string) => (await t.app.inject({ url: `/api/v1/cases/${id}/timeline`, headers: operator() })).json().items as Event[];
  const open = async (fields: Record<string, unknown>, requester = 'jane@customer.example') => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: operator(), payload: refundBody({ requester: { email: requester, name: 'Jane Doe' }, fields: { order_id: '1', amount_minor: 600, currency: 'usd', ...fields } }) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };

  it('a new refund case gets the Stripe facts of its payment, stored by SHA-256 and on the timeline', async () => {
    const id = await open({ payment_intent: 'pi_ctx' });
    const item = await until(() => stripeItem(id), (i) => i?.status === 'attached');
    expect(item).toMatchObject({ plugin: 'stripe', status: 'attached', answer: { summary: '600.00 USD paid, 0.00 USD refunded in 0 refunds', erased: false } });
    expect(factsOf(item)).toMatchObject({ 'Payment intent': 'pi_ctx', Amount: '600.00 USD', Currency: 'USD', 'Refunded so far': '0.00 USD', Refunds: '0', Customer: 'cus_ctx' });
    expect(Object.keys(factsOf(item)).filter((l) => l.startsWith('Recent charge'))).toHaveLength(2);
    expect(stripe.requests.some((r) => r.method === 'GET' && r.path === '/v1/payment_intents/pi_ctx' && r.headers.authorization === `Bearer ${KEY}`)).toBe(true);

    const attached = (await timeline(id)).filter((e) => e.kind === 'case.context_attached');
    expect(attached).toHaveLength(1);
    expect(attached[0]).toMatchObject({ actor: { type: 'plugin', id: 'stripe' }, data: { plugin: 'stripe', sha256: item!.answer!.sha256, facts: item!.answer!.facts.length }, blobs: [item!.answer!.sha256] });
    const { facts, summary, fetchedAt } = item!.answer!;
    expect(sha256Hex(canonicalJson({ facts, summary, fetchedAt }))).toBe(item!.answer!.sha256);
    // Someone outside the case's queue is told it does not exist.
    expect((await context(id, bearer(t.users.outsider))).statusCode).toBe(404);
  });

  it('refresh asks again (on the record, by whom) and attaches a new answer; only those who work cases may', async () => {
    const id = await open({ payment_intent: 'pi_ctx' });
    const first = await until(() => stripeItem(id), (i) => i?.status === 'attached');
    stripe.ledger.createRefund({ payment_intent: 'pi_ctx', amount: '2500' });
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/context:refresh`, headers: bearer(t.users.requester) })).statusCode).toBe(403);
    const refreshed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/context:refresh`, headers: operator() });
    expect([refreshed.statusCode, refreshed.json()]).toEqual([202, { requested: ['stripe'] }]);
    const second = await until(() => stripeItem(id), (i) => i?.status === 'attached' && i.answer?.sha256 !== first!.answer!.sha256);
    expect(factsOf(second)).toMatchObject({ 'Refunded so far': '25.00 USD', Refunds: '1' });
    const kinds = (await timeline(id)).map((e) => e.kind).filter((k) => k.startsWith('case.context'));
    expect(kinds).toEqual(['case.context_attached', 'case.context_requested', 'case.context_attached']);
    const requested = (await timeline(id)).find((e) => e.kind === 'case.context_requested')!;
    expect(requested).toMatchObject({ actor: { type: 'token', user: t.users.operator.id }, data: { plugins: ['stripe'] } });
  });

  it('a plugin that keeps failing makes the context unavailable, and the case opens all the same', async () => {
    stripe.addPaymentIntent(700, 'usd', 'pi_ctxdown');
    stripe.inject({ kind: 'api_error', path: '/v1/payment_intents/pi_ctxdown', times: 3 });
    const id = await open({ payment_intent: 'pi_ctxdown' });
    expect((await t.app.inject({ url: `/api/v1/cases/${id}`, headers: operator() })).statusCode).toBe(200);
    const item = await until(() => stripeItem(id), (i) => i?.status === 'unavailable');
    expect(item).toMatchObject({ status: 'unavailable', answer: null });
    const events = await timeline(id);
    expect(events.filter((e) => e.kind === 'case.context_unavailable')).toEqual([expect.objectContaining({ actor: { type: 'plugin', id: 'stripe' }, data: { plugin: 'stripe', attempts: 3 } })]);
    expect(stripe.requests.filter((r) => r.path === '/v1/payment_intents/pi_ctxdown')).toHaveLength(3);
    // Stripe is back: a refresh attaches the facts.
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/context:refresh`, headers: operator() })).statusCode).toBe(202);
    const back = await until(() => stripeItem(id), (i) => i?.status === 'attached');
    expect(factsOf(back)).toMatchObject({ Amount: '7.00 USD' });
  });

  it('a case type no plugin gives context on has none, and refreshing it is refused with a code', async () => {
    const admin = bearer(t.users.admin);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: admin, payload: { type: 'vendor_bank_change', title: 'New bank details', fields: { vendor_id: 'V-1' } } });
    const id = res.statusCode === 201 ? (res.json().id as string) : undefined;
    if (!id) throw new Error(`could not open a vendor_bank_change case: ${res.body}`);
    expect((await context(id, admin)).json()).toEqual({ items: [] });
    const refused = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/context:refresh`, headers: admin });
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'CONTEXT_NOT_OFFERED']);
  });

  it('erasing the requester erases the stored answer; its hash stays on the record', async () => {
    const subject = `ctx-erase-${kind}@customer.example`;
    const id = await open({ payment_intent: 'pi_ctx' }, subject);
    const item = await until(() => stripeItem(id), (i) => i?.status === 'attached');
    const erased = await t.app.inject({ method: 'POST', url: '/api/v1/erasures', headers: bearer(t.users.admin), payload: { subject, reason: 'TICKET-1' } });
    expect(erased.statusCode, erased.body).toBe(200);
    const after = await stripeItem(id);
    expect(after).toMatchObject({ status: 'attached', answer: { sha256: item!.answer!.sha256, facts: [], erased: true } });
    expect((await t.app.inject({ url: `/api/v1/cases/${id}/verification`, headers: operator() })).json().ok).toBe(true);
  });
});
