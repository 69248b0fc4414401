import { rmSync } from 'node:fs';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/auth/users.js';
import { openSso } from '../src/auth/oidc/sso-runtime.js';
import { checkConfig } from '../src/config-check/check-config.js';
import { readConfig } from '../src/config.js';
import { resultRows } from '../src/db/database.js';
import { accountChanges, userIdentities } from '../src/db/schema.js';
import { bearer, DB_KINDS, PASSWORD, startTestLatch, type TestLatch } from './harness.js';
import { ssoConfigDir, SSO_YAML, startTestProvider, walkProvider, type TestProvider } from './oidc-support.js';

const PUBLIC_URL = 'http://127.0.0.1:39999';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/sso/callback`;

const ssoError = (location: string | undefined) => new URL(location ?? '/', PUBLIC_URL).searchParams.get('sso_error');

describe.each(DB_KINDS)('single sign-on (OpenID Connect) on %s', (kind) => {
  let t: TestLatch;
  let idp: TestProvider;
  let configDir: string;
  beforeAll(async () => {
    idp = await startTestProvider(CALLBACK);
    configDir = ssoConfigDir();
    t = await startTestLatch(kind, {
      LATCH_CONFIG_DIR: configDir,
      LATCH_PUBLIC_URL: PUBLIC_URL,
      LATCH_OIDC_ISSUER: idp.issuer,
      LATCH_OIDC_CLIENT_ID: idp.clientId,
      LATCH_OIDC_CLIENT_SECRET: idp.clientSecret,
    });
    // A start takes seconds alone; beside other suites on two cores, it is given room.
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  let people = 0;
  const account = (groups: string[], extra: { email?: string; emailVerified?: boolean } = {}) => {
    const username = `${kind}-person-${++people}`;
    idp.accounts.set(username, { password: 'idp-password', email: extra.email ?? `${username}@sso.test`, emailVerified: extra.emailVerified ?? true, name: `Person ${people}`, groups });
    return username;
  };
  /** Start at Latch, sign in at the provider, come back: the callback's answer. */
  const start = async (next?: string) => {
    const res = await t.app.inject({ url: `/api/v1/auth/sso/start${next ? `?next=${encodeURIComponent(next)}` : ''}` });
    expect(res.statusCode).toBe(302);
    const flow = res.cookies.find((c) => c.name === 'latch_sso');
    return { location: res.headers.location as string, flow: flow?.value, flowCookie: flow };
  };
  const callback = (back: URL, flow: string | undefined) => t.app.inject({ url: `${back.pathname}${back.search}`, ...(flow ? { cookies: { latch_sso: flow } } : {}) });
  const signIn = async (username: string, next?: string) => {
    const started = await start(next);
    const back = await walkProvider(started.location, { username, password: 'idp-password' });
    return callback(back, started.flow);
  };
  const me = async (res: Awaited<ReturnType<typeof signIn>>) => {
    const session = res.cookies.find((c) => c.name === 'latch_session');
    expect(session, `no session: ${res.headers.location}`).toBeDefined();
    return (await t.app.inject({ url: '/api/v1/me', cookies: { latch_session: session!.value } })).json() as { user: { id: string; email: string; roles: string[]; teams: string[] }; permissions: string[] };
  };
  const systemEvents = async (userId: string) =>
    resultRows<{ kind: string; bytes: string }>(await t.ctx.database.db.execute(sql`select kind, bytes from events where stream = '00000000-0000-7000-8000-000000000000' and bytes like ${`%${userId}%`} order by seq`)).map((r) => ({ kind: r.kind, ...(JSON.parse(r.bytes) as { actor: unknown; data: Record<string, unknown> }) }));

  it('offers the provider to the login page', async () => {
    const res = await t.app.inject({ url: '/api/v1/auth/sso' });
    expect(res.json()).toEqual({ enabled: true, providerName: 'Test IdP', startUrl: '/api/v1/auth/sso/start', passwordLogin: false });
  });

  it('sends the browser to the provider with PKCE (S256), state and nonce, and keeps the flow behind an HttpOnly, SameSite=Lax cookie', async () => {
    const { location, flowCookie } = await start();
    const url = new URL(location);
    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(flowCookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/api/v1/auth/sso' });
    // Nothing the browser could replay is kept in the clear: the table holds the cookie's hash.
    const rows = resultRows<{ id_hash: string }>(await t.ctx.database.db.execute(sql`select id_hash from sso_logins`));
    expect(rows.some((r) => r.id_hash === flowCookie!.value)).toBe(false);
  });

  it('a first sign-in creates the user with roles and teams from their groups, linked by issuer and subject, recorded as done by SSO', async () => {
    const username = account(['refund-ops', 'unmapped-group']);
    const res = await signIn(username, '/approvals');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/approvals');
    const who = await me(res);
    expect(who.user).toMatchObject({ email: `${username}@sso.test`, roles: ['operator'], teams: ['refunds'] });
    const [identity] = await t.ctx.database.db.select().from(userIdentities).where(eq(userIdentities.userId, who.user.id));
    expect(identity).toMatchObject({ issuer: idp.issuer, subject: username });
    const events = await systemEvents(who.user.id);
    expect(events.map((e) => e.kind)).toEqual(['user.created', 'user.sso_linked']);
    expect(events.map((e) => e.actor)).toEqual([{ type: 'system', id: 'sso' }, { type: 'system', id: 'sso' }]);
    // The subject is personal data: a commitment in the hashed bytes, never the value.
    expect(JSON.stringify(events[1]!.data)).not.toContain(username);
    const changes = await t.ctx.database.db.select().from(accountChanges).where(eq(accountChanges.userId, who.user.id));
    expect(changes).toEqual([expect.objectContaining({ changes: ['created'], changedBy: null })]);
  });

  it('a later sign-in with other groups changes the roles and teams, recorded as user administration', async () => {
    const username = account(['refund-ops']);
    const first = await me(await signIn(username));
    idp.accounts.get(username)!.groups = ['refund-approvers', 'latch-admins'];
    const second = await me(await signIn(username));
    expect(second.user.id).toBe(first.user.id);
    expect(second.user.roles).toEqual(['admin', 'refund_approver']);
    expect(second.permissions).toContain('user:manage');
    const updated = (await systemEvents(first.user.id)).filter((e) => e.kind === 'user.updated');
    expect(updated).toHaveLength(1);
    expect(updated[0]!.data.roles).toEqual({ old: ['operator'], new: ['admin', 'refund_approver'] });
    const changes = await t.ctx.database.db.select().from(accountChanges).where(eq(accountChanges.userId, first.user.id));
    expect(changes.map((c) => c.changes)).toEqual([['created'], ['roles']]);
    // The same groups again: nothing to record.
    await me(await signIn(username));
    expect((await systemEvents(first.user.id)).filter((e) => e.kind === 'user.updated')).toHaveLength(1);
  });

  it('a person whose groups no longer give a role loses their roles and does not get in', async () => {
    const username = account(['refund-ops']);
    const first = await me(await signIn(username));
    idp.accounts.get(username)!.groups = [];
    const res = await signIn(username);
    expect(ssoError(res.headers.location)).toBe('SSO_NOT_ENTITLED');
    expect(res.cookies.find((c) => c.name === 'latch_session')).toBeUndefined();
    const users = (await t.app.inject({ url: '/api/v1/users', headers: bearer(t.users.admin) })).json().items as { id: string; roles: string[] }[];
    expect(users.find((u) => u.id === first.user.id)?.roles).toEqual([]);
  });

  it('a disabled user is refused, and disabling ended the session SSO gave them', async () => {
    const username = account(['refund-ops']);
    const res = await signIn(username);
    const who = await me(res);
    const session = res.cookies.find((c) => c.name === 'latch_session')!.value;
    const disable = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${who.user.id}`, headers: bearer(t.users.admin), payload: { disabled: true } });
    expect(disable.statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/me', cookies: { latch_session: session } })).statusCode).toBe(401);
    const again = await signIn(username);
    expect(ssoError(again.headers.location)).toBe('SSO_ACCOUNT_DISABLED');
    expect(again.cookies.find((c) => c.name === 'latch_session')).toBeUndefined();
  });

  it('an unverified email never takes over a local account; a verified one links to it', async () => {
    const local = await t.ctx.database.write((tx) => createUser(tx, { email: `local-${kind}@sso.test`, name: 'Local', password: PASSWORD, roles: ['operator'], teams: ['refunds'] }, { type: 'system', id: 'test' }, undefined, t.ctx.roles));
    const impostor = account(['latch-admins'], { email: local.email, emailVerified: false });
    const refused = await signIn(impostor);
    expect(ssoError(refused.headers.location)).toBe('SSO_EMAIL_IN_USE');
    expect((await t.ctx.database.db.select().from(userIdentities).where(eq(userIdentities.userId, local.id))).length).toBe(0);

    const owner = account(['refund-ops'], { email: local.email, emailVerified: true });
    const linked = await me(await signIn(owner));
    expect(linked.user.id).toBe(local.id);
    expect((await systemEvents(local.id)).map((e) => e.kind)).toContain('user.sso_linked');
    // passwordLogin: false in sso.yaml: the linked account's password no longer logs in (said only to whoever knew it).
    const password = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: local.email, password: PASSWORD } });
    expect(password.statusCode).toBe(403);
    expect(password.json().error.code).toBe('PASSWORD_LOGIN_DISABLED');
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: local.email, password: 'not the password at all' } });
    expect(wrong.json().error.code).toBe('INVALID_CREDENTIALS');
    // Accounts never linked keep their password.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: t.users.operator.email, password: PASSWORD } })).statusCode).toBe(200);
  });

  it('erasing a person removes their link: a later sign-in is a new account', async () => {
    const username = account(['refund-ops']);
    const first = await me(await signIn(username));
    const erased = await t.app.inject({ method: 'POST', url: '/api/v1/erasures', headers: bearer(t.users.admin), payload: { subject: first.user.email, reason: 'ticket 42' } });
    expect(erased.statusCode).toBe(200);
    expect(await t.ctx.database.db.select().from(userIdentities).where(eq(userIdentities.userId, first.user.id))).toEqual([]);
    const again = await me(await signIn(username));
    expect(again.user.id).not.toBe(first.user.id);
  });

  describe('callback errors', () => {
    it('a tampered state is refused, and the flow is used up by the attempt', async () => {
      const username = account(['refund-ops']);
      const started = await start();
      const back = await walkProvider(started.location, { username, password: 'idp-password' });
      const tampered = new URL(back);
      tampered.searchParams.set('state', `${back.searchParams.get('state')}x`);
      const res = await callback(tampered, started.flow);
      expect(res.statusCode).toBe(302);
      expect(ssoError(res.headers.location)).toBe('SSO_STATE_INVALID');
      expect(res.cookies.find((c) => c.name === 'latch_session')).toBeUndefined();
      // The genuine answer afterwards finds no flow: a state guess costs the whole sign-in.
      expect(ssoError((await callback(back, started.flow)).headers.location)).toBe('SSO_STATE_INVALID');
    });

    it('an answer without the browser\'s flow cookie (started elsewhere, login CSRF) is refused', async () => {
      const username = account(['refund-ops']);
      const started = await start();
      const back = await walkProvider(started.location, { username, password: 'idp-password' });
      expect(ssoError((await callback(back, undefined)).headers.location)).toBe('SSO_STATE_INVALID');
      expect(ssoError((await callback(back, 'a-cookie-latch-never-issued')).headers.location)).toBe('SSO_STATE_INVALID');
    });

    it('a callback used twice (a reload, a replay) is refused the second time', async () => {
      const username = account(['refund-ops']);
      const started = await start();
      const back = await walkProvider(started.location, { username, password: 'idp-password' });
      expect((await callback(back, started.flow)).headers.location).toBe('/');
      expect(ssoError((await callback(back, started.flow)).headers.location)).toBe('SSO_STATE_INVALID');
    });

    it('the person cancelling at the provider reads as access denied', async () => {
      const started = await start();
      const back = await walkProvider(started.location, 'cancel');
      expect(back.searchParams.get('error')).toBe('access_denied');
      expect(ssoError((await callback(back, started.flow)).headers.location)).toBe('SSO_ACCESS_DENIED');
    });

    it('another provider error, or a code that was tampered with, is a provider error, and nothing of it reaches the page', async () => {
      const started = await start();
      const state = new URL(started.location).searchParams.get('state')!;
      const odd = new URL(CALLBACK);
      odd.search = new URLSearchParams({ error: 'server_error', error_description: '<script>alert(1)</script>', state }).toString();
      const res = await callback(odd, started.flow);
      expect(res.headers.location).toBe('/login?sso_error=SSO_PROVIDER_ERROR');

      const username = account(['refund-ops']);
      const again = await start();
      const back = await walkProvider(again.location, { username, password: 'idp-password' });
      const forged = new URL(back);
      forged.searchParams.set('code', 'forged-code');
      expect(ssoError((await callback(forged, again.flow)).headers.location)).toBe('SSO_PROVIDER_ERROR');
    });

    it('an open redirect in next is not followed', async () => {
      for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/']) {
        const username = account(['refund-ops']);
        const res = await signIn(username, next);
        expect(res.headers.location).toBe('/');
      }
    });
  });

  it('first sign-ins of one person at once create one account', async () => {
    const username = account(['refund-ops']);
    const [a, b] = await Promise.all([start(), start()]);
    const [backA, backB] = await Promise.all([walkProvider(a.location, { username, password: 'idp-password' }), walkProvider(b.location, { username, password: 'idp-password' })]);
    const results = await Promise.all([callback(backA, a.flow), callback(backB, b.flow)]);
    expect(results.map((r) => r.headers.location)).toEqual(['/', '/']);
    const ids = await Promise.all(results.map(me));
    expect(ids[0]!.user.id).toBe(ids[1]!.user.id);
    const links = await t.ctx.database.db.select().from(userIdentities).where(and(eq(userIdentities.issuer, idp.issuer), eq(userIdentities.subject, username)));
    expect(links).toHaveLength(1);
  });
});

describe('single sign-on configuration', () => {
  it('latch config check names a role or team sso.yaml grants that is not defined', async () => {
    const dir = ssoConfigDir(`${SSO_YAML}  ghosts: {roles: [ghost_role], teams: [ghost_team]}\n`);
    try {
      const report = await checkConfig(dir);
      const codes = report.problems.filter((p) => p.file.endsWith('sso.yaml')).map((p) => `${p.line}:${p.code}`);
      expect(codes).toEqual(['11:SSO_ROLE_UNDEFINED', '11:SSO_TEAM_UNDEFINED']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown setting is an error with its line; the shipped example (disabled) passes', async () => {
    const dir = ssoConfigDir(`enabled: true\nprovider: Typo\n`);
    try {
      const report = await checkConfig(dir);
      expect(report.problems.filter((p) => p.file.endsWith('sso.yaml')).map((p) => `${p.line}:${p.code}`)).toEqual(['2:SSO_INVALID']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const shipped = await checkConfig(new URL('../../../config', import.meta.url).pathname);
    expect(shipped.problems.filter((p) => p.file.endsWith('sso.yaml'))).toEqual([]);
  });

  it('sso.yaml turned on without a provider refuses the start with what to set; a provider that is down only refuses sign-ins', async () => {
    const dir = ssoConfigDir();
    try {
      const quiet = () => undefined;
      expect(() => openSso(readConfig({ LATCH_CONFIG_DIR: dir }), quiet)).toThrow(/LATCH_OIDC_ISSUER/);
      expect(() => openSso(readConfig({ LATCH_CONFIG_DIR: dir, LATCH_OIDC_ISSUER: 'https://id.example.com', LATCH_OIDC_CLIENT_ID: 'latch' }), quiet)).toThrow(/LATCH_PUBLIC_URL/);
      expect(() => readConfig({ LATCH_OIDC_ISSUER: 'http://id.example.com', LATCH_OIDC_CLIENT_ID: 'latch' })).toThrow(/https/);
      const t = await startTestLatch('pglite', { LATCH_CONFIG_DIR: dir, LATCH_PUBLIC_URL: PUBLIC_URL, LATCH_OIDC_ISSUER: 'http://127.0.0.1:9', LATCH_OIDC_CLIENT_ID: 'latch' });
      try {
        const res = await t.app.inject({ url: '/api/v1/auth/sso/start' });
        expect(res.headers.location).toBe('/login?sso_error=SSO_PROVIDER_ERROR');
      } finally {
        await t.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('without sso.yaml the login page offers no SSO and the routes say so', async () => {
    const t = await startTestLatch('pglite');
    try {
      expect((await t.app.inject({ url: '/api/v1/auth/sso' })).json()).toEqual({ enabled: false, passwordLogin: true });
      expect((await t.app.inject({ url: '/api/v1/auth/sso/start' })).headers.location).toBe('/login?sso_error=SSO_NOT_CONFIGURED');
      expect((await t.app.inject({ url: '/api/v1/auth/sso/callback?code=x&state=y' })).headers.location).toBe('/login?sso_error=SSO_NOT_CONFIGURED');
    } finally {
      await t.close();
    }
  }, 300_000);
});
