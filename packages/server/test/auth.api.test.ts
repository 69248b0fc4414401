import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DB_KINDS, PASSWORD, refundBody, startTestLatch, type TestLatch } from './harness.js';

describe.each(DB_KINDS)('users, sessions and tokens on %s', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind);
  });
  afterAll(async () => t?.close());

  const login = async (email: string, password = PASSWORD) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    const cookie = res.cookies.find((c) => c.name === 'latch_session');
    return { res, cookie, headers: cookie ? { cookie: `latch_session=${cookie.value}` } : {}, csrf: res.json().csrfToken as string };
  };

  it('refuses anonymous calls with 401 UNAUTHENTICATED', async () => {
    for (const url of ['/api/v1/cases', '/api/v1/users', '/api/v1/me', '/api/v1/case-types']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHENTICATED');
    }
    const forged = await t.app.inject({ url: '/api/v1/me', headers: { authorization: 'Bearer latch_nope' } });
    expect(forged.statusCode).toBe(401);
  });

  it('logs in with a secure HttpOnly cookie and requires the CSRF token for cookie writes', async () => {
    const wrong = await login(t.users.operator.email, 'not the password');
    expect(wrong.res.statusCode).toBe(401);
    expect(wrong.res.json().error.code).toBe('INVALID_CREDENTIALS');
    const { res, cookie, headers, csrf } = await login(t.users.operator.email.toUpperCase());
    expect(res.statusCode).toBe(200);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: true, path: '/' });
    expect(res.json().user).not.toHaveProperty('passwordHash');
    const me = await t.app.inject({ url: '/api/v1/me', headers });
    expect(me.json().user.email).toBe(t.users.operator.email);
    const noCsrf = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers, payload: refundBody() });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe('CSRF_TOKEN_INVALID');
    const withCsrf = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: { ...headers, 'x-csrf-token': csrf }, payload: refundBody() });
    expect(withCsrf.statusCode).toBe(201);
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { ...headers, 'x-csrf-token': csrf } });
    expect(out.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/me', headers })).statusCode).toBe(401);
  });

  it('throttles repeated failed logins', async () => {
    let last = 0;
    for (let i = 0; i < 11; i++) last = (await login('approver@test.example', 'wrong password here')).res.statusCode;
    expect(last).toBe(429);
  });

  it('lets admins create users and nobody else', async () => {
    const body = { email: 'new.person@test.example', name: 'New Person', password: 'a long enough password', roles: ['operator'], teams: ['refunds'] };
    const denied = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(t.users.operator), payload: body });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('PERMISSION_DENIED');
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(t.users.admin), payload: body });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ email: 'new.person@test.example', roles: ['operator'], disabled: false });
    expect(created.body).not.toContain('password');
    const dup = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(t.users.admin), payload: body });
    expect(dup.json().error.code).toBe('ALREADY_EXISTS');
    const weak = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(t.users.admin), payload: { ...body, email: 'x@test.example', password: 'short' } });
    expect(weak.json().error.code).toBe('VALIDATION_FAILED');
    const badRole = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(t.users.admin), payload: { ...body, email: 'y@test.example', roles: ['superuser'] } });
    expect(badRole.json().error.code).toBe('VALIDATION_FAILED');
    const disable = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${created.json().id}`, headers: bearer(t.users.admin), payload: { disabled: true } });
    expect(disable.json().disabled).toBe(true);
    expect((await login('new.person@test.example', 'a long enough password')).res.statusCode).toBe(401);
  });

  it('shows a token once, stores only its hash, narrows it by scope and revokes it', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(t.users.operator), payload: { name: 'read only', scopes: ['case:read'] } });
    expect(created.statusCode).toBe(201);
    const { token, id } = created.json();
    expect(token).toMatch(/^latch_[0-9a-f]{32}_/);
    const listed = await t.app.inject({ url: '/api/v1/tokens', headers: bearer(t.users.operator) });
    expect(listed.body).not.toContain(token.slice('latch_'.length + 33));
    const readOnly = { authorization: `Bearer ${token}` };
    expect((await t.app.inject({ url: '/api/v1/cases', headers: readOnly })).statusCode).toBe(200);
    const write = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: readOnly, payload: refundBody() });
    expect(write.statusCode).toBe(403);
    const escalate = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: readOnly, payload: { name: 'x', scopes: ['*'] } });
    expect(escalate.statusCode).toBe(403);
    const revoke = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: bearer(t.users.operator) });
    expect(revoke.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/cases', headers: readOnly })).statusCode).toBe(401);
    const othersToken = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: bearer(t.users.approver) });
    expect(othersToken.statusCode).toBe(404);
  });

  it('serves health, readiness and an OpenAPI document describing every route', async () => {
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'ready' });
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const route of t.app.routeTable) {
      // The document itself, the web console's pages and the public intake forms (HTML pages a
      // browser posts, documented in docs/intake.md), none of them API routes; and SCIM, a protocol
      // of its own (RFC 7644) that describes itself at /scim/v2/Schemas and /scim/v2/ResourceTypes.
      if (route.url === '/api/v1/openapi.json' || route.url === '/' || route.url === '/*' || route.url === '/forms/:slug' || route.url.startsWith('/scim/v2/')) continue;
      // Fastify writes a literal colon as '::' (actions::simulate); OpenAPI has it as one.
      const path = route.url.replace(/::/g, '~').replace(/:(\w+)/g, '{$1}').replace(/~/g, ':');
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.url}`).toBeDefined();
    }
  });
});
