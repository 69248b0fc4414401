import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../src/demo/seed.js';
import { exited } from './process.js';

// Issue 14, air-gapped install: `npm run kit`'s tarball is unpacked, installed and started inside a
// network namespace with no route anywhere (only `lo`), so nothing can reach a registry or the web.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PORT = 3917;

/** `ip` is iproute2's; without it the test fails (it never skips): .ci/run installs the package. */
function requireIp(): void {
  const probe = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error('the air-gap test needs the `ip` command (Debian package iproute2) to make a network namespace');
  if (process.getuid?.() !== 0) throw new Error('the air-gap test makes a network namespace: it runs as root (as here and in CI)');
}

describe('the air-gapped install kit', () => {
  const work = mkdtempSync(join(tmpdir(), 'latch-airgap-'));
  const ns = `latch-airgap-${randomBytes(4).toString('hex')}`;
  let nsMade = false;
  let kitDir = '';
  let installed = '';
  let server: ChildProcess | undefined;
  let serverOutput = '';

  /** Runs a command inside the namespace. */
  const inNs = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
    spawnSync('ip', ['netns', 'exec', ns, command, ...args], { encoding: 'utf8', env, timeout: 180_000 });
  /** GETs a URL from inside the namespace with the kit's own Node.js: "<status> <body>". */
  const getInNs = (url: string) => {
    const script = `fetch(${JSON.stringify(url)}).then(async (r) => console.log(r.status + ' ' + (await r.text())), (e) => console.log('000 ' + (e.cause?.code ?? e.message)))`;
    const result = inNs(join(kitDir, 'node/bin/node'), ['-e', script]);
    const line = result.stdout.trimEnd();
    return { status: Number(line.slice(0, 3)), body: line.slice(4) };
  };

  beforeAll(async () => {
    requireIp();
    const out = join(work, 'out');
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts/build-kit.mjs'), '--out', out], { cwd: ROOT, timeout: 1_200_000, maxBuffer: 16 << 20 });
    const tarball = stdout.trim().split('\n').pop()!;
    expect(tarball).toMatch(/latch-\d+\.\d+\.\d+-linux-x64\.tar\.gz$/);
    await run('tar', ['-C', work, '-xzf', tarball], { timeout: 300_000 });
    kitDir = join(work, readdirSync(work).find((entry) => entry.startsWith('latch-'))!);

    await run('ip', ['netns', 'add', ns]);
    nsMade = true;
    await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  }, 1_500_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      const stopped = await Promise.race([exited(server), new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
      if (stopped === 'timeout') server.kill('SIGKILL');
    }
    if (nsMade) spawnSync('ip', ['netns', 'del', ns]);
    // Two copies of the kit (unpacked and installed): tens of thousands of files to remove.
    rmSync(work, { recursive: true, force: true });
  }, 300_000);

  it('holds production modules only, its own Node.js, the scripts, and checksums of every file', () => {
    const modules = readdirSync(join(kitDir, 'node_modules'));
    for (const dev of ['vitest', 'typescript', 'eslint', 'drizzle-kit', 'vite', 'playwright-core']) expect(modules, dev).not.toContain(dev);
    for (const runtime of ['fastify', 'pg', 'pg-boss', 'drizzle-orm', '@electric-sql']) expect(modules, runtime).toContain(runtime);
    const version = spawnSync(join(kitDir, 'node/bin/node'), ['--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toBe(process.version);
    // The native addon `latch verify` uses, built at install for the Node.js the kit carries.
    const addon = 'packages/core/native/build/Release/latch_native.node';
    for (const file of ['bin/latch', 'install.sh', 'deploy/latch.service', 'deploy/Containerfile', 'config/roles.yaml', 'packages/web/dist/index.html', 'packages/server/drizzle/meta/_journal.json', addon]) {
      expect(existsSync(join(kitDir, file)), file).toBe(true);
    }
    const sums = readFileSync(join(kitDir, 'SHA256SUMS'), 'utf8');
    expect(sums).toMatch(/^[0-9a-f]{64} {2}\.\/bin\/latch$/m);
    expect(sums).toMatch(/^[0-9a-f]{64} {2}\.\/node\/bin\/node$/m);
  });

  it('the namespace has no route out: nothing beyond lo is reachable', () => {
    expect(inNs('ip', ['-4', 'route', 'show']).stdout.trim()).toBe('');
    const probe = inNs(join(kitDir, 'node/bin/node'), ['-e', "require('net').connect(443, '192.0.2.1').on('error', (e) => console.log(e.code)).on('connect', () => console.log('connected'))"]);
    expect(probe.stdout.trim()).toBe('ENETUNREACH');
  });

  it('installs offline (checksums checked), migrates and serves the API and the console inside the namespace', async () => {
    const root = join(work, 'root');
    const install = inNs(join(kitDir, 'install.sh'), [], { ...process.env, LATCH_INSTALL_ROOT: root });
    expect(install.status, install.stderr + install.stdout).toBe(0);
    expect(install.stdout).toMatch(/checking latch-.* against SHA256SUMS/);
    installed = join(root, 'opt/latch/current');
    expect(readFileSync(join(root, 'etc/systemd/system/latch.service'), 'utf8')).toMatch(/^ExecStart=\/opt\/latch\/current\/bin\/latch serve$/m);

    // The installed latch.env is read for what the environment does not set; the paths point into the test's root.
    const env = {
      PATH: '/usr/bin:/bin',
      LATCH_ENV_FILE: join(root, 'etc/latch/latch.env'),
      LATCH_CONFIG_DIR: join(root, 'etc/latch'),
      LATCH_DATA_DIR: join(root, 'var/lib/latch'),
      LATCH_PORT: String(PORT),
      LATCH_LOG: 'off',
    };
    const migrate = inNs(join(installed, 'bin/latch'), ['migrate'], env);
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/^schema: current \(\d+ migrations applied\)$/m);

    server = spawn('ip', ['netns', 'exec', ns, join(installed, 'bin/latch'), 'serve', '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    let ready = { status: 0, body: '' };
    for (let i = 0; i < 300 && ready.status !== 200; i++) {
      if (server.exitCode !== null) throw new Error(`latch serve exited ${server.exitCode}: ${serverOutput}`);
      ready = getInNs(`http://127.0.0.1:${PORT}/readyz`);
      if (ready.status !== 200) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(ready.status, serverOutput).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready', checks: { database: { status: 'ok', kind: 'pglite' }, migrations: { status: 'ok' } } });

    const page = getInNs(`http://127.0.0.1:${PORT}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Latch</title>');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script, page.body).toBeDefined();
    expect(getInNs(`http://127.0.0.1:${PORT}${script}`).status).toBe(200);
    // The demo workspace answers a login: the database behind the page is the kit's own.
    const admin = DEMO_USERS[0];
    writeFileSync(join(work, 'login.mjs'), `const r = await fetch('http://127.0.0.1:${PORT}/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: process.argv[2] }); console.log(r.status);`);
    const login = inNs(join(kitDir, 'node/bin/node'), [join(work, 'login.mjs'), JSON.stringify({ email: admin.email, password: admin.password })]);
    expect(login.stdout.trim(), login.stderr).toBe('200');
  }, 600_000);
});
