import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireAction } from '../src/approvals/expire-action.js';
import { verifyStore } from '../src/audit/verify-store.js';
import { actionRequests, approvalDecisions } from '../src/db/schema.js';
import { bearer, DB_KINDS, refundBody, sessionFor, startTestLatch, type TestLatch } from './harness.js';

const ROUNDS = 8;
const input = (amount_minor: number) => ({ payment_intent: 'pi_race', amount_minor, currency: 'usd', reason: 'duplicate' });

describe.each(DB_KINDS)('approval races on %s', (kind) => {
  let t: TestLatch;
  let approver: Record<string, string>;
  let approver2: Record<string, string>;
  beforeAll(async () => {
    t = await startTestLatch(kind);
    [approver, approver2] = await Promise.all([sessionFor(t.app, t.users.approver), sessionFor(t.app, t.users.approver2)]);
  });
  afterAll(async () => t?.close());

  async function pending(): Promise<{ id: string; payloadHash: string; caseId: string }> {
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id;
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input: input(75_000) } });
    return { ...res.json(), caseId };
  }
  const decide = (id: string, headers: Record<string, string>, payloadHash: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/actions/${id}/decisions`, headers, payload: { decision: 'approve', payloadHash } });
  const state = async (id: string) => {
    const [action] = await t.ctx.database.db.select().from(actionRequests).where(eq(actionRequests.id, id));
    const decisions = await t.ctx.database.db.select().from(approvalDecisions).where(and(eq(approvalDecisions.actionId, id), eq(approvalDecisions.round, action!.round)));
    return { action: action!, decisions };
  };

  it('two reviewers at once: exactly one grant', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const action = await pending();
      const results = await Promise.all([decide(action.id, approver, action.payloadHash), decide(action.id, approver2, action.payloadHash)]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
      const { action: row, decisions } = await state(action.id);
      expect(row.status).toBe('approved');
      expect(decisions).toHaveLength(1);
    }
  });

  it('one reviewer twice at once: never two grants from one person', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const action = await pending();
      const results = await Promise.all([decide(action.id, approver, action.payloadHash), decide(action.id, approver, action.payloadHash)]);
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
      expect((await state(action.id)).decisions).toHaveLength(1);
    }
  });

  it('a decision racing a payload edit: never an approval of a voided payload', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const action = await pending();
      const [decision, edit] = await Promise.all([
        decide(action.id, approver, action.payloadHash),
        t.app.inject({ method: 'PATCH', url: `/api/v1/actions/${action.id}`, headers: bearer(t.users.operator), payload: { input: input(80_000 + i) } }),
      ]);
      expect(edit.statusCode).toBe(200);
      const { action: row, decisions } = await state(action.id);
      // Whatever the order, the edit wins: the new payload waits for a fresh approval.
      expect(row.status).toBe('awaiting_approval');
      expect(row.payloadHash).not.toBe(action.payloadHash);
      expect(decisions).toHaveLength(0);
      if (decision.statusCode !== 201) expect(decision.json().error.code).toBe('PAYLOAD_CHANGED');
    }
  });

  it('a decision racing expiry: approved or expired, never both', async () => {
    const afterDeadline = new Date(Date.now() + 49 * 3_600_000);
    for (let i = 0; i < ROUNDS; i++) {
      const action = await pending();
      const [decision, expired] = await Promise.all([
        decide(action.id, approver, action.payloadHash),
        t.ctx.database.write((tx) => expireAction(tx, { actionId: action.id, round: 1, step: 0 }, afterDeadline)),
      ]);
      const { action: row, decisions } = await state(action.id);
      if (expired) {
        expect(row.status).toBe('expired');
        expect(decision.json().error.code).toBe('ACTION_EXPIRED');
        expect(decisions).toHaveLength(0);
      } else {
        expect(decision.statusCode).toBe(201);
        expect(row.status).toBe('approved');
        expect(decisions).toHaveLength(1);
      }
    }
    expect((await verifyStore(t.ctx.database.db)).ok).toBe(true);
  });
});
