import { PERMISSIONS } from '@latch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD_LENGTH } from '../src/auth/passwords.js';
import { bearer, DB_KINDS, refundBody, sessionFor, startTestLatch, type TestLatch } from './harness.js';

/** The smaller fixes of issue 17: decision hashes, scope names, password limits, the currency-aware refund policy. */
describe.each(DB_KINDS)('issue 17 fixes (%s)', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const newRefund = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const refund = (amount_minor: number, currency: string) => ({ plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_123', amount_minor, currency, reason: 'duplicate' } });

  it('tells a stale hash (an earlier payload: PAYLOAD_CHANGED) from one that never was this payload (PAYLOAD_HASH_MISMATCH), both on the record', async () => {
    const caseId = await newRefund();
    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: refund(60_000, 'usd') });
    expect(proposed.json().status).toBe('awaiting_approval');
    const first = proposed.json().payloadHash as string;
    const edited = await t.app.inject({ method: 'PATCH', url: `/api/v1/actions/${proposed.json().id}`, headers: bearer(t.users.operator), payload: { input: refund(61_000, 'usd').input } });
    expect(edited.statusCode).toBe(200);
    const current = edited.json().payloadHash as string;
    expect(current).not.toBe(first);

    const reviewer = await sessionFor(t.app, t.users.approver);
    const decide = (payloadHash: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/actions/${proposed.json().id}/decisions`, headers: reviewer, payload: { decision: 'approve', payloadHash } });
    const stale = await decide(first);
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'PAYLOAD_CHANGED', details: { currentPayloadHash: current } });
    const never = await decide('ab'.repeat(32));
    expect(never.statusCode).toBe(400);
    expect(never.json().error).toMatchObject({ code: 'PAYLOAD_HASH_MISMATCH', details: { currentPayloadHash: current } });
    expect(never.json().error.message).toContain('not the hash of this action’s payload');

    const timeline = (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.operator) })).json().items;
    const refusals = timeline.filter((e: { kind: string }) => e.kind === 'attempt.blocked').map((e: { data: { code: string; attempt: string } }) => [e.data.attempt, e.data.code]);
    expect(refusals).toEqual([
      ['action.decide', 'PAYLOAD_CHANGED'],
      ['action.decide', 'PAYLOAD_HASH_MISMATCH'],
    ]);
    // The current hash is still accepted.
    expect((await decide(current)).json().status).toMatch(/^(approved|queued)$/);
  });

  it('lists the valid scopes when a token asks for an unknown one', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(t.users.operator), payload: { name: 'typo', scopes: ['cases', 'case:read'] } });
    expect(res.statusCode).toBe(400);
    const { code, message, details } = res.json().error;
    expect(code).toBe('VALIDATION_FAILED');
    expect(message).toBe(`Unknown scopes: cases. Valid scopes: ${['*', ...PERMISSIONS].join(', ')}`);
    expect(details).toMatchObject({ field: 'scopes', unknown: ['cases'], valid: ['*', ...PERMISSIONS] });
    expect(details.valid).toContain('case:read');
  });

  it("publishes the server's password limits in the OpenAPI document of every route that sets a password", async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    const passwordOf = (path: string, method: string) => doc.paths[path][method].requestBody.content['application/json'].schema.properties.password;
    for (const [path, method] of [
      ['/api/v1/users', 'post'],
      ['/api/v1/users/{id}', 'patch'],
    ] as const) {
      expect(passwordOf(path, method)).toMatchObject({ minLength: PASSWORD_LENGTH.min, maxLength: PASSWORD_LENGTH.max });
    }
    expect(PASSWORD_LENGTH.min).toBe(12);
    // …and the server holds to them: one character short is refused, the minimum is accepted.
    const create = (password: string, email: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(t.users.admin), payload: { email, name: 'New person', password, roles: ['operator'] } });
    const short = await create('x'.repeat(PASSWORD_LENGTH.min - 1), 'short@test.example');
    expect(short.statusCode).toBe(400);
    expect(short.json().error.code).toBe('VALIDATION_FAILED');
    expect((await create('x'.repeat(PASSWORD_LENGTH.min), 'long-enough@test.example')).statusCode).toBe(201);
  });

  it('asks for the second reviewer above each currency’s own threshold (refund v4 to v6: 500.00 USD, 450.00 CHF)', async () => {
    const caseId = await newRefund();
    const created = (await t.app.inject({ url: `/api/v1/cases/${caseId}`, headers: bearer(t.users.operator) })).json();
    expect(created.typeVersion).toBe(6);
    const simulate = async (amount: number, currency: string) => {
      // A payment of its own: refund v6 adds the payment's earlier refunds, and other tests here refund pi_123.
      const payload = { ...refund(amount, currency), input: { ...refund(amount, currency).input, payment_intent: 'pi_thresholds' } };
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions:simulate`, headers: bearer(t.users.operator), payload });
      expect(res.statusCode).toBe(200);
      expect(res.json().policy).toEqual({ key: 'refund_threshold', version: 4 });
      return res.json();
    };
    const usd600 = await simulate(60_000, 'usd');
    expect(usd600.status).toBe('awaiting_approval');
    expect(usd600.requirements.steps).toMatchObject([{ role: 'refund_approver', count: 1 }]);
    expect((await simulate(50_000, 'usd')).status).toBe('approved');
    // 460.00 CHF is under the USD threshold but over CHF's own.
    expect((await simulate(46_000, 'chf')).status).toBe('awaiting_approval');
    expect((await simulate(45_000, 'chf')).status).toBe('approved');
    expect((await simulate(40_001, 'gbp')).status).toBe('awaiting_approval');
    expect((await simulate(45_000, 'eur')).status).toBe('approved');

    // And a real proposal of USD 600.00 waits for a refund_approver.
    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: refund(60_000, 'usd') });
    expect(proposed.json()).toMatchObject({ status: 'awaiting_approval', requirements: { summary: '1 approval by role refund_approver, not the proposer, within 48 h' } });
  });
});
