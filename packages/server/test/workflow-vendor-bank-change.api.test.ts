import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/auth/users.js';
import { startLocalApi, type LocalApi } from './fakes/access-api-server.js';
import { DB_KINDS, PASSWORD, sessionFor, startTestLatch, TEST_CONFIG_DIR, type TestLatch } from './harness.js';

const HTTP_PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/http', import.meta.url));
const IBAN = 'DE89370400440532013000';
const OTHER_IBAN = 'GB29NWBK60161331926819';

type Event = { kind: string; actor: { type: string; id: string; user?: string }; data: Record<string, unknown> };

/**
 * The shipped vendor bank-detail change (v4) end to end: the call-back is a checklist item, the
 * ERP action can't be proposed before it is ticked, two finance people who did not touch the IBAN
 * approve, and the HTTP plugin (a real child process) calls a local ERP once with the new IBAN.
 */
describe.each(DB_KINDS)('vendor bank-detail change, end to end, on %s', (kind) => {
  let t: TestLatch;
  let erp: LocalApi;
  let configDir: string;
  const people: Record<string, { id: string; session: Record<string, string> }> = {};

  beforeAll(async () => {
    erp = await startLocalApi();
    configDir = mkdtempSync(join(tmpdir(), 'latch-vendor-config-'));
    cpSync(TEST_CONFIG_DIR, configDir, { recursive: true });
    // Only the HTTP plugin runs here: the refund types (Stripe's) are left out, as a deployment without Stripe would.
    for (const file of readdirSync(join(configDir, 'case-types')).filter((f) => f.startsWith('refund.'))) rmSync(join(configDir, 'case-types', file));
    writeFileSync(
      join(configDir, 'plugins.yaml'),
      `plugins:\n  http:\n    path: ${HTTP_PLUGIN_DIR}\n    config: { baseUrl: "${erp.url}", allowPrivateNetworks: true }\n    retry: { attempts: 3, firstDelayMs: 100 }\n`,
    );
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: configDir });
    const system = { type: 'system', id: 'test' } as const;
    for (const [name, roles] of [
      ['Olivia', ['operator']],
      ['Sam', ['operator', 'refund_approver']],
      ['Rita', ['refund_approver']],
      ['Ravi', ['refund_approver']],
    ] as const) {
      const email = `${name.toLowerCase()}@vendor.example`;
      const user = await t.ctx.database.write((tx) => createUser(tx, { email, name, password: PASSWORD, roles: [...roles], teams: ['finance'] }, system, undefined, t.ctx.roles));
      people[name] = { id: user.id, session: await sessionFor(t.app, { id: user.id, email, token: '' }) };
    }
  });
  afterAll(async () => {
    await t?.close();
    await erp?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  const as = (who: string) => people[who]!.session;
  const timeline = async (caseId: string) => (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: as('Olivia') })).json().items as Event[];
  const bankChange = (iban: string) => ({ plugin: 'http', action: 'request', input: { method: 'PUT', path: '/vendors/V-7/bank-account', body: { iban } } });

  /** Olivia opens the case; Sam types the new IBAN. */
  async function openCase(): Promise<string> {
    const opened = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: as('Olivia'), payload: { type: 'vendor_bank_change', title: 'Vendor V-7 sends new bank details', fields: { vendor_id: 'V-7' } } });
    expect(opened.statusCode, opened.body).toBe(201);
    expect(opened.json().typeVersion).toBe(4);
    const id = opened.json().id as string;
    const edited = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${id}`, headers: as('Sam'), payload: { version: 1, fields: { new_iban: IBAN } } });
    expect(edited.statusCode, edited.body).toBe(200);
    return id;
  }
  const tick = (caseId: string, note = 'Called +49 30 1234 on file; CFO confirmed the IBAN', key = 'callback_verified') =>
    t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/checklist/${key}`, headers: as('Olivia'), payload: { note } });

  it('runs the whole story: call-back ticked, a finance editor of the IBAN refused, two others approve, the ERP is called once', async () => {
    const caseId = await openCase();

    // Before the call-back: the console is told why, and a proposal is refused on the record.
    const listed = (await t.app.inject({ url: `/api/v1/cases/${caseId}/actions`, headers: as('Olivia') })).json();
    expect(listed.available[0].blockedBy).toEqual({
      code: 'CHECKLIST_INCOMPLETE',
      items: [{ key: 'callback_verified', label: 'Called the vendor back on the number on file and confirmed the new IBAN' }],
      message: "Tick 'Called the vendor back on the number on file and confirmed the new IBAN' first",
    });
    const early = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: as('Olivia'), payload: bankChange(IBAN) });
    expect(early.statusCode).toBe(409);
    expect(early.json().error).toMatchObject({ code: 'CHECKLIST_INCOMPLETE', details: { items: [{ key: 'callback_verified' }] } });
    expect((await timeline(caseId)).filter((e) => e.kind === 'attempt.blocked').map((e) => e.data.code)).toEqual(['CHECKLIST_INCOMPLETE']);

    // The call-back, ticked with a note: on the record with who and when; a second tick is refused.
    const ticked = await tick(caseId);
    expect(ticked.statusCode, ticked.body).toBe(201);
    expect(ticked.json().items[0]).toMatchObject({ key: 'callback_verified', ticked: { by: people.Olivia!.id, note: 'Called +49 30 1234 on file; CFO confirmed the IBAN' }, voided: [] });
    expect((await tick(caseId)).json().error.code).toBe('CHECKLIST_ITEM_ALREADY_TICKED');
    const tickEvent = (await timeline(caseId)).find((e) => e.kind === 'case.checklist_ticked')!;
    expect(tickEvent).toMatchObject({ actor: { type: 'user', id: people.Olivia!.id }, data: { item: 'callback_verified', note: 'Called +49 30 1234 on file; CFO confirmed the IBAN' } });
    expect((await t.app.inject({ url: `/api/v1/cases/${caseId}/actions`, headers: as('Olivia') })).json().available[0].blockedBy).toBeNull();

    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: as('Olivia'), payload: bankChange(IBAN) });
    expect(proposed.statusCode, proposed.body).toBe(201);
    const action = proposed.json() as { id: string; status: string; payloadHash: string; requirements: { summary: string } };
    expect(action.status).toBe('awaiting_approval');
    expect(action.requirements.summary).toBe('2 distinct approvals by team finance, not the proposer, not the requester, not the assignee, not anyone who edited new_iban, within 48 h');

    const decide = (who: string) => t.app.inject({ method: 'POST', url: `/api/v1/actions/${action.id}/decisions`, headers: as(who), payload: { decision: 'approve', payloadHash: action.payloadHash } });
    const bySam = await decide('Sam');
    expect(bySam.statusCode).toBe(403);
    expect(bySam.json().error.code).toBe('SOD_FIELD_EDITOR');
    const refusals = (await timeline(caseId)).filter((e) => e.kind === 'attempt.blocked');
    expect(refusals.at(-1)).toMatchObject({ actor: { id: people.Sam!.id }, data: { code: 'SOD_FIELD_EDITOR', actionId: action.id } });
    expect(erp.requests).toHaveLength(0);

    expect((await decide('Rita')).statusCode).toBe(201);
    expect(erp.requests).toHaveLength(0);
    const last = await decide('Ravi');
    expect(last.statusCode, last.body).toBe(201);

    let status = '';
    for (let i = 0; i < 100 && status !== 'succeeded' && status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await t.app.inject({ url: `/api/v1/actions/${action.id}`, headers: as('Olivia') })).json().status;
    }
    expect(status).toBe('succeeded');
    expect(erp.requests).toHaveLength(1);
    expect(erp.requests[0]).toMatchObject({ method: 'PUT', path: '/vendors/V-7/bank-account', body: { iban: IBAN }, headers: { 'idempotency-key': `latch-${action.id}-r1-e1` } });
    const kinds = (await timeline(caseId)).map((e) => e.kind);
    expect(kinds.slice(kinds.indexOf('action.proposed'))).toEqual(['action.proposed', 'attempt.blocked', 'approval.granted', 'approval.granted', 'action.approved', 'action.started', 'action.succeeded']);
  });

  it('voids the call-back when the IBAN changes after it: the new number needs a new call', async () => {
    const caseId = await openCase();
    expect((await tick(caseId)).statusCode).toBe(201);
    const edited = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${caseId}`, headers: as('Sam'), payload: { version: 2, fields: { new_iban: OTHER_IBAN } } });
    expect(edited.statusCode, edited.body).toBe(200);
    const checklist = (await t.app.inject({ url: `/api/v1/cases/${caseId}/checklist`, headers: as('Olivia') })).json();
    expect(checklist.items[0].ticked).toBeNull();
    expect(checklist.items[0].voided).toMatchObject([{ by: people.Olivia!.id, voidedBy: { field: 'new_iban' } }]);
    const refused = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: as('Olivia'), payload: bankChange(OTHER_IBAN) });
    expect(refused.json().error?.code).toBe('CHECKLIST_INCOMPLETE');
    expect((await tick(caseId, 'Called again about the corrected IBAN')).statusCode).toBe(201);
    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: as('Olivia'), payload: bankChange(OTHER_IBAN) });
    expect(proposed.statusCode, proposed.body).toBe(201);
  });

  it('refuses an unknown item, a missing note, and a reader who can’t see the case', async () => {
    const caseId = await openCase();
    const unknown = await tick(caseId, 'x', 'no_such_item');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('NOT_FOUND');
    const empty = await tick(caseId, '');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe('VALIDATION_FAILED');
    const outsider = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/checklist/callback_verified`, headers: { authorization: `Bearer ${t.users.outsider.token}` }, payload: { note: 'x' } });
    expect(outsider.statusCode).toBe(404);
    const requester = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/checklist/callback_verified`, headers: { authorization: `Bearer ${t.users.requester.token}` }, payload: { note: 'x' } });
    expect(requester.statusCode).toBe(403);
  });
});
