import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createUser } from '../src/auth/users.js';
import { createToken } from '../src/auth/tokens.js';
import { compileCaseType } from '../src/case-types/registry.js';
import { bearer, DB_KINDS, PASSWORD, sessionFor, startTestLatch, TEST_CONFIG_DIR, type TestLatch, type TestUser } from './harness.js';

/** A case type whose only rule is differentTeamFromProposer (the shipped vendor type does not use it). */
const TEAM_RULE_TYPE = `
key: team_check
version: 1
name: Team rule check
defaultQueue: refunds
defaultPriority: normal
fields: { type: object, additionalProperties: false, properties: { note: { type: string } } }
statuses: [ { key: new, name: New }, { key: done, name: Done, final: true } ]
initialStatus: new
transitions: [ { from: new, to: [done] } ]
actions:
  - { plugin: echo, action: echo, name: Echo, policy: cross_team, input: { type: object, properties: { message: { type: string } } } }
policies:
  - key: cross_team
    version: 1
    steps:
      - { name: Someone from another team, role: refund_approver, separation: [differentTeamFromProposer] }
`;

const configDir = mkdtempSync(join(tmpdir(), 'latch-sod-config-'));
cpSync(TEST_CONFIG_DIR, configDir, { recursive: true });
writeFileSync(join(configDir, 'case-types', 'team_check.v1.yaml'), TEAM_RULE_TYPE);
afterAll(() => rmSync(configDir, { recursive: true, force: true }));

type Blocked = { kind: string; data: { code?: string; actionId?: string } };

describe.each(DB_KINDS)('separation rules declared per policy step, on %s', (kind) => {
  let t: TestLatch;
  const people: Record<string, TestUser & { session: Record<string, string> }> = {};
  beforeAll(async () => {
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: configDir });
    const system = { type: 'system', id: 'test' } as const;
    const make = async (name: string, roles: string[], teams: string[]) => {
      const email = `${name.toLowerCase()}@sod.example`;
      const user = await t.ctx.database.write((tx) => createUser(tx, { email, name, password: PASSWORD, roles, teams }, system));
      const { token } = await t.ctx.database.write((tx) => createToken(tx, user, { name: 'test', scopes: ['*'] }, system));
      const made = { id: user.id, email, token };
      people[name] = { ...made, session: await sessionFor(t.app, made) };
    };
    await make('Olivia', ['operator'], ['finance']);
    await make('Rex', ['requester', 'refund_approver'], ['finance']);
    await make('Ana', ['refund_approver'], ['finance']);
    await make('Sam', ['operator', 'refund_approver'], ['finance']);
    await make('Rita', ['refund_approver'], ['finance']);
    await make('Ravi', ['refund_approver'], ['finance']);
    await make('Sue', ['refund_approver'], ['refunds']);
    await make('Quinn', ['requester'], ['finance']);
  });
  afterAll(async () => t?.close());

  const timeline = async (caseId: string) => (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.admin) })).json().items as Blocked[];
  const decide = (actionId: string, who: string, payloadHash: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/actions/${actionId}/decisions`, headers: people[who]!.session, payload: { decision: 'approve', payloadHash } });
  const waiting = async (who: string) =>
    ((await t.app.inject({ url: '/api/v1/approvals?waiting_for=me', headers: people[who]!.session })).json().items as { action: { id: string } }[]).map((i) => i.action.id);
  const bankChange = { plugin: 'http', action: 'request', input: { method: 'PUT', path: '/vendors/V-7/bank-account', body: { iban: 'DE89370400440532013000' } } };

  /** Rex asks for the change; Olivia assigns it to Ana; Sam types the new IBAN through his API token. */
  async function vendorCase(): Promise<string> {
    const opened = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(people.Rex!), payload: { type: 'vendor_bank_change', title: 'New bank details', fields: { vendor_id: 'V-7' } } });
    expect(opened.statusCode).toBe(201);
    const caseId = opened.json().id as string;
    const assigned = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${caseId}`, headers: bearer(people.Olivia!), payload: { version: 1, assigneeId: people.Ana!.id } });
    expect(assigned.statusCode).toBe(200);
    const edited = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${caseId}`, headers: bearer(people.Sam!), payload: { version: 2, fields: { new_iban: 'DE89370400440532013000' } } });
    expect(edited.statusCode).toBe(200);
    // v4 asks for the call-back before the ERP action can be proposed (README "Vendor bank-detail change").
    const ticked = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/checklist/callback_verified`, headers: bearer(people.Olivia!), payload: { note: 'Called the number on file' } });
    expect(ticked.statusCode).toBe(201);
    return caseId;
  }

  it('refuses the requester, the assignee and the IBAN’s editor with their codes, on the record; two others approve', async () => {
    const caseId = await vendorCase();
    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: people.Olivia!.session, payload: bankChange });
    expect(proposed.statusCode).toBe(201);
    const action = proposed.json();
    expect(action.requirements.summary).toBe('2 distinct approvals by team finance, not the proposer, not the requester, not the assignee, not anyone who edited new_iban, within 48 h');
    expect(action.requirements.steps[0].separation).toEqual({ notRequester: true, notAssignee: true, notEditorsOf: ['new_iban'], differentTeamFromProposer: false });

    const refusals = { Rex: 'SOD_REQUESTER', Ana: 'SOD_ASSIGNEE', Sam: 'SOD_FIELD_EDITOR' };
    for (const [who, code] of Object.entries(refusals)) {
      const res = await decide(action.id, who, action.payloadHash);
      expect(res.statusCode, who).toBe(403);
      expect(res.json().error.code, who).toBe(code);
    }
    const samRefused = await decide(action.id, 'Sam', action.payloadHash);
    expect(samRefused.json().error).toMatchObject({ details: { rule: 'notEditorsOf', fields: ['new_iban'], userId: people.Sam!.id } });
    const blocked = (await timeline(caseId)).filter((e) => e.kind === 'attempt.blocked' && e.data.actionId === action.id).map((e) => e.data.code);
    expect(blocked).toEqual(['SOD_REQUESTER', 'SOD_ASSIGNEE', 'SOD_FIELD_EDITOR', 'SOD_FIELD_EDITOR']);

    expect((await decide(action.id, 'Rita', action.payloadHash)).statusCode).toBe(201);
    const second = await decide(action.id, 'Ravi', action.payloadHash);
    expect(second.statusCode).toBe(201);
    expect(second.json().status).toBe('approved');
  });

  it('counts the person who opened the case with a value as that field’s editor', async () => {
    const opened = await t.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: bearer(people.Sam!),
      payload: { type: 'vendor_bank_change', title: 'Bank details typed at intake', fields: { vendor_id: 'V-8', new_iban: 'DE89370400440532013000' } },
    });
    const caseId = opened.json().id as string;
    const ticked = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/checklist/callback_verified`, headers: bearer(people.Olivia!), payload: { note: 'Called the number on file' } });
    expect(ticked.statusCode).toBe(201);
    const action = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: people.Olivia!.session, payload: bankChange })).json();
    expect((await decide(action.id, 'Sam', action.payloadHash)).json().error.code).toBe('SOD_FIELD_EDITOR');
    expect((await decide(action.id, 'Rex', action.payloadHash)).statusCode).toBe(201);
  });

  it('keeps the action out of the excluded people’s inbox, and in the others’', async () => {
    const caseId = await vendorCase();
    const action = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: people.Olivia!.session, payload: bankChange })).json();
    for (const who of ['Rex', 'Ana', 'Sam']) expect(await waiting(who), who).not.toContain(action.id);
    for (const who of ['Rita', 'Ravi']) expect(await waiting(who), who).toContain(action.id);
  });

  it('simulation names who can approve and every rule the others fail, and writes nothing', async () => {
    const caseId = await vendorCase();
    const before = (await timeline(caseId)).length;
    // Sam simulates: he would be the proposer, and he edited the IBAN.
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions:simulate`, headers: people.Sam!.session, payload: bankChange });
    expect(res.statusCode).toBe(200);
    const [step] = res.json().approvers as { sentence: string; candidates: { name: string; canApprove: boolean; reasons: { code: string; fields?: string[] }[] }[] }[];
    const byName = Object.fromEntries(step!.candidates.map((c) => [c.name, c]));
    expect(byName.Rita).toMatchObject({ canApprove: true, reasons: [] });
    expect(byName.Rex!.reasons.map((r) => r.code)).toEqual(['SOD_REQUESTER']);
    expect(byName.Ana!.reasons.map((r) => r.code)).toEqual(['SOD_ASSIGNEE']);
    expect(byName.Sam!.reasons).toEqual([
      { code: 'SELF_APPROVAL_FORBIDDEN', text: 'they proposed it' },
      { code: 'SOD_FIELD_EDITOR', rule: 'notEditorsOf', fields: ['new_iban'], text: 'they edited new_iban' },
    ]);
    // Olivia may propose but not decide: not a candidate.
    expect(byName.Olivia).toBeUndefined();
    expect(step!.sentence).toBe(
      "Ana can't: they are assigned the case; Ravi can approve; Rex can't: they requested the case; Rita can approve; Sam can't: they proposed it, they edited new_iban",
    );
    expect((await timeline(caseId)).length).toBe(before);
    // Someone who may not read the user directory gets the requirements, not the names.
    const asRequester = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions:simulate`, headers: bearer(people.Quinn!), payload: bankChange });
    expect(asRequester.statusCode).toBe(200);
    expect(asRequester.json().approvers).toBeUndefined();
  });

  it('refuses an approver who shares a team with the proposer, when the step asks for another team', async () => {
    const opened = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: { type: 'team_check', title: 'Cross-team check', fields: {} } });
    const caseId = opened.json().id as string;
    const operator = await sessionFor(t.app, t.users.operator);
    const action = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator, payload: { plugin: 'echo', action: 'echo', input: { message: 'hi' } } })).json();
    const sameTeam = await decide(action.id, 'Sue', action.payloadHash);
    expect(sameTeam.statusCode).toBe(403);
    expect(sameTeam.json().error).toMatchObject({ code: 'SOD_SAME_TEAM', details: { teams: ['refunds'] } });
    expect((await timeline(caseId)).filter((e) => e.kind === 'attempt.blocked').map((e) => e.data.code)).toEqual(['SOD_SAME_TEAM']);
    expect(await waiting('Sue')).not.toContain(action.id);
    const other = await decide(action.id, 'Rita', action.payloadHash);
    expect(other.statusCode).toBe(201);
    expect(other.json().status).toBe('approved');
  });
});

describe('separation rules are checked when a case type loads', () => {
  const withStep = (step: Record<string, unknown>) => {
    const raw = parse(TEAM_RULE_TYPE) as { policies: { steps: Record<string, unknown>[] }[] };
    raw.policies[0]!.steps = [{ name: 'Check', role: 'refund_approver', ...step }];
    return () => compileCaseType(raw, 'team_check.v1.yaml');
  };

  it('names the file, the policy, the step and the mistake', () => {
    expect(withStep({ separation: ['notRequestor'] })).toThrow(/^team_check\.v1\.yaml: policy cross_team: step 1 'Check': separation\[0\]: unknown rule "notRequestor"; use notRequester/);
    expect(withStep({ separation: [{ notEditorsOf: ['iban'] }] })).toThrow("team_check.v1.yaml: policy cross_team: step 'Check': notEditorsOf names 'iban', which is not a field of this case type (note)");
    expect(withStep({ separation: 'notAssignee' })).toThrow('team_check.v1.yaml: caseType/policies/0/steps/0/separation must be array');
    expect(withStep({ separation: [{ notEditorsOf: ['note'] }, 'notAssignee'] })).not.toThrow();
  });
});
