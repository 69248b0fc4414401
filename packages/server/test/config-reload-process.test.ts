import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newestRefund, publishStricterRefund } from './config-support.js';
import { refundBody, TEST_CONFIG_DIR } from './harness.js';
import { TEST_NODE_FLAGS } from './node-flags.js';
import { exited, freePort, LATCH_BIN, latchEnv } from './process.js';

const ADMIN = { email: 'admin@reload.example', password: 'correct horse battery staple' };

/** `latch serve` as a person runs it, with its request log kept (the reload's outcome is said there). */
async function serve(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...TEST_NODE_FLAGS, LATCH_BIN, 'serve'], { env: { ...env, LATCH_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`latch serve exited ${child.exitCode}: ${output}`);
    if ((await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200) return { child, base, output: () => output };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`latch serve never became ready: ${output}`);
}

async function adminToken(base: string): Promise<string> {
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  const cookie = /latch_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const created = await fetch(`${base}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `latch_session=${cookie}`, 'x-csrf-token': csrfToken },
    body: JSON.stringify({ name: 'reload test', scopes: ['*'] }),
  });
  return ((await created.json()) as { token: string }).token;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('reloading a running latch serve', () => {
  it('reloads on SIGHUP and on the admin call, several times under a stream of requests, with no failed request; a broken file keeps the running configuration', async () => {
    const config = mkdtempSync(join(tmpdir(), 'latch-reload-config-'));
    const data = mkdtempSync(join(tmpdir(), 'latch-reload-data-'));
    dirs.push(config, data);
    cpSync(TEST_CONFIG_DIR, config, { recursive: true });
    const server = await serve(latchEnv(data, { LATCH_CONFIG_DIR: config, LATCH_LOG: 'on', LATCH_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, LATCH_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password }));
    try {
      const headers = { authorization: `Bearer ${await adminToken(server.base)}`, 'content-type': 'application/json' };
      const api = (path: string, init: RequestInit = {}) => fetch(`${server.base}${path}`, { ...init, headers });
      const refundVersions = async () => ((await (await api('/api/v1/config')).json()) as { snapshot: { caseTypes: { key: string; version: number }[] } }).snapshot.caseTypes.filter((t) => t.key === 'refund').map((t) => t.version);
      const untilRunning = async (version: number) => {
        for (let i = 0; i < 600 && !(await refundVersions()).includes(version); i++) await new Promise((r) => setTimeout(r, 100));
        expect(await refundVersions()).toContain(version);
      };

      // A stream of requests (reads, case creation) from four clients until the reloads are done.
      const failures: string[] = [];
      const createdVersions: number[] = [];
      let requests = 0;
      let done = false;
      const client = async (n: number) => {
        for (let i = 0; !done; i++) {
          const kind = (n + i) % 4;
          try {
            const res =
              kind === 0
                ? await api('/api/v1/cases', { method: 'POST', body: JSON.stringify(refundBody()) })
                : await api(['/api/v1/case-types', '/api/v1/roles', '/api/v1/config'][kind - 1]!);
            const body = await res.text();
            requests++;
            if (!res.ok) failures.push(`${res.status} ${body.slice(0, 200)}`);
            else if (kind === 0) createdVersions.push((JSON.parse(body) as { typeVersion: number }).typeVersion);
          } catch (error) {
            failures.push(String(error));
          }
        }
      };
      const load = [0, 1, 2, 3].map(client);

      while (requests < 8) await new Promise((r) => setTimeout(r, 50));
      const requestsBefore = requests;
      const first = newestRefund(config).version;
      const published: number[] = [];
      for (const via of ['SIGHUP', 'api', 'SIGHUP', 'api'] as const) {
        const { version } = publishStricterRefund(config);
        published.push(version);
        if (via === 'SIGHUP') server.child.kill('SIGHUP');
        else expect((await api('/api/v1/config:reload', { method: 'POST', body: '{}' })).status).toBe(200);
        await untilRunning(version);
      }

      const duringReloads = requests - requestsBefore;
      // A broken file: the SIGHUP is refused in the log, and the running configuration stays in force.
      const rolesFile = join(config, 'roles.yaml');
      const good = readFileSync(rolesFile, 'utf8');
      writeFileSync(rolesFile, `${good.trimEnd()}\n  broken:\n    description: Broken\n    permissions: [vendor:approve]\n`);
      const before = await refundVersions();
      server.child.kill('SIGHUP');
      for (let i = 0; i < 600 && !server.output().includes('ROLE_UNKNOWN_PERMISSION'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(server.output()).toContain('config: reload refused, the running configuration stays in force');
      expect(server.output()).toMatch(/roles\.yaml:\d+:\d+: error ROLE_UNKNOWN_PERMISSION/);
      expect(await refundVersions()).toEqual(before);
      writeFileSync(rolesFile, good);

      done = true;
      await Promise.all(load);
      expect(failures).toEqual([]);
      // The requests really overlapped the reloads.
      expect(duringReloads).toBeGreaterThan(10);
      // Every case was created under a version that was in force at the time, the last one at the end.
      expect(new Set(createdVersions).size).toBeGreaterThan(0);
      for (const version of createdVersions) expect([first, ...published]).toContain(version);
      const last = (await (await api('/api/v1/cases', { method: 'POST', body: JSON.stringify(refundBody()) })).json()) as { typeVersion: number };
      expect(last.typeVersion).toBe(published.at(-1));
      expect(server.child.exitCode).toBeNull();
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
  }, 400_000);
});
