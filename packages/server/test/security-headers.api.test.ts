import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, PASSWORD, refundBody, startTestLatch, type TestLatch } from './harness.js';

const everywhere = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

describe('security headers on every response (PGlite)', () => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch('pglite');
  });
  afterAll(async () => t?.close());

  it('sends nosniff, no-referrer and never-framed on API, health, error and 404 responses', async () => {
    const responses = [
      await t.app.inject({ url: '/healthz' }),
      await t.app.inject({ url: '/api/v1/cases' }), // 401
      await t.app.inject({ url: '/api/v1/nope' }), // 404
      await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: { ...bearer(t.users.operator), 'content-type': 'application/json' }, payload: '{' }), // 400
      await t.app.inject({ url: '/api/v1/cases', headers: bearer(t.users.operator) }),
    ];
    for (const res of responses) {
      expect(res.headers, res.body).toMatchObject(everywhere);
      expect(res.headers['content-security-policy']).toBe("frame-ancestors 'none'");
      expect(res.headers['strict-transport-security']).toBeUndefined(); // TLS is not declared
    }
  });

  it('marks every API response no-store, the login and a new token’s secret above all', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: t.users.operator.email, password: PASSWORD } });
    expect(login.statusCode).toBe(200);
    expect(login.headers['cache-control']).toBe('no-store');
    const token = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(t.users.operator), payload: { name: 'n', scopes: ['case:read'] } });
    expect(token.statusCode).toBe(201);
    expect(token.headers['cache-control']).toBe('no-store');
    expect((await t.app.inject({ url: '/api/v1/cases', headers: bearer(t.users.operator) })).headers['cache-control']).toBe('no-store');
    expect((await t.app.inject({ url: '/api/v1/cases' })).headers['cache-control']).toBe('no-store');
  });

  it('keeps a route’s own Content-Security-Policy and adds frame-ancestors to it', async () => {
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id;
    const up = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/attachments?filename=a.html`, headers: { ...bearer(t.users.operator), 'content-type': 'text/html' }, payload: '<b>x</b>' });
    const down = await t.app.inject({ url: `/api/v1/cases/${caseId}/attachments/${up.json().id}`, headers: bearer(t.users.operator) });
    expect(down.statusCode).toBe(200);
    expect(down.headers['content-security-policy']).toBe("default-src 'none'; sandbox; frame-ancestors 'none'");
    expect(down.headers).toMatchObject({ ...everywhere, 'cache-control': 'no-store' });
  });
});

describe('Strict-Transport-Security when TLS is declared (PGlite)', () => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch('pglite', { LATCH_PUBLIC_URL: 'https://latch.example.com' });
  });
  afterAll(async () => t?.close());

  it('is sent on every response', async () => {
    for (const url of ['/healthz', '/api/v1/cases', '/nope']) {
      expect((await t.app.inject({ url })).headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    }
  });
});
