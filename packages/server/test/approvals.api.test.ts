import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireAction } from '../src/approvals/expire-action.js';
import { verifyStore } from '../src/audit/verify-store.js';
import { createUser } from '../src/auth/users.js';
import { bearer, DB_KINDS, PASSWORD, refundBody, sessionFor, startTestLatch, type TestLatch, type TestUser } from './harness.js';

/** A refund of the case's own payment: the refund policy (v6) adds earlier refunds of one payment across cases. */
const refundInput = (amount_minor: number, caseId: string) => ({ payment_intent: `pi_${caseId.replaceAll('-', '')}`, amount_minor, currency: 'usd', reason: 'requested_by_customer' });

describe.each(DB_KINDS)('governed approvals on %s', (kind) => {
  let t: TestLatch;
  let approver: Record<string, string>;
  let approver2: Record<string, string>;
  let admin: Record<string, string>;
  let operator: Record<string, string>;
  beforeAll(async () => {
    t = await startTestLatch(kind);
    [approver, approver2, admin, operator] = await Promise.all([
      sessionFor(t.app, t.users.approver),
      sessionFor(t.app, t.users.approver2),
      sessionFor(t.app, t.users.admin),
      sessionFor(t.app, t.users.operator),
    ]);
  });
  afterAll(async () => t?.close());

  const newCase = async () => (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id as string;
  const propose = (caseId: string, amount: number, headers: Record<string, string> = operator) =>
    t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers, payload: { plugin: 'stripe', action: 'refund', input: refundInput(amount, caseId) } });
  const decide = (actionId: string, headers: Record<string, string>, body: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `/api/v1/actions/${actionId}/decisions`, headers, payload: { decision: 'approve', ...body } });
  const timeline = async (caseId: string) =>
    (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.admin) })).json().items as { kind: string; data: Record<string, unknown>; outcome: string; actor: { id: string } }[];
  const blockedCodes = async (caseId: string) => (await timeline(caseId)).filter((e) => e.kind === 'attempt.blocked').map((e) => e.data.code);

  it('approves at once what the policy does not govern, and says so on the record', async () => {
    const caseId = await newCase();
    const res = await propose(caseId, 50_000);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'approved', requirements: { steps: [], summary: 'No approval needed' }, policy: { key: 'refund_threshold', version: 4 } });
    expect((await timeline(caseId)).map((e) => e.kind).slice(-2)).toEqual(['action.proposed', 'action.approved']);
  });

  it('binds a proposal above the threshold to its payload and states what it needs', async () => {
    const caseId = await newCase();
    const res = await propose(caseId, 50_001);
    expect(res.statusCode).toBe(201);
    const action = res.json();
    expect(action).toMatchObject({ status: 'awaiting_approval', payloadHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(action.requirements.summary).toBe('1 approval by role refund_approver, not the proposer, within 48 h');
    const simulated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${caseId}/actions:simulate`,
      headers: bearer(t.users.operator),
      payload: { plugin: 'stripe', action: 'refund', input: refundInput(50_001, caseId) },
    });
    expect(simulated.json()).toMatchObject({ status: 'awaiting_approval', payloadHash: action.payloadHash });
    const events = (await timeline(caseId)).length;
    await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions:simulate`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input: refundInput(1, caseId) } });
    expect((await timeline(caseId)).length).toBe(events);
  });

  it('refuses every separation-of-duties breach, admins included, and records each refusal', async () => {
    const caseId = await newCase();
    const mine = (await propose(caseId, 90_001, admin)).json();
    const selfApproval = await decide(mine.id, admin, { payloadHash: mine.payloadHash });
    expect(selfApproval.statusCode).toBe(403);
    expect(selfApproval.json().error.code).toBe('SELF_APPROVAL_FORBIDDEN');

    const action = (await propose(caseId, 90_000)).json();
    const noRole = await decide(action.id, admin, { payloadHash: action.payloadHash });
    expect(noRole.json().error.code).toBe('ROLE_REQUIRED');
    const proposerWithoutRights = await decide(action.id, operator, { payloadHash: action.payloadHash });
    expect(proposerWithoutRights.json().error.code).toBe('SELF_APPROVAL_FORBIDDEN');
    const noPermission = await decide(action.id, bearer(t.users.outsider), { payloadHash: action.payloadHash });
    expect(noPermission.statusCode).toBe(404);
    const viaToken = await decide(action.id, bearer(t.users.approver), { payloadHash: action.payloadHash });
    expect(viaToken.statusCode).toBe(403);
    expect(viaToken.json().error.code).toBe('TOKEN_CANNOT_DECIDE');
    // A hash this action's payload never had is wrong, not stale (stale hashes: the voiding test below).
    const wrong = await decide(action.id, approver, { payloadHash: '0'.repeat(64) });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('PAYLOAD_HASH_MISMATCH');

    const granted = await decide(action.id, approver, { payloadHash: action.payloadHash, reason: 'matches the order' });
    expect(granted.statusCode).toBe(201);
    expect(granted.json()).toMatchObject({ status: 'approved', decisions: [{ decision: 'approve', decidedBy: t.users.approver.id, policyVersion: 4 }] });
    const again = await decide(action.id, approver2, { payloadHash: action.payloadHash });
    expect(again.json().error.code).toBe('ACTION_NOT_PENDING');

    // The outsider's NOT_FOUND is not on the case: it can't see the case, so it is on the system stream.
    expect(await blockedCodes(caseId)).toEqual(['SELF_APPROVAL_FORBIDDEN', 'ROLE_REQUIRED', 'SELF_APPROVAL_FORBIDDEN', 'TOKEN_CANNOT_DECIDE', 'PAYLOAD_HASH_MISMATCH', 'ACTION_NOT_PENDING']);
    const blocked = (await timeline(caseId)).find((e) => e.kind === 'attempt.blocked')!;
    expect(blocked).toMatchObject({ outcome: 'refused', actor: { id: t.users.admin.id }, data: { attempt: 'action.decide', actionId: mine.id } });
    expect((await verifyStore(t.ctx.database.db, [caseId])).ok).toBe(true);
  });

  describe('maker-checker an admin cannot walk around', () => {
    const NEW_PASSWORD = 'a brand new password for you';
    // Accounts made by the system (as the CLI would): nobody's administration.
    const systemUser = async (name: string, roles: string[]): Promise<TestUser> => {
      const email = `${name}@sod.test`;
      const user = await t.ctx.database.write((tx) => createUser(tx, { email, name, password: PASSWORD, roles, teams: ['refunds'] }, { type: 'system', id: 'test' }));
      return { id: user.id, email, token: '' };
    };
    const patchUser = (by: TestUser, user: TestUser, body: Record<string, unknown>) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: bearer(by), payload: body });
    const pending = async () => {
      const action = (await propose(await newCase(), 75_000, admin)).json();
      expect(action.status).toBe('awaiting_approval');
      return action as { id: string; payloadHash: string };
    };
    const systemEvent = async (id: string) => {
      const rows = await t.ctx.database.db.execute(sql`select kind from events where id = ${id} and stream = '00000000-0000-7000-8000-000000000000'`);
      return ((Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as { kind: string }[])[0]?.kind;
    };

    it('refuses an approver the proposing admin created, re-keyed or re-roled, naming the change, and records it', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: bearer(t.users.admin),
        payload: { email: 'shadow@sod.test', name: 'Shadow', password: PASSWORD, roles: ['refund_approver'], teams: ['refunds'] },
      });
      expect(created.statusCode).toBe(201);
      const shadow = { id: created.json().id as string, email: 'shadow@sod.test', token: '' };
      const rhea = await systemUser('rhea', ['refund_approver']);
      expect((await patchUser(t.users.admin, rhea, { password: NEW_PASSWORD })).statusCode).toBe(200);
      const rob = await systemUser('rob', ['operator']);
      expect((await patchUser(t.users.admin, rob, { roles: ['refund_approver'] })).statusCode).toBe(200);

      for (const [user, password, change, wording] of [
        [shadow, PASSWORD, 'created', /^Your account was created by the proposer at .* \(event [0-9a-f-]{36}\)/],
        [rhea, NEW_PASSWORD, 'password', /^Your account had its password changed by the proposer/],
        [rob, PASSWORD, 'roles', /^Your account had its roles changed by the proposer/],
      ] as const) {
        const action = await pending();
        const session = await sessionForPassword(user, password);
        // Not offered in their inbox either (the engine would refuse it), while an independent approver has it.
        const inbox = async (headers: Record<string, string>) =>
          ((await t.app.inject({ method: 'GET', url: '/api/v1/approvals?waiting_for=me', headers })).json().items as { action: { id: string } }[]).map((i) => i.action.id);
        expect(await inbox(session), user.email).not.toContain(action.id);
        expect(await inbox(approver)).toContain(action.id);
        const refused = await decide(action.id, session, { payloadHash: action.payloadHash });
        expect(refused.statusCode, user.email).toBe(403);
        const error = refused.json().error;
        expect(error).toMatchObject({ code: 'APPROVER_ADMINISTERED_BY_PROPOSER', details: { userId: user.id, changedBy: t.users.admin.id, changes: [change], windowDays: 30 } });
        expect(error.message).toMatch(wording);
        expect(error.message).toContain(error.details.eventId);
        expect(await systemEvent(error.details.eventId)).toBe(change === 'created' ? 'user.created' : 'user.updated');
        const [blocked] = (await timeline(await caseOf(action.id))).filter((e) => e.kind === 'attempt.blocked');
        expect(blocked).toMatchObject({ outcome: 'refused', actor: { id: user.id }, data: { code: 'APPROVER_ADMINISTERED_BY_PROPOSER', actionId: action.id, message: error.message } });
      }

      // A denial by an administered reviewer can only stop the proposer's action: allowed.
      const action = await pending();
      const denied = await decide(action.id, await sessionForPassword(shadow, PASSWORD), { decision: 'deny', payloadHash: action.payloadHash, reason: 'not convinced' });
      expect(denied.statusCode).toBe(201);
      expect(denied.json().status).toBe('denied');
    });

    it('counts only the proposer’s changes, only within the window, and not around a delegation', async () => {
      const uma = await systemUser('uma', ['operator']);
      const otherAdmin = await systemUser('ada2', ['admin']);
      const ada2Token = (await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: await sessionForPassword(otherAdmin, PASSWORD), payload: { name: 'ada2', scopes: ['*'] } })).json().token as string;
      expect((await patchUser({ ...otherAdmin, token: ada2Token }, uma, { roles: ['refund_approver'] })).statusCode).toBe(200);
      const unrelated = await pending();
      expect((await decide(unrelated.id, await sessionForPassword(uma, PASSWORD), { payloadHash: unrelated.payloadHash })).json().status).toBe('approved');

      const ray = await systemUser('ray', ['operator']);
      expect((await patchUser(t.users.admin, ray, { roles: ['refund_approver'] })).statusCode).toBe(200);
      const raySession = await sessionForPassword(ray, PASSWORD);
      const recent = await pending();
      expect((await decide(recent.id, raySession, { payloadHash: recent.payloadHash })).json().error.code).toBe('APPROVER_ADMINISTERED_BY_PROPOSER');
      await t.ctx.database.db.execute(sql`update account_changes set at = now() - interval '31 days' where user_id = ${ray.id}`);
      expect((await decide(recent.id, raySession, { payloadHash: recent.payloadHash })).json().status).toBe('approved');

      // Delegation: neither a clean delegate for an administered delegator, nor the other way round.
      const endsAt = new Date(Date.now() + 86_400_000).toISOString();
      const vic = await systemUser('vic', ['refund_approver']);
      const wes = await systemUser('wes', ['refund_approver']);
      expect((await patchUser(t.users.admin, wes, { teams: ['refunds', 'finance'] })).statusCode).toBe(200);
      const [vicSession, wesSession] = [await sessionForPassword(vic, PASSWORD), await sessionForPassword(wes, PASSWORD)];
      for (const [from, fromSession, to, toSession] of [
        [wes, wesSession, vic, vicSession],
        [vic, vicSession, wes, wesSession],
      ] as const) {
        const delegated = await t.app.inject({ method: 'POST', url: '/api/v1/delegations', headers: fromSession, payload: { toUserId: to.id, endsAt } });
        expect(delegated.statusCode).toBe(201);
        const action = await pending();
        const refused = await decide(action.id, toSession, { payloadHash: action.payloadHash, onBehalfOf: from.id });
        expect(refused.json().error).toMatchObject({ code: 'APPROVER_ADMINISTERED_BY_PROPOSER', details: { userId: wes.id, changes: ['teams'] } });
      }
    });

    const sessionForPassword = async (user: TestUser, password: string) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password } });
      expect(res.statusCode, res.body).toBe(200);
      const cookie = res.cookies.find((c) => c.name === 'latch_session')!;
      return { cookie: `latch_session=${cookie.value}`, 'x-csrf-token': res.json().csrfToken as string };
    };
    const caseOf = async (actionId: string) => (await t.app.inject({ url: `/api/v1/actions/${actionId}`, headers: bearer(t.users.admin) })).json().caseId as string;
  });

  it('voids approvals when the payload changes, and evaluates the policy again', async () => {
    const caseId = await newCase();
    const action = (await propose(caseId, 60_000)).json();
    await decide(action.id, approver, { payloadHash: action.payloadHash });
    const othersEdit = await t.app.inject({ method: 'PATCH', url: `/api/v1/actions/${action.id}`, headers: bearer(t.users.admin), payload: { input: refundInput(70_000, caseId) } });
    expect(othersEdit.json().error.code).toBe('PERMISSION_DENIED');
    const edited = await t.app.inject({ method: 'PATCH', url: `/api/v1/actions/${action.id}`, headers: bearer(t.users.operator), payload: { input: refundInput(70_000, caseId) } });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ status: 'awaiting_approval', decisions: [] });
    expect(edited.json().payloadHash).not.toBe(action.payloadHash);
    const oldHash = await decide(action.id, approver2, { payloadHash: action.payloadHash });
    expect(oldHash.json().error.code).toBe('PAYLOAD_CHANGED');
    const kinds = (await timeline(caseId)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['approval.granted', 'action.approved', 'action.voided', 'action.updated']));
    // The same approver may approve the new payload: the voided approval no longer counts.
    const fresh = await decide(action.id, approver, { payloadHash: edited.json().payloadHash });
    expect(fresh.json().status).toBe('approved');
    const lowered = await t.app.inject({ method: 'PATCH', url: `/api/v1/actions/${action.id}`, headers: bearer(t.users.operator), payload: { input: refundInput(100, caseId) } });
    expect(lowered.json()).toMatchObject({ status: 'approved', requirements: { steps: [] } });
  });

  it('refuses a second identical proposal while the first is pending', async () => {
    const caseId = await newCase();
    const first = (await propose(caseId, 70_000)).json();
    const second = await propose(caseId, 70_000, admin);
    expect(second.statusCode).toBe(409);
    expect(second.json().error).toMatchObject({ code: 'DUPLICATE_ACTION', details: { actionId: first.id } });
    await t.app.inject({ method: 'POST', url: `/api/v1/actions/${first.id}/cancel`, headers: operator, payload: {} });
    expect((await propose(caseId, 70_000, admin)).statusCode).toBe(201);
  });

  it('ends an action with one denial', async () => {
    const caseId = await newCase();
    const action = (await propose(caseId, 60_000)).json();
    const denied = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${action.id}/decisions`, headers: approver, payload: { decision: 'deny', payloadHash: action.payloadHash, reason: 'duplicate' } });
    expect(denied.json().status).toBe('denied');
    expect((await decide(action.id, approver2, { payloadHash: action.payloadHash })).json().error.code).toBe('ACTION_NOT_PENDING');
  });

  it('lets a delegate decide on the delegator’s behalf, never for the delegator’s own proposal', async () => {
    const caseId = await newCase();
    const endsAt = new Date(Date.now() + 86_400_000).toISOString();
    const delegation = await t.app.inject({ method: 'POST', url: '/api/v1/delegations', headers: approver, payload: { toUserId: t.users.operator.id, endsAt, reason: 'on leave' } });
    expect(delegation.statusCode).toBe(201);
    const byApprover2 = (await propose(caseId, 60_000, approver2)).json();
    expect(byApprover2.error?.code).toBe('PERMISSION_DENIED');

    const action = (await propose(caseId, 60_000, admin)).json();
    const waiting = (await t.app.inject({ url: '/api/v1/approvals?waiting_for=me', headers: approver })).json().items.map((i: { action: { id: string } }) => i.action.id);
    expect(waiting).toContain(action.id);
    const notForAdmin = await t.app.inject({ url: '/api/v1/approvals?waiting_for=me', headers: admin });
    expect(notForAdmin.json().items.map((i: { action: { id: string } }) => i.action.id)).not.toContain(action.id);

    // operator holds approver's delegation but has neither role nor action:decide of their own
    const noPermission = await decide(action.id, operator, { payloadHash: action.payloadHash, onBehalfOf: t.users.approver.id });
    expect(noPermission.json().error.code).toBe('PERMISSION_DENIED');
    const toApprover2 = await t.app.inject({ method: 'POST', url: '/api/v1/delegations', headers: approver, payload: { toUserId: t.users.approver2.id, endsAt } });
    expect(toApprover2.statusCode).toBe(201);
    const onBehalf = await decide(action.id, approver2, { payloadHash: action.payloadHash, onBehalfOf: t.users.approver.id });
    expect(onBehalf.statusCode).toBe(201);
    expect(onBehalf.json().decisions[0]).toMatchObject({ decidedBy: t.users.approver2.id, onBehalfOf: t.users.approver.id });
    const granted = (await timeline(caseId)).find((e) => e.kind === 'approval.granted')!;
    expect(granted.data.onBehalfOf).toBe(t.users.approver.id);

    const own = (await propose(caseId, 60_001, admin)).json();
    const ownByDelegate = await t.app.inject({ method: 'POST', url: '/api/v1/delegations', headers: admin, payload: { toUserId: t.users.approver.id, endsAt } });
    expect(ownByDelegate.statusCode).toBe(201);
    const refused = await decide(own.id, approver, { payloadHash: own.payloadHash, onBehalfOf: t.users.admin.id });
    expect(refused.json().error.code).toBe('SELF_APPROVAL_FORBIDDEN');
    const noDelegation = await decide(own.id, approver, { payloadHash: own.payloadHash, onBehalfOf: t.users.outsider.id });
    expect(noDelegation.json().error.code).toBe('NO_DELEGATION');
  });

  it('expires a waiting action on its timer, and refuses decisions after the deadline', async () => {
    const caseId = await newCase();
    const action = (await propose(caseId, 60_000)).json();
    const jobs = await t.ctx.database.db.execute(sql`select data, start_after from pgboss.job where name = 'approval-expiry' and data->>'actionId' = ${action.id}`);
    const rows = (Array.isArray(jobs) ? jobs : (jobs as { rows: { start_after: Date }[] }).rows) as { start_after: Date | string }[];
    expect(rows).toHaveLength(1);
    expect(Math.abs(new Date(rows[0]!.start_after).getTime() - new Date(action.expiresAt).getTime())).toBeLessThan(1000);
    expect(await t.ctx.database.write((tx) => expireAction(tx, { actionId: action.id, round: 1, step: 0 }))).toBe(false);
    const later = new Date(Date.now() + 49 * 3_600_000);
    expect(await t.ctx.database.write((tx) => expireAction(tx, { actionId: action.id, round: 1, step: 0 }, later))).toBe(true);
    const late = await decide(action.id, approver, { payloadHash: action.payloadHash });
    expect(late.json().error.code).toBe('ACTION_EXPIRED');
    expect((await timeline(caseId)).map((e) => e.kind)).toContain('action.expired');
  });

  it('runs the expiry timer through the job queue: a due timer expires the action with no request', async () => {
    const caseId = await newCase();
    const action = (await propose(caseId, 60_000)).json();
    // Bring the deadline forward, then schedule the timer for now, exactly as a step start does.
    await t.ctx.database.db.execute(sql`update action_requests set expires_at = now() - interval '1 second' where id = ${action.id}`);
    await t.ctx.database.write((tx) => t.ctx.scheduler.schedule(tx, 'approval-expiry', { actionId: action.id, round: 1, step: 0 }, new Date()));
    let status = '';
    for (let i = 0; i < 60 && status !== 'expired'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await t.app.inject({ url: `/api/v1/actions/${action.id}`, headers: bearer(t.users.operator) })).json().status;
    }
    expect(status).toBe('expired');
    expect((await timeline(caseId)).find((e) => e.kind === 'action.expired')?.actor).toMatchObject({ id: 'expiry' });
  });
});
