import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { bearer, DB_KINDS, PASSWORD, refundBody, startTestLatch, TEST_CONFIG_DIR, type TestLatch, type TestUser } from './harness.js';

const THRESHOLD = "{'usd': 50000, 'eur': 45000, 'gbp': 40000, 'chf': 45000}[input.currency]";
/**
 * The shipped config plus `refund_strict`: refund v5 whose policy also counts the payment's refunds
 * on other cases and the proposer's over 30 days (the demo policy counts the case's alone).
 */
function configWithStrictRefunds(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-history-config-'));
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  const v5 = readFileSync(join(dir, 'case-types', 'refund.v5.yaml'), 'utf8');
  const when = `input.amount_minor + history.sameCase.sum > ${THRESHOLD} || input.amount_minor + history.samePayment.sum > ${THRESHOLD} || input.amount_minor + history.sameRequester.sum > 10 * ${THRESHOLD}`;
  const strict = v5
    .replace(/^key: refund$/m, 'key: refund_strict')
    .replace(/^version: 5$/m, 'version: 1')
    .replace(/^ {8}when: .*$/m, `        when: ${JSON.stringify(when)}`);
  if (!strict.includes('samePayment')) throw new Error('refund.v5.yaml no longer has the shape this test rewrites');
  writeFileSync(join(dir, 'case-types', 'refund_strict.v1.yaml'), strict);
  return dir;
}

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
let unique = 0;
/** A refund of this payment; `variant` changes the payload (the reason, or charge for intent) so no two are identical. */
const refund = (amount_minor: number, payment: string, variant = 0) => ({
  ...(variant < 3 ? { payment_intent: payment } : { charge: `ch_${payment.slice(3)}` }),
  amount_minor,
  currency: 'usd',
  reason: REASONS[variant % 3],
});

describe.each(DB_KINDS)('policies that see earlier actions (refund v5) on %s', (kind) => {
  let t: TestLatch;
  /** A fresh operator of the refunds team for each test, proposing through an API token: its `sameRequester` starts at zero. */
  let operator: TestUser;
  beforeAll(async () => {
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: configWithStrictRefunds() });
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    const system = { type: 'system', id: 'test' } as const;
    const email = `op${++unique}@history.test`;
    const user = await t.ctx.database.write((tx) => createUser(tx, { email, name: 'Olivia', password: PASSWORD, roles: ['operator'], teams: ['refunds'] }, system));
    const { token } = await t.ctx.database.write((tx) => createToken(tx, user, { name: 'integration', scopes: ['*'] }, system));
    operator = { id: user.id, email, token };
  });

  const newCase = async (who: TestUser = operator, type = 'refund') => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(who), payload: refundBody({ type }) });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const propose = (caseId: string, input: Record<string, unknown>, who: TestUser = operator) =>
    t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(who), payload: { plugin: 'stripe', action: 'refund', input } });
  const proposed = async (caseId: string, input: Record<string, unknown>, who?: TestUser) => {
    const res = await propose(caseId, input, who);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; status: string };
  };
  const payment = () => `pi_split${++unique}${kind}`;

  it('asks for review once five 500.00 refunds split on one case (through a token) pass the threshold, and records what the policy saw', async () => {
    const caseId = await newCase();
    const pi = payment();
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await proposed(caseId, refund(50_000, pi, i))).status);
    expect(statuses).toEqual(['approved', 'awaiting_approval', 'awaiting_approval', 'awaiting_approval', 'awaiting_approval']);
    const timeline = (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.admin) })).json().items as { kind: string; data: Record<string, unknown> }[];
    const facts = timeline.filter((e) => e.kind === 'action.proposed').map((e) => e.data.history);
    expect(facts[0]).toEqual({ sameCase: { sum: 0, count: 0 }, samePayment: { sum: 0, count: 0 }, sameRequester: expect.any(Object) });
    // The fifth refunds by charge: only the fourth named that charge; the case saw all four.
    expect(facts[4]).toEqual({ sameCase: { sum: 200_000, count: 4 }, samePayment: { sum: 50_000, count: 1 }, sameRequester: { sum: 200_000, count: 4 } });
  });

  it('lets smaller refunds through until their sum on the case passes the threshold', async () => {
    const caseId = await newCase();
    const pi = payment();
    expect((await proposed(caseId, refund(20_000, pi, 0))).status).toBe('approved');
    expect((await proposed(caseId, refund(20_000, pi, 1))).status).toBe('approved');
    const third = await proposed(caseId, refund(10_001, pi, 2));
    expect(third.status).toBe('awaiting_approval');
  });

  it('does not count denied or cancelled refunds, nor refunds in another currency', async () => {
    const caseId = await newCase();
    const pi = payment();
    const big = await proposed(caseId, refund(60_000, pi, 0));
    expect(big.status).toBe('awaiting_approval');
    const cancel = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${big.id}/cancel`, headers: bearer(operator), payload: { reason: 'wrong amount' } });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await proposed(caseId, { ...refund(40_000, pi, 1), currency: 'eur' })).status).toBe('approved');
    expect((await proposed(caseId, refund(50_000, pi, 2))).status).toBe('approved');
  });

  it('lets only one of two concurrent proposals slip under the threshold', async () => {
    const caseId = await newCase();
    const pi = payment();
    const results = await Promise.all([propose(caseId, refund(30_000, pi, 0)), propose(caseId, refund(30_000, pi, 1))]);
    expect(results.map((r) => r.statusCode)).toEqual([201, 201]);
    expect(results.map((r) => r.json().status as string).sort()).toEqual(['approved', 'awaiting_approval']);
  });

  it('lets only one of two concurrent proposals on different cases for the same payment slip under (refund_strict)', async () => {
    const pi = payment();
    const [a, b] = [await newCase(operator, 'refund_strict'), await newCase(operator, 'refund_strict')];
    const results = await Promise.all([propose(a, refund(30_000, pi, 0)), propose(b, refund(30_000, pi, 1))]);
    expect(results.map((r) => r.statusCode)).toEqual([201, 201]);
    expect(results.map((r) => r.json().status as string).sort()).toEqual(['approved', 'awaiting_approval']);
  });

  it('sums refunds of the same payment intent across cases when the policy asks', async () => {
    const pi = payment();
    const strictCase = () => newCase(operator, 'refund_strict');
    expect((await proposed(await strictCase(), refund(30_000, pi, 0))).status).toBe('approved');
    expect((await proposed(await strictCase(), refund(30_000, pi, 1))).status).toBe('awaiting_approval');
    expect((await proposed(await strictCase(), refund(30_000, payment(), 1))).status).toBe('approved');
    // The demo policy (refund v6) counts the payment too: the same payment on a new refund case is held.
    expect((await proposed(await newCase(), refund(30_000, pi, 2))).status).toBe('awaiting_approval');
  });

  it('asks for review once one proposer has refunded ten times the threshold in the window', async () => {
    const who = operator;
    const statuses: string[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await proposed(await newCase(who, 'refund_strict'), refund(50_000, payment(), 0), who)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill('approved'));
    expect(statuses[10]).toBe('awaiting_approval');
    const simulated = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${await newCase(who, 'refund_strict')}/actions:simulate`, headers: bearer(who), payload: { plugin: 'stripe', action: 'refund', input: refund(1, payment()) } });
    expect(simulated.json()).toMatchObject({ status: 'awaiting_approval', history: { sameRequester: { sum: 550_000, count: 11 }, sameCase: { sum: 0, count: 0 } } });
  });

  it('evaluates an edit against the other refunds, not against itself', async () => {
    const caseId = await newCase();
    const pi = payment();
    const first = await proposed(caseId, refund(30_000, pi, 0));
    expect(first.status).toBe('approved');
    const second = await proposed(caseId, refund(30_000, pi, 1));
    expect(second.status).toBe('awaiting_approval');
    const edited = await t.app.inject({ method: 'PATCH', url: `/api/v1/actions/${second.id}`, headers: bearer(operator), payload: { input: refund(20_000, pi, 1) } });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json().status).toBe('approved');
  });
});
