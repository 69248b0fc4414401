import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseHttpSettings } from '../src/config.js';
import { executeRequest, type RequestOptions } from '../src/request.js';
import type { ResolveAll } from '../src/ssrf.js';
import { startLocalServer, type LocalServer } from './local-server.js';

// Every request here goes to 127.0.0.1 or ::1, or is refused before any connection is made.
const SECRET = 'Bearer sk-live-super-secret';
let v4: LocalServer;
let v6: LocalServer;
beforeAll(async () => {
  v4 = await startLocalServer('127.0.0.1');
  v6 = await startLocalServer('::1');
});
afterAll(async () => {
  await v4.close();
  await v6.close();
});
beforeEach(() => {
  v4.seen.length = 0;
  v6.seen.length = 0;
});

const run = (baseUrl: string, input: unknown, allowPrivateNetworks = false, options: RequestOptions = {}) =>
  executeRequest(parseHttpSettings({ baseUrl, allowPrivateNetworks }, { authHeader: SECRET }), input, options);
const GET_ECHO = { method: 'GET', path: '/echo' };

describe('SSRF guard', () => {
  it('refuses 127.0.0.1 by default, before connecting', async () => {
    const result = await run(`http://127.0.0.1:${v4.port}`, GET_ECHO);
    expect(result).toMatchObject({ status: 'failed', retryable: false, summary: expect.stringContaining('127.0.0.1 (loopback)') });
    expect(v4.seen).toHaveLength(0);
  });

  it('reaches 127.0.0.1 with allowPrivateNetworks, sending the auth header but never recording it', async () => {
    const result = await run(`http://127.0.0.1:${v4.port}`, { method: 'POST', path: '/echo?x=1', body: { a: 1 }, headers: { 'X-Request-Id': 'r-1' } }, true, {
      idempotencyKey: 'latch-abc-1',
    });
    expect(result).toMatchObject({ status: 'succeeded', summary: 'POST /echo?x=1 answered 200', output: { status: 200, truncated: false } });
    expect(JSON.parse(result.status === 'succeeded' ? result.output.body : '')).toEqual({ method: 'POST', url: '/echo?x=1', body: '{"a":1}' });
    expect(v4.seen[0]?.headers).toMatchObject({
      authorization: SECRET,
      'idempotency-key': 'latch-abc-1',
      'x-request-id': 'r-1',
      'content-type': 'application/json',
      host: `127.0.0.1:${v4.port}`,
    });
    expect(result.external.request).toEqual({
      method: 'POST',
      url: `http://127.0.0.1:${v4.port}/echo?x=1`,
      headers: { 'user-agent': 'latch-plugin-http/0.1', 'x-request-id': 'r-1', 'content-type': 'application/json', 'idempotency-key': 'latch-abc-1' },
      body: '{"a":1}',
    });
    expect(result.external.response?.headers).toEqual({ 'content-type': 'application/json', 'x-request-id': 'srv-1' });
    expect(JSON.stringify(result)).not.toMatch(/super-secret|should-not-be-kept/);
  });

  it('refuses IPv6 loopback by default and reaches it when allowed', async () => {
    expect(await run(`http://[::1]:${v6.port}`, GET_ECHO)).toMatchObject({ status: 'failed', retryable: false, summary: expect.stringContaining('::1 (loopback)') });
    expect(v6.seen).toHaveLength(0);
    expect(await run(`http://[::1]:${v6.port}`, GET_ECHO, true)).toMatchObject({ status: 'succeeded', output: { status: 200 } });
    expect(v6.seen).toHaveLength(1);
  });

  it('refuses a hostname that resolves to loopback (localhost)', async () => {
    expect(await run(`http://localhost:${v4.port}`, GET_ECHO)).toMatchObject({ status: 'failed', retryable: false, summary: expect.stringContaining('localhost resolves to') });
    expect(v4.seen).toHaveLength(0);
    const allowed = await run(`http://localhost:${v4.port}`, GET_ECHO, true);
    expect(allowed).toMatchObject({ status: 'succeeded' });
    expect(v4.seen[0]?.headers.host).toBe(`localhost:${v4.port}`);
  });

  it.each([
    'http://169.254.169.254',
    'http://169.254.169.254:80',
    'http://[::ffff:169.254.169.254]',
    'http://[fe80::1]',
    'http://2852039166', // 169.254.169.254 as one decimal number, which URL parsing normalises
    'http://0x7f.1', // 127.0.0.1 in hex shorthand
    'http://0.0.0.0',
    'http://[::]',
    'http://10.0.0.1',
    'http://192.168.0.1',
  ])('refuses %s without connecting', async (baseUrl) => {
    const result = await run(baseUrl, GET_ECHO);
    expect(result).toMatchObject({ status: 'failed', retryable: false, summary: expect.stringMatching(/^Refused: /) });
    expect(result.external.response).toBeUndefined();
  });

  it('refuses a name with any forbidden address among its answers', async () => {
    const resolveAll: ResolveAll = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    const result = await run('https://api.example.test', GET_ECHO, false, { resolveAll });
    expect(result).toMatchObject({ status: 'failed', retryable: false, summary: expect.stringContaining('10.0.0.7 (private)') });
  });

  it('connects to the address it checked, even if DNS answers differently later (rebinding)', async () => {
    let calls = 0;
    const resolveAll: ResolveAll = async () => {
      calls += 1;
      // A second lookup would fail; the pinned connection never asks (nor the system resolver, which knows no rebind.test).
      if (calls > 1) throw new Error('resolved twice');
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const result = await run(`http://rebind.test:${v4.port}`, GET_ECHO, true, { resolveAll });
    expect(result).toMatchObject({ status: 'succeeded', output: { status: 200 } });
    expect(calls).toBe(1);
    expect(v4.seen[0]?.headers.host).toBe(`rebind.test:${v4.port}`);
  });

  it('does not follow redirects', async () => {
    const toMetadata = await run(`http://127.0.0.1:${v4.port}`, { method: 'GET', path: '/redirect-metadata' }, true);
    expect(toMetadata).toMatchObject({ status: 'failed', retryable: false, summary: expect.stringContaining('redirect to http://169.254.169.254/latest/meta-data/') });
    const local = await run(`http://127.0.0.1:${v4.port}`, { method: 'GET', path: '/redirect-local' }, true);
    expect(local).toMatchObject({ status: 'failed', retryable: false });
    expect(v4.seen.map((s) => s.url)).toEqual(['/redirect-metadata', '/redirect-local']);
  });
});

describe('input checks in the pipeline', () => {
  it.each([
    [{ method: 'GET', path: '/../secret' }, '".."'],
    [{ method: 'GET', path: '/a/%2e%2e/secret' }, '".."'],
    [{ method: 'GET', path: 'http://169.254.169.254/' }, 'starting with'],
    [{ method: 'GET', path: '/echo', headers: { Authorization: 'Bearer mine' } }, 'not allowed'],
    [{ method: 'GET', path: '/echo', headers: { Host: 'evil.example' } }, 'not allowed'],
  ])('refuses %j without sending anything', async (input, message) => {
    const result = await run(`http://127.0.0.1:${v4.port}`, input, true);
    expect(result).toMatchObject({ status: 'failed', retryable: false, summary: expect.stringContaining(message), external: {} });
    expect(v4.seen).toHaveLength(0);
  });
});

describe('outcomes', () => {
  const base = () => `http://127.0.0.1:${v4.port}`;

  it.each([
    [400, false],
    [404, false],
    [409, false],
    [408, true],
    [429, true],
    [500, true],
    [503, true],
  ])('HTTP %i → retryable %s', async (status, retryable) => {
    const result = await run(base(), { method: 'DELETE', path: `/status/${status}` }, true);
    expect(result).toMatchObject({ status: 'failed', retryable, summary: `DELETE /status/${status} answered ${status}` });
    expect(result.external.response).toMatchObject({ status, body: `status ${status}`, headers: { 'retry-after': '5' } });
  });

  it('truncates a large body at 64 KiB', async () => {
    const result = await run(base(), { method: 'GET', path: '/big' }, true);
    expect(result).toMatchObject({ status: 'succeeded', output: { truncated: true } });
    expect(Buffer.byteLength(result.status === 'succeeded' ? result.output.body : '')).toBe(64 * 1024);
  });

  it('is retryable on timeout and on a refused connection', async () => {
    const timedOut = await run(base(), { method: 'GET', path: '/hang' }, true, { timeoutMs: 300 });
    expect(timedOut).toMatchObject({ status: 'failed', retryable: true, summary: 'GET /hang timed out after 300 ms' });
    const closed = await startLocalServer('127.0.0.1');
    await closed.close();
    const refused = await run(`http://127.0.0.1:${closed.port}`, GET_ECHO, true);
    expect(refused).toMatchObject({ status: 'failed', retryable: true, summary: expect.stringContaining('ECONNREFUSED') });
  });
});
