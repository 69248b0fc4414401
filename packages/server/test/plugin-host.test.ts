import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecuteCall } from '../src/execution/plugin-runtime.js';
import { PluginHost } from '../src/plugin-host/plugin-host.js';
import { runLatch } from './process.js';

const ROGUE = fileURLToPath(new URL('./fixtures/rogue-plugin.mjs', import.meta.url));
const SECRET = 'super-secret-token-9f8e7d';
const dirs: string[] = [];
const hosts: PluginHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A plugin directory holding a manifest that runs the rogue fixture in `mode`. */
function rogue(mode: string, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-rogue-'));
  dirs.push(dir);
  const action = (name: string, timeoutMs = 1_000) => ({ name, title: name, inputSchema: { type: 'object' }, outputSchema: { type: 'object' }, timeoutMs });
  writeFileSync(
    join(dir, 'latch-plugin.json'),
    JSON.stringify({
      id: 'rogue',
      name: 'Rogue',
      version: '1.0.0',
      protocolVersion: '1',
      command: ['node', ROGUE, mode],
      caseTypes: ['*'],
      caseFields: ['order_id'],
      config: [{ name: 'token', description: 'a secret', required: true, secret: true }],
      actions: [action('run'), action('crash'), action('hang', 300), action('junk', 300)],
      ...extra,
    }),
  );
  return dir;
}

async function start(dir: string, log: string[] = [], secrets: Record<string, { env: string }> = { token: { env: 'LATCH_TEST_ROGUE_TOKEN' } }) {
  process.env.LATCH_TEST_ROGUE_TOKEN = SECRET;
  const host = await PluginHost.start([{ id: 'rogue', dir, config: {}, secrets }], (level, message) => log.push(`${level} ${message}`));
  hosts.push(host);
  return host;
}

const call = (action: string): ExecuteCall => ({
  requestId: 'r1',
  idempotencyKey: 'k1',
  action,
  input: {},
  case: { id: 'c1', type: 'refund', typeVersion: 1, status: 'new', priority: 'normal', queue: 'refunds', fields: { order_id: '1' } },
  attempt: 1,
});

describe('the plugin host', () => {
  it('runs a plugin with a clean environment and its own secrets, scrubbing them from logs', async () => {
    const log: string[] = [];
    const host = await start(rogue('ok'), log);
    const result = await host.execute('rogue', call('run'));
    expect(result.status).toBe('succeeded');
    const env = (result.output as { env: string[] }).env;
    expect(env).not.toContain('LATCH_TEST_ROGUE_TOKEN');
    expect(env.every((name) => ['PATH', 'HOME', 'LANG', 'TZ', 'LATCH_PLUGIN_PROTOCOL'].includes(name))).toBe(true);
    for (let i = 0; i < 20 && !log.some((l) => l.includes('my token is')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(log.join('\n')).toContain('my token is [redacted]');
    expect(log.join('\n')).not.toContain(SECRET);
    expect(host.secretValues('rogue')).toEqual([SECRET]);
  });

  it('refuses plugins that are not what their manifest says, or speak another protocol', async () => {
    await expect(start(rogue('impostor'))).rejects.toThrow(/differs from latch-plugin\.json/);
    await expect(start(rogue('old-protocol'))).rejects.toThrow(/speaks protocol 0/);
    await expect(start(rogue('ok', { protocolVersion: '2' }))).rejects.toThrow(/latch-plugin\.json/);
  });

  it('refuses secrets the manifest does not declare, and missing ones', async () => {
    await expect(start(rogue('ok'), [], { token: { env: 'LATCH_TEST_ROGUE_TOKEN' }, other: { env: 'HOME' } })).rejects.toThrow(/does not declare: other/);
    delete process.env.LATCH_TEST_ROGUE_NOPE;
    await expect(start(rogue('ok'), [], { token: { env: 'LATCH_TEST_ROGUE_NOPE' } })).rejects.toThrow(/secret 'token' is not set/);
  });

  it('restarts a crashed plugin, and a hung call times out without hanging Latch', async () => {
    const log: string[] = [];
    const host = await start(rogue('ok'), log);
    const first = (await host.execute('rogue', call('run'))).output as { pid: number };
    await expect(host.execute('rogue', call('crash'))).rejects.toThrow();
    await expect(host.execute('rogue', call('run'))).rejects.toThrow(/rogue is (down|starting)|connection closed/);
    let again: { pid: number } | undefined;
    for (let i = 0; i < 40 && !again; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = (await host.execute('rogue', call('run')).catch(() => undefined))?.output as { pid: number } | undefined;
    }
    expect(again?.pid).toBeDefined();
    expect(again!.pid).not.toBe(first.pid);
    expect(log.some((l) => l.includes('exited'))).toBe(true);

    const started = Date.now();
    await expect(host.execute('rogue', call('hang'))).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('restarts a plugin that writes anything but protocol lines to stdout', async () => {
    const log: string[] = [];
    const host = await start(rogue('ok'), log);
    await expect(host.execute('rogue', call('junk'))).rejects.toThrow();
    expect(log.some((l) => l.includes('broke the protocol'))).toBe(true);
  });

  it('says plainly, once, that an unbuilt plugin could not be started (host and `latch plugin test`)', async () => {
    const dir = rogue('ok', { command: ['./echo'] });
    await expect(start(dir)).rejects.toThrow('plugin rogue failed to start: could not start ./echo: no such file');
    const run = runLatch({ ...process.env, LATCH_LOG: 'off' }, ['plugin', 'test', dir, '--secrets', '{"token":"t-1234"}']);
    expect(run.status).toBe(3);
    expect(run.stdout).toContain('FAIL  the plugin process starts: could not start ./echo: no such file');
    expect(run.stdout.match(/FAIL/g)).toHaveLength(1);
    expect(run.stdout).not.toContain('connection closed');
  });
});
