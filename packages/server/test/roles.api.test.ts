import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_ROLES, type EventBody } from '@latch/core';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { verifyStore } from '../src/audit/verify-store.js';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { readConfig } from '../src/config.js';
import { resultRows } from '../src/db/database.js';
import { SYSTEM_STREAM } from '../src/db/event-store.js';
import { buildApp } from '../src/http/app.js';
import { openLatch, StartupError } from '../src/runtime.js';
import { bearer, DB_KINDS, freshPostgresDatabase, PASSWORD, refundBody, sessionFor, startTestLatch, TEST_CONFIG_DIR, TEST_LOG_KEY, type TestLatch, type TestUser } from './harness.js';

const SHIPPED_ROLES_FILE = new URL('../../../config/roles.yaml', import.meta.url);
const VENDOR_APPROVER = `  vendor_approver:
    description: Approves vendor bank-detail changes
    permissions: [case:read, case:comment, case_type:read, user:read, action:decide]
`;

/** A copy of the test configuration; `roles` replaces roles.yaml's text, `approverRole` the role refund policies name. */
function configCopy(options: { roles?: string; approverRole?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-roles-test-'));
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  if (options.roles !== undefined) writeFileSync(join(dir, 'roles.yaml'), options.roles);
  if (options.approverRole) {
    for (const name of readdirSync(join(dir, 'case-types'))) {
      const path = join(dir, 'case-types', name);
      writeFileSync(path, readFileSync(path, 'utf8').replaceAll('role: refund_approver', `role: ${options.approverRole}`));
    }
  }
  return dir;
}

const shippedRoles = () => readFileSync(SHIPPED_ROLES_FILE, 'utf8');
const withVendorApprover = () => `${shippedRoles().trimEnd()}\n${VENDOR_APPROVER}`;
const refundInput = { payment_intent: 'pi_123', amount_minor: 75_000, currency: 'usd', reason: 'requested_by_customer' };
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const tracked = (dir: string) => (dirs.push(dir), dir);

describe('the shipped roles.yaml', () => {
  it('holds exactly the built-in roles with their permissions, and the reference workflows\' roles', () => {
    const parsed = parseYaml(shippedRoles()) as { roles: Record<string, { description: string; permissions: string[] }> };
    // resource_owner approves access_grant (config/case-types/access_grant.v1.yaml); it is configuration, not built in.
    expect(Object.keys(parsed.roles).sort()).toEqual([...Object.keys(BUILTIN_ROLES), 'resource_owner'].sort());
    for (const [name, permissions] of Object.entries(BUILTIN_ROLES)) {
      expect(parsed.roles[name]!.permissions.sort()).toEqual([...permissions].sort());
      expect(parsed.roles[name]!.description.length).toBeGreaterThan(0);
    }
  });
});

describe.each(DB_KINDS)('roles from roles.yaml on %s', (kind) => {
  let t: TestLatch;
  let vera: TestUser;
  beforeAll(async () => {
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: tracked(configCopy({ roles: withVendorApprover(), approverRole: 'vendor_approver' })) });
    const user = await t.ctx.database.write((tx) =>
      createUser(tx, { email: 'vera@test.example', name: 'Vera Vendor', password: PASSWORD, roles: ['vendor_approver'], teams: ['refunds'] }, { type: 'system', id: 'test' }, t.ctx.teams, t.ctx.roles),
    );
    vera = { id: user.id, email: user.email, token: '' };
  });
  afterAll(async () => t?.close());

  const timeline = async (caseId: string) =>
    (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.admin) })).json().items as { kind: string; data: Record<string, unknown> }[];

  it('lets the holder of a custom role decide what a policy gives that role, and records the role-set version', async () => {
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id as string;
    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input: refundInput } });
    expect(proposed.statusCode).toBe(201);
    const action = proposed.json();
    expect(action.requirements.summary).toContain('role vendor_approver');
    const decide = (headers: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: `/api/v1/actions/${action.id}/decisions`, headers, payload: { decision: 'approve', payloadHash: action.payloadHash } });
    const refundApprover = await decide(await sessionFor(t.app, t.users.approver));
    expect(refundApprover.statusCode).toBe(403);
    expect(refundApprover.json().error.code).toBe('ROLE_REQUIRED');
    const approved = await decide(await sessionFor(t.app, vera));
    expect(approved.statusCode).toBe(201);
    expect(approved.json().status).toBe('approved');

    const version = t.ctx.roles.version;
    expect(version).toBe(1);
    const events = await timeline(caseId);
    expect(events.find((e) => e.kind === 'action.proposed')!.data.roleSet).toBe(version);
    expect(events.find((e) => e.kind === 'approval.granted')!.data.roleSet).toBe(version);
  });

  it('names the holders of a custom role as the approvers a simulation finds', async () => {
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id as string;
    const simulated = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions:simulate`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input: refundInput } });
    expect(simulated.statusCode).toBe(200);
    const candidates = (simulated.json().approvers as { candidates: { userId: string; canApprove: boolean }[] }[]).flatMap((step) => step.candidates);
    expect(candidates).toEqual([expect.objectContaining({ userId: vera.id, canApprove: true })]);
  });

  it('lists the roles with descriptions, permissions and version to those who may read users', async () => {
    const res = await t.app.inject({ url: '/api/v1/roles', headers: bearer(t.users.operator) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.version).toBe(1);
    expect(body.items.map((r: { name: string }) => r.name)).toEqual(['admin', 'auditor', 'operator', 'refund_approver', 'requester', 'resource_owner', 'vendor_approver']);
    expect(body.items.find((r: { name: string }) => r.name === 'vendor_approver')).toEqual({
      name: 'vendor_approver',
      description: 'Approves vendor bank-detail changes',
      permissions: ['action:decide', 'case:comment', 'case:read', 'case_type:read', 'user:read'],
    });
    const denied = await t.app.inject({ url: '/api/v1/roles', headers: bearer(t.users.requester) });
    expect(denied.statusCode).toBe(403);
  });

  it('records the role set once on the system stream as roles.defined', async () => {
    const rows = resultRows<{ bytes: string }>(await t.ctx.database.db.execute(sql`select bytes from events where stream = ${SYSTEM_STREAM} and kind = 'roles.defined'`));
    const recorded = rows.map((r) => (JSON.parse(r.bytes) as EventBody).data as Record<string, unknown>);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ version: 1, sha256: t.ctx.roles.digest, roles: { vendor_approver: { description: 'Approves vendor bank-detail changes' } } });
  });
});

describe.each(DB_KINDS)('role set changes across restarts on %s', (kind) => {
  let pgdb: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined;
  let dataDir: string;
  beforeAll(async () => {
    pgdb = kind === 'postgres' ? await freshPostgresDatabase() : undefined;
    dataDir = tracked(mkdtempSync(join(tmpdir(), 'latch-roles-data-')));
  });
  afterAll(async () => pgdb?.drop());

  const open = (configDir: string, log: (level: string, message: string) => void = () => undefined) =>
    openLatch(
      readConfig({ LATCH_CONFIG_DIR: configDir, LATCH_DATA_DIR: dataDir, LATCH_LOG_KEY: TEST_LOG_KEY, ...(pgdb ? { LATCH_DATABASE_URL: pgdb.url } : {}) }),
      { migrate: true, jobs: false, log },
    );

  it('records a new version when the role set changes, none when it does not, keeps the chain whole, and warns about held roles that are gone', async () => {
    const shipped = tracked(configCopy());
    const custom = tracked(configCopy({ roles: withVendorApprover() }));

    let latch = await open(shipped);
    expect(latch.ctx.roles.version).toBe(1);
    await latch.close();
    latch = await open(shipped);
    expect(latch.ctx.roles.version).toBe(1);
    await latch.close();

    latch = await open(custom);
    expect(latch.ctx.roles.version).toBe(2);
    const system = { type: 'system', id: 'test' } as const;
    const vera = await latch.ctx.database.write((tx) => createUser(tx, { email: 'vera@test.example', name: 'Vera', roles: ['vendor_approver'], teams: [] }, system, undefined, latch.ctx.roles));
    const admin = await latch.ctx.database.write((tx) => createUser(tx, { email: 'root@test.example', name: 'Root', roles: ['admin'], teams: [] }, system, undefined, latch.ctx.roles));
    const { token } = await latch.ctx.database.write((tx) => createToken(tx, admin, { name: 't', scopes: ['*'] }, system, undefined, latch.ctx.roles));
    await latch.close();

    // Back to the shipped roles: a third version; Vera's role is gone, grants nothing, and admins are told.
    const said: string[] = [];
    latch = await open(shipped, (_level, message) => said.push(message));
    try {
      expect(latch.ctx.roles.version).toBe(3);
      expect(latch.ctx.roles.permissionsOf(['vendor_approver']).size).toBe(0);
      const app = await buildApp(latch.ctx);
      try {
        const listed = (await app.inject({ url: '/api/v1/roles', headers: { authorization: `Bearer ${token}` } })).json();
        expect(listed.version).toBe(3);
        expect(listed.warnings).toContain("1 active user(s) hold role 'vendor_approver', which " + join(shipped, 'roles.yaml') + ' does not define: it grants them nothing');
        expect(vera.roles).toEqual(['vendor_approver']);
      } finally {
        await app.close();
      }
      const versions = resultRows<{ bytes: string }>(await latch.ctx.database.db.execute(sql`select bytes from events where stream = ${SYSTEM_STREAM} and kind = 'roles.defined' order by seq`));
      const data = versions.map((r) => (JSON.parse(r.bytes) as EventBody).data as { version: number; sha256: string });
      expect(data.map((d) => d.version)).toEqual([1, 2, 3]);
      expect(data[0]!.sha256).toBe(data[2]!.sha256);
      expect(data[1]!.sha256).not.toBe(data[0]!.sha256);
      expect((await verifyStore(latch.ctx.database.db, [SYSTEM_STREAM])).ok).toBe(true);
    } finally {
      await latch.close();
    }
  });

  it('refuses to start on an unknown permission, naming the file, the path and the valid permissions', async () => {
    const broken = tracked(configCopy({ roles: `${shippedRoles().trimEnd()}\n  vendor_approver:\n    description: Approves vendors\n    permissions: [case:read, vendor:approve]\n` }));
    const failure = await open(broken).then(
      async (latch) => (await latch.close(), undefined),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StartupError);
    const message = (failure as Error).message;
    expect(message).toContain(join(broken, 'roles.yaml'));
    expect(message).toContain("/roles/vendor_approver/permissions/1: unknown permission 'vendor:approve'");
    expect(message).toContain('valid: case:create, case:read');
  });

  it('refuses to start when the newest policy names a role roles.yaml does not define', async () => {
    const withoutApprover = parseYaml(shippedRoles()) as { roles: Record<string, unknown> };
    delete withoutApprover.roles.refund_approver;
    const broken = tracked(configCopy({ roles: stringifyYaml(withoutApprover) }));
    const failure = await open(broken).then(
      async (latch) => (await latch.close(), undefined),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as Error).message).toMatch(/refund\.v\d+\.yaml:\d+:\d+: error POLICY_ROLE_UNDEFINED: policy \w+: step '.+' names role 'refund_approver', which .*roles\.yaml does not define/);
  });

  it('refuses malformed roles with the path of the problem', async () => {
    const broken = tracked(configCopy({ roles: 'roles:\n  auditor:\n    permissions: case:read\n' }));
    const failure = await open(broken).then(
      async (latch) => (await latch.close(), undefined),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as Error).message).toContain('/roles/auditor/description: must be a non-empty text');
    expect((failure as Error).message).toContain('/roles/auditor/permissions: must be a list of permissions');
  });
});
