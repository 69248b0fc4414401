import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { EventBody } from '@latch/core';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/auth/users.js';
import { describeDiff, type ConfigDiff } from '../src/config-check/diff-config.js';
import { resultRows } from '../src/db/database.js';
import { SYSTEM_STREAM } from '../src/db/event-store.js';
import { bearer, DB_KINDS, PASSWORD, startTestLatch, type TestLatch } from './harness.js';
import { ssoConfigDir, SSO_YAML, startTestProvider, walkProvider, type TestProvider } from './oidc-support.js';
import { ScimClient } from './scim-client.js';

const PUBLIC_URL = 'http://127.0.0.1:39998';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/sso/callback`;

const SCIM_YAML = `groups:
  Latch Refund Ops: {roles: [operator], teams: [refunds]}
unknownGroups: refuse
newUsers: {roles: [requester]}
`;
/** The mapping after the edit: the same group now gives approval, and a new group is mapped. */
const SCIM_YAML_EDITED = `groups:
  Latch Refund Ops: {roles: [refund_approver], teams: [refunds]}
  Latch Auditors: {roles: [auditor]}
unknownGroups: refuse
newUsers: {roles: [requester]}
`;
const SSO_YAML_EDITED = SSO_YAML.replace('providerName: Test IdP', 'providerName: Acme SSO')
  .replace('passwordLogin: false', 'passwordLogin: true')
  .replace('refund-ops: {roles: [operator], teams: [refunds]}', 'refund-ops: {roles: [auditor]}');

describe.each(DB_KINDS)('sso.yaml and scim.yaml take effect on a reload on %s', (kind) => {
  let t: TestLatch;
  let idp: TestProvider;
  let dir: string;
  let scim: ScimClient;
  beforeAll(async () => {
    idp = await startTestProvider(CALLBACK);
    dir = ssoConfigDir();
    writeFileSync(join(dir, 'scim.yaml'), SCIM_YAML);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir, LATCH_PUBLIC_URL: PUBLIC_URL, LATCH_OIDC_ISSUER: idp.issuer, LATCH_OIDC_CLIENT_ID: idp.clientId, LATCH_OIDC_CLIENT_SECRET: idp.clientSecret });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const minted = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(t.users.admin), payload: { name: 'okta', scopes: ['scim:provision'] } });
    expect(minted.statusCode, minted.body).toBe(201);
    scim = new ScimClient(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/scim/v2`, minted.json().token);
    // A start takes seconds alone; beside other suites on two cores, it is given room.
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = () => bearer(t.users.admin);
  const reload = () => t.app.inject({ method: 'POST', url: '/api/v1/config:reload', headers: admin() });
  const reloaded = async () => {
    const res = await reload();
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { diff: ConfigDiff };
  };
  const running = async () => (await t.app.inject({ url: '/api/v1/config', headers: admin() })).json() as { snapshot: { sso: { enabled: boolean; groups: Record<string, unknown> }; scim: { groups: Record<string, unknown> } } };
  const roles = async (id: string) => ((await t.app.inject({ url: `/api/v1/users/${id}`, headers: admin() })).json() as { roles: string[] }).roles.sort();
  const lastReloaded = async () => {
    const rows = resultRows<{ bytes: string }>(await t.ctx.database.db.execute(sql`select bytes from events where stream = ${SYSTEM_STREAM} and kind = 'config.reloaded' order by seq desc limit 1`));
    return JSON.parse(rows[0]!.bytes) as EventBody;
  };
  /** Writes a file of the configuration directory for one test; the returned function puts it back. */
  const edit = (file: string, text: string) => {
    const before = readFileSync(join(dir, file), 'utf8');
    writeFileSync(join(dir, file), text);
    return () => writeFileSync(join(dir, file), before);
  };

  let made = 0;
  const scimUser = async () => {
    const email = `${kind}-scim-${++made}@reload.test`;
    const created = await scim.oktaCreateUser(email, 'Sam', `Scim${made}`);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  /** Okta's group push: the group is created with its first member, then members are added. */
  const pushToRefundOps = async (userId: string) => {
    const found = await scim.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Latch Refund Ops"')}&excludedAttributes=members`);
    const id = found.body.Resources[0]?.id as string | undefined;
    const res = id ? await scim.oktaAddMembers(id, [userId]) : await scim.createGroup('Latch Refund Ops', [userId]);
    expect(res.status, JSON.stringify(res.body)).toBe(id ? 200 : 201);
  };
  const account = (groups: string[], email?: string) => {
    const username = `${kind}-reload-${++made}`;
    idp.accounts.set(username, { password: 'idp-password', email: email ?? `${username}@sso.test`, emailVerified: true, name: username, groups });
    return username;
  };
  /** Start at Latch, sign in at the provider, come back: the roles of the session it gives. */
  const signIn = async (username: string) => {
    const started = await t.app.inject({ url: '/api/v1/auth/sso/start' });
    expect(started.statusCode).toBe(302);
    const back = await walkProvider(started.headers.location as string, { username, password: 'idp-password' });
    const flow = started.cookies.find((c) => c.name === 'latch_sso')!.value;
    const res = await t.app.inject({ url: `${back.pathname}${back.search}`, cookies: { latch_sso: flow } });
    const session = res.cookies.find((c) => c.name === 'latch_session');
    expect(session, `no session: ${res.headers.location}`).toBeDefined();
    return ((await t.app.inject({ url: '/api/v1/me', cookies: { latch_session: session!.value } })).json() as { user: { roles: string[] } }).user.roles;
  };

  it('a reload puts the new scim.yaml in force: a group push grants the new roles, not the old ones', async () => {
    const before = await scimUser();
    await pushToRefundOps(before);
    expect(await roles(before)).toEqual(['operator', 'requester']);

    const restore = edit('scim.yaml', SCIM_YAML_EDITED);
    try {
      // Edited but not reloaded: the running mapping does not know the new group yet.
      expect((await scim.createGroup('Latch Auditors')).status).toBe(400);
      const { diff } = await reloaded();
      expect(diff.scim).toEqual({ changed: true, groupsAdded: ['latch auditors'], groupsRemoved: [], groupsChanged: ['latch refund ops'] });
      expect(diff.restartNeeded).toEqual([]);
      expect(describeDiff(diff)).toContain('~ scim.yaml: +group latch auditors, ~group latch refund ops');
      expect((await lastReloaded()).data).toMatchObject({ scimChanged: true, ssoChanged: false });
      expect((await running()).snapshot.scim.groups).toEqual({ 'latch auditors': { roles: ['auditor'], teams: [] }, 'latch refund ops': { roles: ['refund_approver'], teams: ['refunds'] } });

      const after = await scimUser();
      await pushToRefundOps(after);
      expect(await roles(after)).toEqual(['refund_approver', 'requester']);
      const auditors = await scim.createGroup('Latch Auditors', [after]);
      expect(auditors.status, JSON.stringify(auditors.body)).toBe(201);
      expect(await roles(after)).toEqual(['auditor', 'refund_approver', 'requester']);
    } finally {
      restore();
      await reloaded();
    }
  });

  it("a reload puts the new sso.yaml in force: the next sign-in gets the new mapping's roles, the login page the new settings", async () => {
    const username = account(['refund-ops']);
    expect(await signIn(username)).toEqual(['operator']);
    const local = await t.ctx.database.write((tx) => createUser(tx, { email: `${kind}-local@reload.test`, name: 'Local', password: PASSWORD, roles: ['operator'], teams: ['refunds'] }, { type: 'system', id: 'test' }, undefined, t.ctx.roles));
    await signIn(account(['refund-ops'], local.email));
    const password = () => t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: local.email, password: PASSWORD } });
    expect((await password()).json().error?.code).toBe('PASSWORD_LOGIN_DISABLED');

    const restore = edit('sso.yaml', SSO_YAML_EDITED);
    try {
      const { diff } = await reloaded();
      expect(diff.sso).toEqual({ changed: true, enabled: null, groupsAdded: [], groupsRemoved: [], groupsChanged: ['refund-ops'] });
      expect(diff.restartNeeded).toEqual([]);
      expect((await lastReloaded()).data).toMatchObject({ ssoChanged: true, scimChanged: false });
      expect(await signIn(username)).toEqual(['auditor']);
      expect(await signIn(account(['refund-ops']))).toEqual(['auditor']);
      expect((await t.app.inject({ url: '/api/v1/auth/sso' })).json()).toMatchObject({ enabled: true, providerName: 'Acme SSO', passwordLogin: true });
      expect((await password()).statusCode).toBe(200);
    } finally {
      restore();
      await reloaded();
    }
    expect(await signIn(username)).toEqual(['operator']);
  });

  it('a broken sso.yaml or scim.yaml refuses the whole reload with its problem; the old mapping stays in force', async () => {
    const before = await running();
    for (const [file, text, code] of [
      ['sso.yaml', SSO_YAML.replace('refund-ops: {roles: [operator]', 'refund-ops: {roles: [no_such_role]'), 'SSO_ROLE_UNDEFINED'],
      ['scim.yaml', SCIM_YAML.replace('unknownGroups: refuse', 'unknownGroups: sometimes'), 'SCIM_CONFIG_INVALID'],
    ] as const) {
      // A change elsewhere in the same reload is refused with it.
      const restore = [edit(file, text), edit('teams.yaml', `${readFileSync(join(dir, 'teams.yaml'), 'utf8').trimEnd()}\n  compliance:\n    queues: [refunds]\n`)];
      try {
        const res = await reload();
        expect(res.statusCode, res.body).toBe(422);
        const error = res.json().error as { code: string; details: { problems: { file: string; code: string; severity: string }[] } };
        expect(error.code).toBe('CONFIG_INVALID');
        expect(error.details.problems.filter((p) => p.severity === 'error')).toEqual([expect.objectContaining({ file: join(dir, file), code })]);
        expect(await running()).toEqual(before);
        expect(t.ctx.teams.isKnown('compliance')).toBe(false);
      } finally {
        restore.forEach((put) => put());
      }
    }
    expect(await signIn(account(['refund-ops']))).toEqual(['operator']);
    const user = await scimUser();
    await pushToRefundOps(user);
    expect(await roles(user)).toEqual(['operator', 'requester']);
  });

  it('turning SSO off says a restart is needed; SSO keeps running with the settings it had until then', async () => {
    const restore = edit('sso.yaml', SSO_YAML.replace('enabled: true', 'enabled: false').replace('refund-ops: {roles: [operator]', 'refund-ops: {roles: [auditor]'));
    try {
      const { diff } = await reloaded();
      expect(diff.sso).toMatchObject({ changed: true, enabled: { from: true, to: false } });
      expect(diff.restartNeeded).toEqual([expect.stringMatching(/^sso\.yaml turns single sign-on off .*until a restart/)]);
      expect((await lastReloaded()).data).toMatchObject({ ssoChanged: true, restartNeeded: diff.restartNeeded });
      expect((await t.app.inject({ url: '/api/v1/auth/sso' })).json()).toMatchObject({ enabled: true, providerName: 'Test IdP' });
      expect(await signIn(account(['refund-ops']))).toEqual(['operator']);
      // What runs is still SSO on: the running configuration says so, and the next reload asks again.
      expect((await running()).snapshot.sso.enabled).toBe(true);
      expect((await reloaded()).diff.restartNeeded).toEqual(diff.restartNeeded);
    } finally {
      restore();
    }
    expect((await reloaded()).diff).toMatchObject({ changed: false, restartNeeded: [] });
  });
});
