import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/auth/users.js';
import { startLocalApi, type LocalApi } from './fakes/access-api-server.js';
import { DB_KINDS, PASSWORD, sessionFor, startTestLatch, type TestLatch } from './harness.js';
import { accessConfig, grantInput } from './workflow-support.js';

type Event = { kind: string; actor: { type: string; id: string }; data: Record<string, unknown>; presentation: { summary: string } };
type Action = { id: string; status: string; payloadHash: string; input: { path: string; body: Record<string, unknown> }; proposedBy: string };

/**
 * The shipped temporary access grant end to end: a resource owner approves, the HTTP plugin grants
 * through a local access API, and the revoke runs by itself at expiry as the system, through the
 * same plugin, retried after a failure, exactly once in effect.
 */
describe.each(DB_KINDS)('temporary access grant, end to end, on %s', (kind) => {
  let t: TestLatch;
  let api: LocalApi;
  let configDir: string;
  const people: Record<string, { id: string; session: Record<string, string> }> = {};

  beforeAll(async () => {
    api = await startLocalApi();
    configDir = accessConfig(api);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: configDir });
    const system = { type: 'system', id: 'test' } as const;
    for (const [name, roles] of [
      ['Olivia', ['operator']],
      ['Owen', ['resource_owner']],
    ] as const) {
      const email = `${name.toLowerCase()}@access.example`;
      const user = await t.ctx.database.write((tx) => createUser(tx, { email, name, password: PASSWORD, roles: [...roles], teams: ['it_access'] }, system, undefined, t.ctx.roles));
      people[name] = { id: user.id, session: await sessionFor(t.app, { id: user.id, email, token: '' }) };
    }
  });
  afterAll(async () => {
    await t?.close();
    await api?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  const as = (who: string) => people[who]!.session;
  const timeline = async (caseId: string) => (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: as('Olivia') })).json().items as Event[];
  const actions = async (caseId: string) => (await t.app.inject({ url: `/api/v1/cases/${caseId}/actions`, headers: as('Olivia') })).json().items as Action[];
  async function until<T>(what: string, probe: () => Promise<T | undefined>, tries = 150): Promise<T> {
    for (let i = 0; i < tries; i++) {
      const found = await probe();
      if (found !== undefined) return found;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`never: ${what}`);
  }

  it('grants on the owner’s approval, says when it ends, and revokes by itself at expiry (retrying a failure), once', async () => {
    const opened = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: as('Olivia'), payload: { type: 'access_grant', title: 'j.doe needs read on prod-db for the incident', fields: { user: 'j.doe', resource: 'prod-db', role: 'read' } } });
    expect(opened.statusCode, opened.body).toBe(201);
    const caseId = opened.json().id as string;

    // Longer than the type allows: refused, with the cap named.
    const tooLong = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: as('Olivia'), payload: { plugin: 'http', action: 'request', input: grantInput('PT9H') } });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [{ path: '/body/duration', message: 'body.duration PT9H is longer than this case type allows (PT8H)' }] } });

    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: as('Olivia'), payload: { plugin: 'http', action: 'request', input: grantInput('PT3S') } });
    expect(proposed.statusCode, proposed.body).toBe(201);
    const grant = proposed.json() as Action & { requirements: { summary: string } };
    expect(grant.status).toBe('awaiting_approval');
    expect(grant.requirements.summary).toBe('1 approval by role resource_owner, not the proposer, not the requester, within 8 h');
    expect(api.requests).toHaveLength(0);

    // The access system fails the first revoke attempt: the host retries it.
    api.inject({ kind: 'status', status: 503, path: '/revocations' });
    const approved = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${grant.id}/decisions`, headers: as('Owen'), payload: { decision: 'approve', payloadHash: grant.payloadHash } });
    expect(approved.statusCode, approved.body).toBe(201);

    const scheduled = await until('the revoke is scheduled', async () => (await timeline(caseId)).find((e) => e.kind === 'access.revoke_scheduled'));
    const granted = (await timeline(caseId)).find((e) => e.kind === 'action.succeeded' && e.data.actionId === grant.id)!;
    expect(granted).toBeDefined();
    expect(scheduled.actor).toEqual({ type: 'system', id: 'scheduled-revoke' });
    const revokeAt = Date.parse(String(scheduled.data.revokeAt));
    // The grant's 3 s from its success (recorded first, in the same transaction); far below the type's cap of 8 h.
    expect(revokeAt - Date.parse((granted as unknown as { at: string }).at)).toBeGreaterThanOrEqual(3_000);
    expect(revokeAt - Date.parse((granted as unknown as { at: string }).at)).toBeLessThan(60_000);
    expect(scheduled.presentation.summary).toContain(`Revoke the temporary access (${String(scheduled.data.revokeActionId).slice(-8)}) scheduled for ${String(scheduled.data.revokeAt)}`);
    expect(api.effects.map((e) => e.path)).toEqual(['/grants']);
    // Before expiry there is nothing to revoke yet.
    expect((await actions(caseId)).map((a) => a.id)).toEqual([grant.id]);

    const revoke = await until('the revoke succeeds', async () => (await actions(caseId)).find((a) => a.id === scheduled.data.revokeActionId && a.status === 'succeeded'));
    expect(Date.now()).toBeGreaterThanOrEqual(revokeAt);
    expect(revoke).toMatchObject({ status: 'succeeded', input: { method: 'POST', path: '/revocations', body: { user: 'j.doe', resource: 'prod-db', role: 'read', grant: grant.id } }, proposedBy: people.Olivia!.id });
    const revocations = api.requests.filter((r) => r.path === '/revocations');
    expect(revocations.map((r) => r.headers['idempotency-key'])).toEqual([`latch-${revoke.id}-r1-e1`, `latch-${revoke.id}-r1-e1`]);
    expect(api.effects.map((e) => e.path)).toEqual(['/grants', '/revocations']);

    const story = (await timeline(caseId)).filter((e) => e.data.actionId === revoke.id);
    expect(story.map((e) => [e.kind, e.actor.type === 'system' ? e.actor.id : e.actor.type])).toEqual([
      ['action.proposed', 'scheduled-revoke'],
      ['action.approved', 'policy'],
      ['action.started', 'plugin'],
      ['action.failed', 'plugin'],
      ['action.started', 'plugin'],
      ['action.succeeded', 'plugin'],
    ]);
    expect(story[0]!.data).toMatchObject({ revokes: grant.id, policy: null, status: 'approved' });
    expect(story[3]!.data).toMatchObject({ retryable: true, willRetry: true });
    // The revoke itself schedules nothing: one access.revoke_scheduled on the case.
    await new Promise((r) => setTimeout(r, 500));
    expect((await timeline(caseId)).filter((e) => e.kind === 'access.revoke_scheduled')).toHaveLength(1);
  });
});
