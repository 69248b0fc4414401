import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type LatchApp } from '../src/http/app.js';
import { DB_KINDS, startTestLatch, type TestLatch } from './harness.js';

// What a failed query must never leave in the server log: its parameters, here an argon2id hash and
// an email (PostgreSQL also quotes the bad value in its own message).
const SECRET_HASH = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';
const SECRET_EMAIL = 'erase.me@customer.example';

describe.each(DB_KINDS)('the server log keeps no query parameters on %s', (kind) => {
  let t: TestLatch;
  let app: LatchApp;
  const lines: string[] = [];
  beforeAll(async () => {
    t = await startTestLatch(kind);
    app = await buildApp(t.ctx, { logger: true, logStream: { write: (line) => void lines.push(line) } });
    // A route whose query fails, as a bug would: the real error handler and logger take it from there.
    app.post('/api/v1/test/failing-query', { config: { public: true } }, async () => {
      await t.ctx.database.db.execute(sql`select ${SECRET_HASH}::int as n, ${SECRET_EMAIL}::text as e`);
      return {};
    });
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  it('logs a failed query by class, SQLSTATE, statement and request id, never its parameters', async () => {
    lines.length = 0;
    const res = await app.inject({ method: 'POST', url: '/api/v1/test/failing-query?email=erase.me%40customer.example', payload: {} });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: 'Internal error; it has been logged' } });
    const log = lines.join('');
    expect(log).not.toContain(SECRET_HASH);
    expect(log).not.toContain('c2FsdHNhbHQ');
    expect(log).not.toContain(SECRET_EMAIL);
    expect(log).not.toContain('erase.me');
    const failure = lines.map((l) => JSON.parse(l)).find((entry) => entry.msg === 'request failed');
    expect(failure).toMatchObject({ level: 50, reqId: expect.any(String), error: { type: 'DrizzleQueryError', code: '22P02', query: expect.stringContaining('::int') } });
    expect(failure.error.query).toMatch(/\$1::int/);
    expect(failure.error.stack).toMatch(/^\s+at /);
  });

  it('logs request lines without their query string', async () => {
    lines.length = 0;
    await app.inject({ method: 'GET', url: `/api/v1/cases?q=${encodeURIComponent(SECRET_EMAIL)}` });
    const log = lines.join('');
    expect(log).toContain('/api/v1/cases');
    expect(log).not.toContain('erase.me');
  });
});
