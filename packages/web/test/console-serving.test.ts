import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../server/src/http/console.js';
import { startTestLatch, type TestLatch } from '../../server/test/harness.js';

/** The console as `latch serve` serves it: static files are a database matter for no one, so PGlite only. */
describe('the web console served by latch serve', () => {
  let t: TestLatch;
  beforeAll(async () => {
    if (!existsSync(`${CONSOLE_DIR}index.html`)) throw new Error(`The console is not built in ${CONSOLE_DIR}: run \`npm run build\` first`);
    t = await startTestLatch('pglite');
  });
  afterAll(() => t?.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

  it('serves index.html at / and at every client route, never cached, with a CSP that allows no inline script', async () => {
    for (const url of ['/', '/approvals', '/cases/0190b1c2-0000-7000-8000-000000000001', '/login?next=%2F']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-store');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.body).toContain('<div id="root"></div>');
    }
  });

  it('ships no inline script: every script in the page is a file from the same origin', async () => {
    const page = (await get('/')).body;
    const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/assets\/[^"]+\.js"/);
      expect(body!.trim()).toBe('');
    }
  });

  it('serves hashed assets with a year-long immutable cache', async () => {
    const page = (await get('/')).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page)![1]!;
    const res = await get(script);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toMatch(/max-age=31536000/);
    expect(res.headers['cache-control']).toMatch(/immutable/);
    const favicon = await get('/favicon.svg');
    expect(favicon.statusCode).toBe(200);
    expect(favicon.headers['content-type']).toMatch(/^image\/svg\+xml/);
  });

  it('answers missing assets and API paths with the API’s JSON 404', async () => {
    for (const url of ['/assets/nope-123.js', '/api', '/api/v1/nothing-here', '/api/v1/cases/x/y/z', '/.env', '/assets/.hidden']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('NOT_FOUND');
    }
  });

  it('never serves a file from outside the build, however the path is spelled', async () => {
    const repoFile = '/../../../package.json';
    for (const url of [repoFile, '/%2e%2e/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2f..%2f..%2fpackage.json', '/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/package.json', '/..%5c..%5cpackage.json']) {
      const res = await get(url);
      expect(res.body, url).not.toContain('"workspaces"');
      expect(res.body, url).not.toContain('"@latch/web"');
      expect([200, 403, 404], url).toContain(res.statusCode);
      if (res.statusCode === 200) expect(res.body, url).toContain('<div id="root"></div>');
    }
  });

  it('leaves the API as it was: authenticated, JSON, not cached', async () => {
    const res = await get('/api/v1/cases');
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
    expect(res.headers['cache-control']).toBe('no-store');
  });
});
