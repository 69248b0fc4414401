import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TeamDirectory } from '../src/access/teams.js';
import { checkConfig } from '../src/config-check/check-config.js';
import { resultRows } from '../src/db/database.js';
import { SHIPPED_ROLES } from '../src/roles/role-set.js';
import { loadScimConfig, managedByGroups } from '../src/scim/scim-config.js';
import { StartupError } from '../src/startup-error.js';
import { bearer, DB_KINDS, PASSWORD, sessionFor, startTestLatch, TEST_CONFIG_DIR, type TestLatch } from './harness.js';
import { GROUP, PATCH_OP, ScimClient, USER } from './scim-client.js';

const SCIM_YAML = `
groups:
  Latch Refund Approvers:
    roles: [refund_approver]
    teams: [refunds]
  Latch Auditors:
    roles: [auditor]
unknownGroups: refuse
newUsers:
  roles: [requester]
`;

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LATCH_CODE = 'urn:latch:params:scim:api:messages:2.0:Error';

describe.each(DB_KINDS)('SCIM 2.0 provisioning on %s', (kind) => {
  const configDir = mkdtempSync(join(tmpdir(), 'latch-scim-config-'));
  let t: TestLatch;
  let scim: ScimClient;
  let root: string;
  let scimTokenId: string;
  beforeAll(async () => {
    cpSync(TEST_CONFIG_DIR, configDir, { recursive: true });
    writeFileSync(join(configDir, 'scim.yaml'), SCIM_YAML);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: configDir });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    root = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const minted = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(t.users.admin), payload: { name: 'okta', scopes: ['scim:provision'] } });
    expect(minted.statusCode, minted.body).toBe(201);
    scimTokenId = minted.json().id;
    scim = new ScimClient(`${root}/scim/v2`, minted.json().token);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  let made = 0;
  const email = (who: string) => `${who}${++made}@scim.test`;
  const me = async (headers: Record<string, string>) => (await t.app.inject({ url: '/api/v1/me', headers })).statusCode;
  const latchUser = async (id: string) => (await t.app.inject({ url: `/api/v1/users/${id}`, headers: bearer(t.users.admin) })).json();
  /** The user's own login session and a token they minted, both working now. */
  const credentialsOf = async (userName: string) => {
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: userName, password: PASSWORD } });
    expect(login.statusCode, login.body).toBe(200);
    const session = { cookie: `latch_session=${login.cookies.find((c) => c.name === 'latch_session')!.value}`, 'x-csrf-token': login.json().csrfToken as string };
    const minted = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: session, payload: { name: 'laptop', scopes: ['*'] } });
    const token = { authorization: `Bearer ${minted.json().token as string}` };
    expect([await me(session), await me(token)]).toEqual([200, 200]);
    return { session, token };
  };
  const userEvents = async (userId: string) =>
    resultRows<{ bytes: string }>(await t.ctx.database.db.execute(sql`select bytes from events where kind in ('user.created', 'user.updated') order by stream, seq`))
      .map((r) => JSON.parse(r.bytes) as { kind: string; actor: Record<string, unknown>; data: Record<string, unknown> })
      .filter((e) => e.data.userId === userId);
  const expectScimError = (res: { status: number; contentType: string; body: unknown }, status: number, code: string, scimType?: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.contentType).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({ schemas: expect.arrayContaining([ERROR]), status: String(status), detail: expect.any(String), [LATCH_CODE]: { code } });
    if (scimType) expect((res.body as { scimType: string }).scimType).toBe(scimType);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  };

  it('describes itself: ServiceProviderConfig, ResourceTypes and Schemas, as application/scim+json', async () => {
    const config = await scim.request('GET', '/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.contentType).toMatch(/^application\/scim\+json/);
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 200 }, bulk: { supported: false }, authenticationSchemes: [{ type: 'oauthbearertoken' }] });
    const types = await scim.request('GET', '/ResourceTypes');
    expect(types.body.Resources.map((r: { id: string }) => r.id)).toEqual(['User', 'Group']);
    expect((await scim.request('GET', '/ResourceTypes/Group')).body).toMatchObject({ endpoint: '/Groups', schema: GROUP });
    const schemas = await scim.request('GET', '/Schemas');
    expect(schemas.body).toMatchObject({ totalResults: 2 });
    const user = await scim.request('GET', `/Schemas/${USER}`);
    expect(user.body.attributes.find((a: { name: string }) => a.name === 'userName')).toMatchObject({ required: true, uniqueness: 'server' });
    expectScimError(await scim.request('GET', '/Schemas/urn:nothing'), 404, 'NOT_FOUND');
    expectScimError(await scim.request('GET', '/Nothing'), 404, 'NOT_FOUND');
  });

  it('opens only to an API token holding scim:provision, and that scope opens nothing else', async () => {
    const anonymous = await fetch(`${root}/scim/v2/Users`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(await anonymous.json()).toMatchObject({ schemas: [ERROR, LATCH_CODE], status: '401', [LATCH_CODE]: { code: 'UNAUTHENTICATED' } });
    // An operator's token lacks the permission; an admin's session is not a token.
    const operator = await new ScimClient(scim.base, t.users.operator.token).request('GET', '/Users');
    expectScimError(operator, 403, 'PERMISSION_DENIED');
    const session = await t.app.inject({ url: '/scim/v2/Users', headers: await sessionFor(t.app, t.users.admin) });
    expect([session.statusCode, session.json()[LATCH_CODE].code]).toEqual([403, 'PERMISSION_DENIED']);
    // The SCIM token reaches nothing outside /scim/v2.
    const outside = { authorization: `Bearer ${scim.token}` };
    expect((await fetch(`${root}/api/v1/users`, { headers: outside })).status).toBe(403);
    expect((await fetch(`${root}/api/v1/cases`, { headers: outside })).status).toBe(403);
  });

  it('Okta: looks up, creates, updates, deactivates (ending the session and token at once) and reactivates a user', async () => {
    const userName = email('olga');
    expect((await scim.findByUserName(userName)).body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, Resources: [] });
    const created = await scim.oktaCreateUser(userName, 'Olga', 'Okta', { password: PASSWORD });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const user = created.body;
    expect(user).toMatchObject({ schemas: [USER], userName, displayName: 'Olga Okta', active: true, emails: [{ value: userName, primary: true }], meta: { resourceType: 'User' } });
    expect(created.location).toBe(`${scim.base}/Users/${user.id}`);
    expect(user).not.toHaveProperty('password');
    expect(await latchUser(user.id)).toMatchObject({ email: userName, name: 'Olga Okta', roles: ['requester'], disabled: false });
    // Recorded as user administration is: by the SCIM token, for its user (the maker-checker rule reads account_changes).
    expect((await userEvents(user.id))[0]).toMatchObject({ kind: 'user.created', actor: { type: 'token', id: scimTokenId, user: t.users.admin.id } });
    const changes = resultRows<{ changed_by: string; changes: string[] }>(await t.ctx.database.db.execute(sql`select changed_by, changes from account_changes where user_id = ${user.id}`));
    expect(changes).toEqual([{ changed_by: t.users.admin.id, changes: ['created'] }]);

    const found = await scim.findByUserName(userName.toUpperCase());
    expect(found.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, startIndex: 1, Resources: [{ id: user.id, externalId: user.externalId }] });

    const put = await scim.oktaReplaceUser(user.id, { ...user, name: { givenName: 'Olga', familyName: 'Okta-Smith' }, displayName: 'Olga Okta-Smith', password: PASSWORD });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ displayName: 'Olga Okta-Smith', active: true });
    // The same password again is no change: the session survives a profile push.
    const { session, token } = await credentialsOf(userName);
    expect((await scim.oktaReplaceUser(user.id, put.body)).status).toBe(200);
    expect([await me(session), await me(token)]).toEqual([200, 200]);

    const deactivated = await scim.oktaSetActive(user.id, false);
    expect([deactivated.status, deactivated.body.active]).toEqual([200, false]);
    expect([await me(session), await me(token)]).toEqual([401, 401]);
    expect(await latchUser(user.id)).toMatchObject({ disabled: true });
    expect((await userEvents(user.id)).at(-1)).toMatchObject({ kind: 'user.updated', actor: { type: 'token' }, data: { disabled: true, sessionsEnded: 1, tokensRevoked: 1 } });
    expect((await scim.oktaSetActive(user.id, true)).body.active).toBe(true);
    expect([await me(session), await me(token)]).toEqual([401, 401]);
    expect((await credentialsOf(userName)).session).toBeDefined();
  });

  it('Entra ID: externalId filter, capitalised ops, "False" as text, and a userName that cannot change', async () => {
    const upn = email('erin');
    const created = await scim.entraCreateUser(upn, 'Erin Entra', 'erin-object-id');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const byExternal = await scim.request('GET', `/Users?filter=${encodeURIComponent('externalId eq "erin-object-id"')}`);
    expect(byExternal.body).toMatchObject({ totalResults: 1, Resources: [{ id, userName: upn }] });
    const renamed = await scim.entraPatchUser(id, [
      { op: 'Replace', path: 'displayName', value: 'Erin Entra-Jones' },
      { op: 'Replace', path: 'name.familyName', value: 'Entra-Jones' },
      { op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Risk' },
    ]);
    expect([renamed.status, renamed.body.displayName]).toEqual([200, 'Erin Entra-Jones']);
    const off = await scim.entraPatchUser(id, [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect([off.status, off.body.active]).toEqual([200, false]);
    expectScimError(await scim.entraPatchUser(id, [{ op: 'Replace', path: 'userName', value: email('other') }]), 400, 'SCIM_USERNAME_IMMUTABLE', 'mutability');
    expectScimError(await scim.entraPatchUser(id, [{ op: 'Replace', path: 'active', value: 'perhaps' }]), 400, 'VALIDATION_FAILED', 'invalidValue');
  });

  it('groups map to roles and teams through scim.yaml; membership changes are user administration and end credentials', async () => {
    const a = (await scim.oktaCreateUser(email('gina'), 'Gina', 'Group', { password: PASSWORD })).body;
    const b = (await scim.entraCreateUser(email('gus'), 'Gus Group', `gus-${made}`)).body;
    const approvers = await scim.createGroup('Latch Refund Approvers', [a.id]);
    expect(approvers.status, JSON.stringify(approvers.body)).toBe(201);
    const groupId = approvers.body.id as string;
    expect(approvers.body).toMatchObject({ schemas: [GROUP], displayName: 'Latch Refund Approvers', members: [{ value: a.id, display: 'Gina Group' }] });
    expect(await latchUser(a.id)).toMatchObject({ roles: ['requester', 'refund_approver'], teams: ['refunds'] });
    expect((await userEvents(a.id)).at(-1)).toMatchObject({ actor: { type: 'token', user: t.users.admin.id }, data: { roles: { old: ['requester'], new: ['requester', 'refund_approver'] } } });
    expect((await scim.request('GET', `/Users/${a.id}`)).body.groups).toMatchObject([{ value: groupId, display: 'Latch Refund Approvers' }]);

    // Okta adds (twice: a retried request changes nothing more), Entra checks and removes.
    const before = (await userEvents(b.id)).length;
    expect((await scim.oktaAddMembers(groupId, [b.id])).status).toBe(200);
    expect((await scim.oktaAddMembers(groupId, [b.id])).body.members.map((m: { value: string }) => m.value).sort()).toEqual([a.id, b.id].sort());
    expect((await userEvents(b.id)).length).toBe(before + 1);
    expect((await scim.entraIsMember(groupId, b.id)).body).toMatchObject({ totalResults: 1, Resources: [{ id: groupId }] });
    expect((await scim.entraIsMember(groupId, b.id)).body.Resources[0]).not.toHaveProperty('members');
    const { session, token } = await credentialsOf(a.userName);
    expect((await scim.oktaRemoveMember(groupId, a.id)).status).toBe(200);
    expect(await latchUser(a.id)).toMatchObject({ roles: ['requester'], teams: [] });
    expect([await me(session), await me(token)]).toEqual([401, 401]);
    expect((await scim.entraRemoveMembers(groupId, [b.id])).body.members).toEqual([]);
    expect((await scim.entraIsMember(groupId, b.id)).body.totalResults).toBe(0);

    // A rename to another mapped group changes what its members hold; an unmapped name is refused.
    expect((await scim.oktaAddMembers(groupId, [a.id])).status).toBe(200);
    const renamed = await scim.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Latch Auditors' } }] });
    expect(renamed.body.displayName).toBe('Latch Auditors');
    expect(await latchUser(a.id)).toMatchObject({ roles: ['requester', 'auditor'], teams: [] });
    expectScimError(await scim.createGroup('Everyone', [a.id]), 400, 'SCIM_GROUP_NOT_MAPPED', 'invalidValue');
    expectScimError(await scim.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Admins' }] }), 400, 'SCIM_GROUP_NOT_MAPPED');
    expect(await latchUser(a.id)).toMatchObject({ roles: ['requester', 'auditor'] });
    expectScimError(await scim.createGroup('latch auditors'), 409, 'ALREADY_EXISTS', 'uniqueness');
    expectScimError(await scim.createGroup('Latch Refund Approvers', ['00000000-0000-7000-8000-00000000dead']), 400, 'SCIM_MEMBER_UNKNOWN', 'invalidValue');
    const byName = await scim.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "LATCH AUDITORS"')}`);
    expect(byName.body).toMatchObject({ totalResults: 1, Resources: [{ id: groupId }] });
    const put = await scim.request('PUT', `/Groups/${groupId}`, { schemas: [GROUP], displayName: 'Latch Auditors', members: [{ value: b.id }] });
    expect(put.body.members.map((m: { value: string }) => m.value)).toEqual([b.id]);
    expect(await latchUser(a.id)).toMatchObject({ roles: ['requester'] });

    // Deleting the group takes away what it gave.
    expect((await scim.request('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expect(await latchUser(b.id)).toMatchObject({ roles: ['requester'] });
    expectScimError(await scim.request('GET', `/Groups/${groupId}`), 404, 'NOT_FOUND');
  });

  it('DELETE deactivates and never erases: sessions and tokens end at once, SCIM answers 404, the same userName provisions it again', async () => {
    const userName = email('dora');
    const user = (await scim.oktaCreateUser(userName, 'Dora', 'Deleted', { password: PASSWORD })).body;
    const group = await scim.createGroup('Latch Refund Approvers');
    expect(group.status).toBe(201);
    const groupId = group.body.id as string;
    expect((await scim.oktaAddMembers(groupId, [user.id])).status).toBe(200);
    const { session, token } = await credentialsOf(userName);
    expect((await scim.request('DELETE', `/Users/${user.id}`)).status).toBe(204);
    expect([await me(session), await me(token)]).toEqual([401, 401]);
    expectScimError(await scim.request('GET', `/Users/${user.id}`), 404, 'NOT_FOUND');
    expectScimError(await scim.oktaSetActive(user.id, true), 404, 'NOT_FOUND');
    expectScimError(await scim.request('DELETE', `/Users/${user.id}`), 404, 'NOT_FOUND');
    expect((await scim.findByUserName(userName)).body.totalResults).toBe(0);
    expect((await scim.request('GET', `/Groups/${groupId}`)).body.members.map((m: { value: string }) => m.value)).not.toContain(user.id);
    // Still in Latch, disabled, with its history and without what the group gave.
    expect(await latchUser(user.id)).toMatchObject({ email: userName, disabled: true, roles: ['requester'] });
    expect((await userEvents(user.id)).map((e) => e.kind)).toEqual(['user.created', 'user.updated', 'user.updated', 'user.updated']);
    const again = await scim.oktaCreateUser(userName, 'Dora', 'Back');
    expect([again.status, again.body.id, again.body.active]).toEqual([201, user.id, true]);
    expect(await latchUser(user.id)).toMatchObject({ disabled: false, name: 'Dora Back' });
  });

  it('two group pushes for one person at once both count: the person holds what both groups give', async () => {
    const person = (await scim.oktaCreateUser(email('cora'), 'Cora', 'Concurrent')).body;
    const existing = async (name: string) => {
      const found = await scim.request('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}&excludedAttributes=members`);
      return (found.body.Resources[0]?.id as string | undefined) ?? ((await scim.createGroup(name)).body.id as string);
    };
    const [approvers, auditors] = [await existing('Latch Refund Approvers'), await existing('Latch Auditors')];
    const pushes = await Promise.all([scim.oktaAddMembers(approvers, [person.id]), scim.oktaAddMembers(auditors, [person.id])]);
    expect(pushes.map((p) => p.status)).toEqual([200, 200]);
    expect((await latchUser(person.id)).roles.sort()).toEqual(['auditor', 'refund_approver', 'requester']);
    await Promise.all([scim.oktaRemoveMember(approvers, person.id), scim.oktaRemoveMember(auditors, person.id)]);
    expect((await latchUser(person.id)).roles).toEqual(['requester']);
  });

  it('erasing a person (POST /api/v1/erasures) removes the identity provider’s id for them too', async () => {
    const userName = email('ezra');
    const user = (await scim.entraCreateUser(userName, 'Ezra Erased', 'ezra-object-id')).body;
    const erased = await t.app.inject({ method: 'POST', url: '/api/v1/erasures', headers: bearer(t.users.admin), payload: { subject: userName } });
    expect(erased.statusCode, erased.body).toBe(200);
    const after = (await scim.request('GET', `/Users/${user.id}`)).body;
    expect(after).toMatchObject({ active: false, userName: `erased-${user.id}@erased.invalid` });
    expect(after).not.toHaveProperty('externalId');
    expect((await scim.request('GET', `/Users?filter=${encodeURIComponent('externalId eq "ezra-object-id"')}`)).body.totalResults).toBe(0);
  });

  it('stays out of the OpenAPI document: SCIM describes itself', async () => {
    const paths = Object.keys((await t.app.inject({ url: '/api/v1/openapi.json' })).json().paths as Record<string, unknown>);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => p.startsWith('/scim'))).toEqual([]);
  });

  it('pages with startIndex and count, and filters by id, active and displayName', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await scim.oktaCreateUser(email(`pat`), 'Pat', `Page${i}`)).body.id);
    const all = await scim.request('GET', '/Users?count=200');
    const total = all.body.totalResults as number;
    expect(all.body.Resources.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(ids));
    const page = await scim.request('GET', `/Users?startIndex=${total - 1}&count=1`);
    expect(page.body).toMatchObject({ totalResults: total, startIndex: total - 1, itemsPerPage: 1 });
    expect(page.body.Resources[0].id).toBe(ids[1]);
    expect((await scim.request('GET', '/Users?count=0')).body).toMatchObject({ totalResults: total, itemsPerPage: 0, Resources: [] });
    expect((await scim.request('GET', '/Users?startIndex=-5&count=1')).body).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
    const f = (filter: string) => scim.request('GET', `/Users?filter=${encodeURIComponent(filter)}`);
    expect((await f(`id eq "${ids[2]}"`)).body.Resources.map((r: { id: string }) => r.id)).toEqual([ids[2]]);
    expect((await f(`displayName eq "Pat Page0" and active eq true`)).body.totalResults).toBeGreaterThanOrEqual(1);
    expect((await f(`id eq "${ids[0]}" or id eq "${ids[1]}"`)).body.totalResults).toBe(2);
    expect((await f('id eq "not-an-id"')).body.totalResults).toBe(0);
    const projected = await scim.request('GET', `/Users/${ids[0]}?attributes=userName`);
    expect(Object.keys(projected.body).sort()).toEqual(['id', 'meta', 'schemas', 'userName']);
  });

  it('refuses bad input in SCIM’s error shape with stable codes, never a 500', async () => {
    const taken = email('dup');
    expect((await scim.oktaCreateUser(taken, 'Dup', 'One')).status).toBe(201);
    // A POST retried after its answer was lost: 409 uniqueness, and the look-up finds the one account.
    expectScimError(await scim.oktaCreateUser(taken.toUpperCase(), 'Dup', 'Two'), 409, 'ALREADY_EXISTS', 'uniqueness');
    expect((await scim.findByUserName(taken)).body.totalResults).toBe(1);
    expectScimError(await scim.request('POST', '/Users', undefined, '{"userName": '), 400, 'MALFORMED_JSON', 'invalidSyntax');
    expectScimError(await scim.request('POST', '/Users', undefined, '{"userName": "a\\u0000@b.c"}'), 400, 'VALIDATION_FAILED');
    expectScimError(await scim.request('POST', '/Users', undefined, `${'['.repeat(100)}${']'.repeat(100)}`), 400, 'VALIDATION_FAILED');
    expectScimError(await scim.request('POST', '/Users', [1, 2]), 400, 'VALIDATION_FAILED', 'invalidValue');
    expectScimError(await scim.request('POST', '/Users', { schemas: [USER], userName: 'not an email' }), 400, 'SCIM_USERNAME_NOT_EMAIL', 'invalidValue');
    expectScimError(await scim.request('POST', '/Users', { schemas: [USER] }), 400, 'VALIDATION_FAILED', 'invalidValue');
    expectScimError(await scim.request('POST', '/Users', { schemas: [USER], userName: email('pw'), password: 'short' }), 400, 'VALIDATION_FAILED', 'invalidValue');
    expectScimError(await scim.request('POST', '/Users', { schemas: [USER], userName: email('n'), name: 'Not an object' }), 400, 'VALIDATION_FAILED');
    for (const filter of ['userName eq', 'userName zz "x"', '((((', `userName eq "${'x'.repeat(1200)}"`]) {
      expectScimError(await scim.request('GET', `/Users?filter=${encodeURIComponent(filter)}`), 400, 'SCIM_FILTER_INVALID', 'invalidFilter');
    }
    for (const filter of ['userName co "a"', 'name.familyName eq "x"', 'active eq "yes"', 'userName eq 3']) {
      const res = await scim.request('GET', `/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.body.scimType, filter).toBe('invalidFilter');
      expect(res.status).toBe(400);
    }
    expectScimError(await scim.request('GET', '/Users?count=lots'), 400, 'VALIDATION_FAILED', 'invalidValue');
    expectScimError(await scim.request('GET', '/Users/00000000-0000-7000-8000-00000000dead'), 404, 'NOT_FOUND');
    expectScimError(await scim.request('GET', '/Users/nope'), 404, 'NOT_FOUND');
    const id = (await scim.findByUserName(taken)).body.Resources[0].id as string;
    expectScimError(await scim.request('PATCH', `/Users/${id}`, { Operations: [] }), 400, 'SCIM_PATCH_INVALID', 'invalidSyntax');
    expectScimError(await scim.request('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'explode', path: 'active' }] }), 400, 'SCIM_PATCH_INVALID');
    expectScimError(await scim.request('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'emails[type eq', value: 'x' }] }), 400, 'SCIM_PATCH_INVALID');
    expectScimError(await scim.request('PATCH', `/Users/${id}`, 'replace everything'), 400, 'VALIDATION_FAILED');
    expectScimError(await scim.request('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'id', value: '00000000-0000-7000-8000-000000000001' }] }), 400, 'SCIM_IMMUTABLE', 'mutability');
    expectScimError(await scim.request('PUT', `/Users/${id}`, { schemas: [USER], userName: email('renamed') }), 400, 'SCIM_USERNAME_IMMUTABLE', 'mutability');
    expectScimError(await scim.request('POST', '/Groups', { schemas: [GROUP], displayName: 'Latch Auditors', members: [{ value: 'nobody' }] }), 400, 'SCIM_MEMBER_UNKNOWN');
    expectScimError(await scim.request('GET', `/Groups?filter=${encodeURIComponent('members[display eq "x"]')}`), 400, 'SCIM_FILTER_UNSUPPORTED', 'invalidFilter');
  });
});

describe('scim.yaml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latch-scim-yaml-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (text: string) => {
    writeFileSync(join(dir, 'scim.yaml'), text);
    return () => loadScimConfig(dir, SHIPPED_ROLES, new TeamDirectory(new Map([['refunds', ['refunds']]]), true));
  };

  it('refuses a role or team the configuration does not define (SCIM never creates them), naming the path', () => {
    const bad = load('groups:\n  Admins:\n    roles: [superuser]\n    teams: [ghosts]\nunknownGroups: maybe\nnewUsers:\n  roles: [requester]\nextra: 1\n');
    expect(bad).toThrow(StartupError);
    expect(bad).toThrow(/\/groups\/Admins\/roles\/0: 'superuser' is not defined in roles\.yaml/);
    expect(bad).toThrow(/\/groups\/Admins\/teams\/0: 'ghosts' is not defined in teams\.yaml/);
    expect(bad).toThrow(/\/unknownGroups: must be refuse or ignore/);
    expect(bad).toThrow(/\/extra is not a known setting/);
    expect(load('groups: [1, 2]\n')).toThrow(/\/groups: must map group display names/);
    expect(load('groups:\n  A: {roles: [admin]}\n  a: {roles: [auditor]}\n')).toThrow(/named twice/);
    expect(load(': : :\n')).toThrow(/not valid YAML/);
  });

  it('latch config check names the line of a role or team scim.yaml names that the configuration lacks', async () => {
    const checked = mkdtempSync(join(tmpdir(), 'latch-scim-check-'));
    try {
      cpSync(TEST_CONFIG_DIR, checked, { recursive: true });
      writeFileSync(join(checked, 'scim.yaml'), 'groups:\n  Latch Auditors:\n    roles: [auditor]\n  Admins:\n    roles: [superuser]\n    teams: [ghosts]\n');
      const problems = (await checkConfig(checked)).problems.filter((p) => p.code === 'SCIM_CONFIG_INVALID');
      expect(problems.map((p) => [p.line, p.message])).toEqual([
        [5, "/groups/Admins/roles/0: 'superuser' is not defined in roles.yaml"],
        [6, "/groups/Admins/teams/0: 'ghosts' is not defined in teams.yaml"],
      ]);
      writeFileSync(join(checked, 'scim.yaml'), 'groups:\n  Latch Auditors:\n    roles: [auditor]\n');
      expect((await checkConfig(checked)).problems.filter((p) => p.code === 'SCIM_CONFIG_INVALID')).toEqual([]);
    } finally {
      rmSync(checked, { recursive: true, force: true });
    }
  });

  it('reads group names without case, defaults to refusing unknown groups, and knows which roles it manages', () => {
    const config = load('groups:\n  Latch Refund Approvers: {roles: [refund_approver], teams: [refunds]}\n  Auditors: {roles: [auditor]}\n')();
    expect(config.groups.get('latch refund approvers')).toEqual({ roles: ['refund_approver'], teams: ['refunds'] });
    expect(config.unknownGroups).toBe('refuse');
    expect(config.newUsers).toEqual({ roles: [], teams: [] });
    expect(managedByGroups(config)).toEqual({ roles: ['refund_approver', 'auditor'], teams: ['refunds'] });
    rmSync(join(dir, 'scim.yaml'));
    expect(loadScimConfig(dir, SHIPPED_ROLES, new TeamDirectory())).toMatchObject({ unknownGroups: 'ignore', groups: new Map() });
  });
});
