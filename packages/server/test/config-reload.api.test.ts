import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBody } from '@latch/core';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { resultRows } from '../src/db/database.js';
import { SYSTEM_STREAM } from '../src/db/event-store.js';
import { bearer, DB_KINDS, refundBody, sessionFor, startTestLatch, TEST_CONFIG_DIR, type TestLatch } from './harness.js';
import { listen, runCli } from './cli-support.js';
import { newestRefund, publishStricterRefund } from './config-support.js';

const input = (amount_minor: number) => ({ payment_intent: 'pi_reload', amount_minor, currency: 'usd', reason: 'duplicate' });

describe.each(DB_KINDS)('reloading the configuration on %s', (kind) => {
  let t: TestLatch;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latch-reload-'));
    cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = () => bearer(t.users.admin);
  const reload = (headers = admin()) => t.app.inject({ method: 'POST', url: '/api/v1/config:reload', headers });
  const running = async () => (await t.app.inject({ url: '/api/v1/config', headers: admin() })).json() as { snapshot: { caseTypes: { key: string; version: number }[]; roles: { version: number; roles: Record<string, unknown> } } };
  const systemEvents = async (kinds: string) => {
    const rows = resultRows<{ bytes: string }>(await t.ctx.database.db.execute(sql`select bytes from events where stream = ${SYSTEM_STREAM} and kind like ${kinds} order by seq`));
    return rows.map((r) => JSON.parse(r.bytes) as EventBody);
  };
  const propose = async (caseId: string, amount: number) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input: input(amount) } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; status: string; payloadHash: string; policy: { key: string; version: number }; requirements: { steps: { count: number }[] } };
  };
  const newCase = async () => (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json() as { id: string; typeVersion: number };

  it('puts a new case type version in force without a restart; cases and actions in flight keep the versions they started with', async () => {
    const before = newestRefund(dir).version;
    const oldCase = await newCase();
    expect(oldCase.typeVersion).toBe(before);
    const inFlight = await propose(oldCase.id, 90_000);
    expect(inFlight.status).toBe('awaiting_approval');
    const oldPolicy = inFlight.policy;
    expect(inFlight.requirements.steps.map((s) => s.count)).toEqual([1]);

    const published = publishStricterRefund(dir);
    const res = await reload();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().diff.caseTypes.added).toEqual([{ key: 'refund', version: published.version, previous: before, policies: [{ key: published.policy.key, from: oldPolicy.version, to: published.policy.version }] }]);
    expect((await running()).snapshot.caseTypes.filter((c) => c.key === 'refund').map((c) => c.version)).toContain(published.version);

    // New cases take the new version and its policy; the case in flight keeps its own.
    const fresh = await newCase();
    expect(fresh.typeVersion).toBe(published.version);
    const strict = await propose(fresh.id, 1_000);
    expect(strict).toMatchObject({ status: 'awaiting_approval', policy: published.policy });
    expect(strict.requirements.steps.map((s) => s.count)).toEqual([2]);
    const onOldCase = await propose(oldCase.id, 1_000);
    expect(onOldCase.policy).toEqual(oldPolicy);

    // The action proposed before the reload still needs what it needed: one approval decides it.
    const approver = await sessionFor(t.app, t.users.approver);
    const decided = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${inFlight.id}/decisions`, headers: approver, payload: { decision: 'approve', payloadHash: inFlight.payloadHash } });
    expect(decided.statusCode, decided.body).toBe(201);
    expect(decided.json()).toMatchObject({ status: 'approved', decisions: [{ decision: 'approve', policyVersion: oldPolicy.version }] });

    const [reloaded] = (await systemEvents('config.reloaded')).slice(-1);
    expect(reloaded).toMatchObject({ kind: 'config.reloaded', actor: { type: 'token', user: t.users.admin.id }, outcome: 'ok', data: { caseTypes: [{ key: 'refund', version: published.version, policies: [published.policy] }], rolesChanged: false } });
  });

  it('refuses a configuration with an error: 422 CONFIG_INVALID with each problem and its line, the running one stays, and the refusal is recorded', async () => {
    const before = await running();
    const rolesFile = join(dir, 'roles.yaml');
    const good = readFileSync(rolesFile, 'utf8');
    writeFileSync(rolesFile, `${good.trimEnd()}\n  vendor_approver:\n    description: Approves vendors\n    permissions: [case:read, vendor:approve]\n`);
    const line = readFileSync(rolesFile, 'utf8').split('\n').findIndex((l) => l.includes('vendor:approve')) + 1;
    try {
      const res = await reload();
      expect(res.statusCode).toBe(422);
      const error = res.json().error as { code: string; details: { problems: { file: string; line: number; code: string; severity: string }[] } };
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.details.problems.filter((p) => p.severity === 'error')).toEqual([expect.objectContaining({ file: rolesFile, line, code: 'ROLE_UNKNOWN_PERMISSION' })]);
      expect(await running()).toEqual(before);
      expect(t.ctx.roles.has('vendor_approver')).toBe(false);
      const [refused] = (await systemEvents('config.reload_refused')).slice(-1);
      expect(refused).toMatchObject({ outcome: 'refused', data: { errors: 1, problems: [{ file: 'roles.yaml', line, code: 'ROLE_UNKNOWN_PERMISSION' }] } });
    } finally {
      writeFileSync(rolesFile, good);
    }
  });

  it('reloads a changed role set (a new roles.defined version) and answers only admins', async () => {
    const version = (await running()).snapshot.roles.version;
    const rolesFile = join(dir, 'roles.yaml');
    writeFileSync(rolesFile, `${readFileSync(rolesFile, 'utf8').trimEnd()}\n  vendor_approver:\n    description: Approves vendors\n    permissions: [case:read, action:decide]\n`);
    const res = await reload();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ roleSetVersion: version + 1, diff: { roles: { added: ['vendor_approver'], removed: [], changed: [] } } });
    const roles = (await t.app.inject({ url: '/api/v1/roles', headers: admin() })).json() as { version: number; items: { name: string }[] };
    expect(roles.version).toBe(version + 1);
    expect(roles.items.map((r) => r.name)).toContain('vendor_approver');
    expect((await systemEvents('roles.defined')).at(-1)!.data).toMatchObject({ version: version + 1 });
    for (const who of [t.users.operator, t.users.approver, t.users.requester]) {
      expect((await reload(bearer(who))).statusCode).toBe(403);
      expect((await t.app.inject({ url: '/api/v1/config', headers: bearer(who) })).statusCode).toBe(403);
    }
  });

  it('latch config diff shows what a directory would change against the running server', async () => {
    const url = await listen(t);
    const other = mkdtempSync(join(tmpdir(), 'latch-diff-'));
    try {
      cpSync(dir, other, { recursive: true });
      const published = publishStricterRefund(other);
      const rolesFile = join(other, 'roles.yaml');
      const roles = parseYaml(readFileSync(rolesFile, 'utf8')) as { roles: Record<string, { description: string; permissions: string[] }> };
      delete roles.roles.vendor_approver;
      roles.roles.auditor!.permissions = roles.roles.auditor!.permissions.filter((p) => p !== 'case:export');
      roles.roles.compliance_officer = { description: 'Reads every case', permissions: ['case:read', 'case:read_all'] };
      writeFileSync(rolesFile, stringifyYaml(roles));
      writeFileSync(join(other, 'teams.yaml'), `${readFileSync(join(other, 'teams.yaml'), 'utf8').trimEnd()}\n  compliance:\n    queues: [refunds]\n`);
      const env = { LATCH_URL: url, LATCH_TOKEN: t.users.admin.token };
      // The CLI starts slowly on a busy machine: the four runs go at once.
      const [run, json, same, refused] = await Promise.all([
        runCli(['config', 'diff', other], env),
        runCli(['config', 'diff', other, '--json'], env),
        runCli(['config', 'diff', dir], env),
        runCli(['config', 'diff', dir], { LATCH_URL: url, LATCH_TOKEN: t.users.operator.token }),
      ]);
      expect(run.status, run.stderr).toBe(0);
      const lines = run.stdout.split('\n').map((l) => l.trim());
      expect(lines).toContain(`+ case type refund version ${published.version} (running: version ${published.version - 1}; new cases use version ${published.version}, cases in flight keep theirs)`);
      expect(lines).toContain(`policy ${published.policy.key}: version ${published.policy.version - 1} -> ${published.policy.version}`);
      expect(lines).toContain('+ role compliance_officer');
      expect(lines).toContain('- role vendor_approver (holders keep the name; it grants nothing)');
      expect(lines).toContain('~ role auditor: -case:export');
      expect(lines).toContain('+ team compliance');
      expect(json.status, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout).diff).toMatchObject({ changed: true, roles: { added: ['compliance_officer'], removed: ['vendor_approver'] }, teams: { added: ['compliance'] }, restartNeeded: [] });
      expect(same.stdout).toContain('no changes: the directory matches the running configuration');
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/403 PERMISSION_DENIED/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  }, 180_000);
});
