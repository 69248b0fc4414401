import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runConformance } from '@latch/protocol';
import { RpcErrorCode, testPlugin, validateSchema, type JsonSchema } from '@latch/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRequestInput } from '../src/config.js';
import { createHttpPlugin, manifest } from '../src/plugin.js';
import { startLocalServer, type LocalServer } from './local-server.js';

const AUTH = 'Bearer sdk-very-secret';
const PLUGIN_DIR = fileURLToPath(new URL('..', import.meta.url));
let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer('127.0.0.1');
});
afterAll(async () => server.close());

const host = (allowPrivateNetworks: boolean) =>
  testPlugin(createHttpPlugin(), { config: { baseUrl: `http://127.0.0.1:${server.port}`, allowPrivateNetworks }, secrets: { authHeader: AUTH } });

describe('http plugin through the SDK', () => {
  it('declares what the host needs', () => {
    expect(manifest).toMatchObject({ id: 'http', command: ['node', 'dist/main.js'], caseTypes: ['*'], caseFields: [] });
    expect(manifest.config.map((c) => [c.name, c.required, c.secret])).toEqual([
      ['baseUrl', true, false],
      ['authHeader', false, true],
      ['allowPrivateNetworks', false, false],
    ]);
    expect(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version).toBe(manifest.version);
  });

  it('refuses loopback by default and calls it when allowed, never logging the auth header', async () => {
    const strict = host(false);
    expect(await strict.execute({ action: 'request', input: { method: 'GET', path: '/echo' } })).toMatchObject({ status: 'failed', retryable: false });
    await strict.close();
    expect(server.seen).toHaveLength(0);

    const open = host(true);
    const result = await open.execute({ action: 'request', input: { method: 'GET', path: '/echo' }, idempotencyKey: 'latch-r1-1' });
    expect(result).toMatchObject({ status: 'succeeded', output: { status: 200 } });
    expect(server.seen[0]?.headers).toMatchObject({ authorization: AUTH, 'idempotency-key': 'latch-r1-1' });
    expect(JSON.stringify(result) + open.logs.join('\n')).not.toContain('very-secret');
    await open.close();
  });

  it('refuses a configuration without a usable baseUrl', async () => {
    const missing = testPlugin(createHttpPlugin(), { config: {}, secrets: {} });
    await expect(missing.initialize()).rejects.toThrow(/baseUrl/);
    await missing.close();
    const wrong = testPlugin(createHttpPlugin(), { config: { baseUrl: 'file:///etc/passwd' }, secrets: {} });
    await expect(wrong.initialize()).rejects.toThrow(/baseUrl must be an http\(s\) URL/);
    await wrong.close();
  });

  it('has an inputSchema that refuses the paths and headers the code refuses', async () => {
    const schema = manifest.actions[0]!.inputSchema as JsonSchema;
    const paths = ['/', '/a/b?c=../d&e=%2F', '/report..v2', '/..', '/a/../b', '/a/%2e%2E/b', '/a/.%2e', '/./a', '/a/..%2fb', '/a%2F..', '//evil', 'x', '/a b', '/a\\b', '/a#b', '/a\u0000'];
    const inputs = [
      ...paths.map((path) => ({ method: 'GET', path })),
      { method: 'GET', path: '/', headers: { 'x-request-id': 'a' } },
      { method: 'GET', path: '/', headers: { authorization: 'a' } },
      { method: 'GET', path: '/', headers: { accept: 'a\r\nb' } },
      { method: 'TRACE', path: '/' },
      { method: 'POST', path: '/', body: { any: ['json'] } },
    ];
    for (const input of inputs) {
      const codeAccepts = (() => {
        try {
          return Boolean(parseRequestInput(input));
        } catch {
          return false;
        }
      })();
      expect([input, validateSchema(schema, input).length === 0]).toEqual([input, codeAccepts]);
    }
    const h = host(true);
    await expect(h.execute({ action: 'request', input: { method: 'GET', path: '/../x' } })).rejects.toMatchObject({ code: RpcErrorCode.INVALID_INPUT });
    await h.close();
  });

  it('passes the protocol conformance suite as a process (node dist/main.js) against a loopback server', async () => {
    const report = await runConformance(['node', 'dist/main.js'], PLUGIN_DIR, {
      action: 'request',
      input: { method: 'GET', path: '/echo' },
      config: { baseUrl: `http://127.0.0.1:${server.port}`, allowPrivateNetworks: true },
      secrets: { authHeader: AUTH },
    });
    expect(report.failed).toEqual([]);
  });
});
