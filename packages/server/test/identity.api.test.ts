import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { resultRows } from '../src/db/database.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { openLatch } from '../src/runtime.js';
import { bearer, DB_KINDS, PASSWORD, TEST_CONFIG_DIR, sessionFor, startTestLatch, TEST_LOG_KEY, type TestLatch, type TestUser } from './harness.js';
import { latchEnv, runLatch } from './process.js';

const SYSTEM = { type: 'system', id: 'test' } as const;
const NEW_PASSWORD = 'a brand new password for you';

describe.each(DB_KINDS)('identity, sessions and tokens on %s', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    // Per account: the default 10 failures; per address: 5 here, so the address limit is cheap to reach.
    t = await startTestLatch(kind, { LATCH_LOGIN_MAX_FAILURES_PER_ADDRESS: '5', LATCH_TRUSTED_PROXIES: '10.0.0.1' });
  });
  afterAll(async () => t?.close());

  let made = 0;
  const person = async (roles: string[] = ['operator']): Promise<TestUser> => {
    const email = `person${++made}@identity.test`;
    const user = await t.ctx.database.write((tx) => createUser(tx, { email, name: `Person ${made}`, password: PASSWORD, roles, teams: ['refunds'] }, SYSTEM));
    return { id: user.id, email, token: '' };
  };
  const login = (email: string, password: string, from = '127.0.0.1', forwardedFor?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: from,
      ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}),
      payload: { email, password },
    });
  const unknownEmail = () => `nobody-${Math.random().toString(36).slice(2)}@identity.test`;
  const me = async (headers: Record<string, string>) => (await t.app.inject({ url: '/api/v1/me', headers })).statusCode;
  const mint = (headers: Record<string, string>, body: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { name: 'minted', ...body } });
  const asToken = (token: string) => ({ authorization: `Bearer ${token}` });
  const inOneHour = () => new Date(Date.now() + 3_600_000);

  describe('the login throttle', () => {
    it('throttles the account as the lookup normalises it: padded and re-cased variants, from any address', async () => {
      const user = await person();
      const variants = [user.email, ` ${user.email} `, user.email.toUpperCase(), `\t${user.email}`, `  ${user.email.replace('person', 'PERSON')}`];
      for (let i = 0; i < 10; i++) {
        const res = await login(variants[i % variants.length]!, 'not the password at all', `192.0.2.${i + 1}`);
        expect(res.statusCode, `guess ${i + 1}`).toBe(401);
      }
      for (const variant of variants) {
        const locked = await login(variant, PASSWORD, '192.0.2.200');
        expect(locked.statusCode, JSON.stringify(variant)).toBe(429);
        expect(locked.json().error.code).toBe('RATE_LIMITED');
        const retryAfter = Number(locked.headers['retry-after']);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      }
      // Other accounts, from the same addresses, are not affected.
      expect((await login(t.users.operator.email, PASSWORD, '192.0.2.1')).statusCode).toBe(200);
    });

    if (kind === 'postgres') {
      it('is shared by every Latch process on the database', async () => {
        const other = await openLatch(readConfig({ LATCH_CONFIG_DIR: TEST_CONFIG_DIR, LATCH_DATABASE_URL: t.databaseUrl!, LATCH_LOG_KEY: TEST_LOG_KEY }), {
          jobs: false,
          log: () => undefined,
        });
        const otherApp = await buildApp(other.ctx);
        try {
          const user = await person();
          for (let i = 0; i < 10; i++) expect((await login(` ${user.email.toUpperCase()}`, 'a wrong guess', `192.0.2.${100 + i}`)).statusCode).toBe(401);
          const elsewhere = await otherApp.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '192.0.2.250', payload: { email: user.email, password: PASSWORD } });
          expect(elsewhere.statusCode).toBe(429);
          for (let i = 0; i < 5; i++) {
            const res = await otherApp.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '100.64.0.1', payload: { email: unknownEmail(), password: 'a guess' } });
            expect(res.statusCode).toBe(401);
          }
          expect((await login(t.users.operator.email, PASSWORD, '100.64.0.1')).statusCode).toBe(429);
        } finally {
          await otherApp.close();
          await other.close();
        }
      });
    }

    it('throttles an address guessing across accounts, without locking those accounts elsewhere', async () => {
      const user = await person();
      for (let i = 0; i < 5; i++) expect((await login(unknownEmail(), 'a guess', '198.18.0.1')).statusCode).toBe(401);
      const limited = await login(user.email, PASSWORD, '198.18.0.1');
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.message).toMatch(/your address/);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await login(user.email, PASSWORD, '198.18.0.2')).statusCode).toBe(200);
    });

    it('takes the address from X-Forwarded-For only through a trusted proxy', async () => {
      const user = await person();
      // Through the trusted proxy (10.0.0.1): the forwarded client is throttled, not the proxy.
      for (let i = 0; i < 5; i++) expect((await login(unknownEmail(), 'a guess', '10.0.0.1', '198.51.100.1')).statusCode).toBe(401);
      expect((await login(user.email, PASSWORD, '10.0.0.1', '198.51.100.1')).statusCode).toBe(429);
      expect((await login(user.email, PASSWORD, '10.0.0.1', '198.51.100.2')).statusCode).toBe(200);
      // From anyone else the header is ignored: it neither borrows a locked address nor escapes one's own.
      expect((await login(user.email, PASSWORD, '203.0.113.5', '198.51.100.1')).statusCode).toBe(200);
      for (let i = 0; i < 5; i++) expect((await login(unknownEmail(), 'a guess', '203.0.113.6', `198.51.100.${10 + i}`)).statusCode).toBe(401);
      expect((await login(user.email, PASSWORD, '203.0.113.6', '198.51.100.99')).statusCode).toBe(429);
    });
  });

  describe('tokens', () => {
    it('lets a session mint only scopes its roles grant, and `*` as whatever the user holds', async () => {
      const session = await sessionFor(t.app, t.users.operator);
      const refused = await mint(session, { scopes: ['case:read', 'action:decide', 'user:manage'] });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error).toMatchObject({ code: 'SCOPE_NOT_HELD', details: { notHeld: ['action:decide', 'user:manage'] } });
      expect((await mint(bearer(t.users.operator), { scopes: ['user:manage'] })).json().error.code).toBe('SCOPE_NOT_HELD');
      const all = await mint(session, { scopes: ['*'] });
      expect(all.statusCode).toBe(201);
      const perms = (await t.app.inject({ url: '/api/v1/me', headers: asToken(all.json().token) })).json().permissions as string[];
      expect(perms).toContain('action:propose');
      expect(perms).not.toContain('action:decide');
      // The command the CLI uses applies the same rule.
      const operator = { id: t.users.operator.id, email: t.users.operator.email, roles: ['operator'] };
      await expect(t.ctx.database.write((tx) => createToken(tx, operator, { name: 'cli', scopes: ['audit:verify'] }, SYSTEM))).rejects.toMatchObject({ code: 'SCOPE_NOT_HELD' });
    });

    it('never lets a token mint one that outranks or outlives it, and revoking it revokes what it minted', async () => {
      const session = await sessionFor(t.app, t.users.operator);
      const parentExpiry = inOneHour();
      const parent = (await mint(session, { scopes: ['case:read', 'token:manage'], expiresAt: parentExpiry.toISOString() })).json();
      const viaParent = asToken(parent.token);
      const forever = await mint(viaParent, { scopes: ['case:read'] });
      expect(forever.statusCode).toBe(400);
      expect(forever.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'expiresAt', parentExpiresAt: parentExpiry.toISOString() } });
      const later = await mint(viaParent, { scopes: ['case:read'], expiresAt: new Date(parentExpiry.getTime() + 1000).toISOString() });
      expect(later.json().error.code).toBe('VALIDATION_FAILED');
      const wider = await mint(viaParent, { scopes: ['case:read', 'case:create'], expiresAt: parentExpiry.toISOString() });
      expect(wider.json().error).toMatchObject({ code: 'SCOPE_NOT_HELD', details: { notHeld: ['case:create'] } });
      expect((await mint(viaParent, { scopes: ['*'], expiresAt: parentExpiry.toISOString() })).json().error.code).toBe('SCOPE_NOT_HELD');

      const child = await mint(viaParent, { scopes: ['case:read', 'token:manage'], expiresAt: parentExpiry.toISOString() });
      expect(child.statusCode).toBe(201);
      const grandchild = await mint(asToken(child.json().token), { scopes: ['case:read'], expiresAt: new Date(parentExpiry.getTime() - 60_000).toISOString() });
      expect(grandchild.statusCode).toBe(201);
      expect((await t.app.inject({ url: '/api/v1/cases', headers: asToken(grandchild.json().token) })).statusCode).toBe(200);

      const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${parent.id}`, headers: session });
      expect(revoked.statusCode).toBe(204);
      for (const token of [parent.token, child.json().token, grandchild.json().token]) expect(await me(asToken(token))).toBe(401);
      const listed = (await t.app.inject({ url: '/api/v1/tokens', headers: session })).json().items as { id: string; revoked: boolean }[];
      for (const id of [parent.id, child.json().id, grandchild.json().id]) expect(listed.find((x) => x.id === id)?.revoked, id).toBe(true);
      const rows = resultRows<{ bytes: string }>(await t.ctx.database.db.execute(sql`select bytes from events where kind = 'token.revoked'`));
      const event = rows.map((r) => JSON.parse(r.bytes) as { data: { tokenId: string; alsoRevoked: string[] } }).find((e) => e.data.tokenId === parent.id);
      expect(event?.data.alsoRevoked).toEqual([child.json().id, grandchild.json().id].sort());
    });

    it('refuses a minted token whose ancestor is expired or revoked, even without the cascade', async () => {
      const session = await sessionFor(t.app, t.users.operator);
      for (const kill of [sql`expires_at = now() - interval '1 second'`, sql`revoked_at = now()`]) {
        const expiresAt = inOneHour().toISOString();
        const parent = (await mint(session, { scopes: ['case:read', 'token:manage'], expiresAt })).json();
        const child = (await mint(asToken(parent.token), { scopes: ['case:read'], expiresAt })).json();
        expect(await me(asToken(child.token))).toBe(200);
        await t.ctx.database.db.execute(sql`update api_tokens set ${kill} where id = ${parent.id}`);
        expect(await me(asToken(child.token))).toBe(401);
      }
    });
  });

  describe('password changes and disabling', () => {
    it('a password reset ends every session and token of the user', async () => {
      const user = await person();
      const session = await sessionFor(t.app, user);
      const token = (await mint(session, { scopes: ['*'] })).json().token as string;
      expect([await me(session), await me(asToken(token))]).toEqual([200, 200]);
      const reset = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: bearer(t.users.admin), payload: { password: NEW_PASSWORD } });
      expect(reset.statusCode).toBe(200);
      expect([await me(session), await me(asToken(token))]).toEqual([401, 401]);
      expect((await login(user.email, PASSWORD)).statusCode).toBe(401);
      expect((await login(user.email, NEW_PASSWORD)).statusCode).toBe(200);
      const rows = resultRows<{ bytes: string }>(await t.ctx.database.db.execute(sql`select bytes from events where kind = 'user.updated'`));
      const event = rows.map((r) => JSON.parse(r.bytes) as { data: Record<string, unknown> }).find((e) => e.data.userId === user.id);
      expect(event?.data).toMatchObject({ passwordChanged: true, sessionsEnded: 1, tokensRevoked: 1 });
      expect(JSON.stringify(event)).not.toContain(NEW_PASSWORD);
    });

    it('disabling ends them too, and enabling again revives none of them', async () => {
      const user = await person();
      const session = await sessionFor(t.app, user);
      const token = (await mint(session, { scopes: ['case:read'] })).json();
      const patch = (body: Record<string, unknown>) => t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: bearer(t.users.admin), payload: body });
      expect((await patch({ disabled: true })).json().disabled).toBe(true);
      expect([await me(session), await me(asToken(token.token))]).toEqual([401, 401]);
      expect((await login(user.email, PASSWORD)).statusCode).toBe(401);
      expect((await patch({ disabled: false })).json().disabled).toBe(false);
      expect([await me(session), await me(asToken(token.token))]).toEqual([401, 401]);
      const fresh = await sessionFor(t.app, user);
      const listed = (await t.app.inject({ url: '/api/v1/tokens', headers: fresh })).json().items as { id: string; revoked: boolean }[];
      expect(listed.find((x) => x.id === token.id)?.revoked).toBe(true);
    });
  });

  describe('roles and teams', () => {
    const create = (body: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(t.users.admin), payload: { email: unknownEmail(), name: 'Someone', password: PASSWORD, roles: ['operator'], ...body } });

    it('accepts only known roles and the teams teams.yaml declares, on creation and on change', async () => {
      for (const role of ['constructor', 'hasownproperty', 'superuser']) {
        const res = await create({ roles: ['operator', role] });
        expect(res.statusCode, role).toBe(400);
        expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'roles', unknown: [role] } });
      }
      const ghosts = await create({ teams: ['refunds', 'ghosts'] });
      expect(ghosts.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'teams', unknown: ['ghosts'] } });
      expect(ghosts.json().error.message).toContain('ghosts');
      const ok = await create({ teams: ['finance'] });
      expect(ok.statusCode).toBe(201);
      const patch = (body: Record<string, unknown>) => t.app.inject({ method: 'PATCH', url: `/api/v1/users/${ok.json().id}`, headers: bearer(t.users.admin), payload: body });
      expect((await patch({ roles: ['constructor'] })).json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { unknown: ['constructor'] } });
      expect((await patch({ teams: ['constructor'] })).json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { unknown: ['constructor'] } });
      expect((await patch({ roles: ['auditor'], teams: ['refunds'] })).json()).toMatchObject({ roles: ['auditor'], teams: ['refunds'] });
    });
  });
});

describe('latch user checks roles and teams', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-identity-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses an unknown role or team, naming it', () => {
    const env = { ...latchEnv(dataDir), LATCH_USER_PASSWORD: PASSWORD };
    const create = (...extra: string[]) => runLatch(env, ['user', 'create', '--email', 'cli@identity.test', '--name', 'Cli', ...extra]);
    const role = create('--role', 'constructor');
    expect(role.status).not.toBe(0);
    expect(role.stderr).toMatch(/Unknown roles: constructor/);
    const team = create('--role', 'operator', '--team', 'ghosts');
    expect(team.status).not.toBe(0);
    expect(team.stderr).toMatch(/Unknown teams: ghosts/);
  });
});
