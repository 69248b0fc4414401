import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { fileURLToPath } from 'node:url';
import { freshPostgresDatabase, TEST_CONFIG_DIR, TEST_LOG_KEY } from './harness.js';
import { TEST_NODE_FLAGS } from './node-flags.js';
import { exited, freePort, LATCH_BIN, latchEnv, runLatch } from './process.js';

// Issue 14: several `latch serve` processes on one PostgreSQL behave as one. Three start at once on
// an empty database (one migrates, the others wait), then share sessions and timers.

/** The migrations this build ships (read when asked: the CLI reads the same folder). */
const shippedMigrations = () => readMigrationFiles({ migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)) }).length;
const ADMIN = { email: 'admin@scale.test', password: 'scale-out admin password 1' };

/** A case type whose first escalation rule fires a second after a case opens (as in the SLA tests). */
const DRILL = `
key: sla_drill
version: 1
name: SLA drill
defaultQueue: refunds
defaultPriority: normal
resolveWithin: P1D
fields: { type: object }
statuses:
  - { key: new, name: New }
  - { key: resolved, name: Resolved, final: true }
initialStatus: new
transitions:
  - { from: new, to: [resolved] }
escalations:
  - when: { after: PT1S }
    do: [ { raisePriority: high } ]
`;

interface Server {
  readonly child: ChildProcess;
  readonly base: string;
  readonly stderr: () => string;
}

/** Spawns `latch serve --migrate` without waiting for it (so several start at once). */
async function spawnServe(env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [...TEST_NODE_FLAGS, LATCH_BIN, 'serve', '--migrate'], { env: { ...env, LATCH_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.resume();
  return { child, base: `http://127.0.0.1:${port}`, stderr: () => stderr };
}

async function ready(server: Server): Promise<void> {
  // Generous: three processes load, migrate and start on a machine other tests are loading too.
  for (const deadline = Date.now() + 240_000; Date.now() < deadline; ) {
    if (server.child.exitCode !== null) throw new Error(`latch serve exited ${server.child.exitCode}: ${server.stderr()}`);
    try {
      if ((await fetch(`${server.base}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`latch serve never became ready: ${server.stderr()}`);
}

async function eventually<T>(read: () => Promise<T | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await read();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('three `latch serve` processes on one PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let env: NodeJS.ProcessEnv;
  let servers: Server[] = [];
  const configDir = mkdtempSync(join(tmpdir(), 'latch-scale-config-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-scale-data-'));

  beforeAll(async () => {
    // The shipped teams and the drill alone (as the SLA tests); the shipped roles apply (no roles.yaml).
    mkdirSync(join(configDir, 'case-types'));
    cpSync(join(TEST_CONFIG_DIR, 'teams.yaml'), join(configDir, 'teams.yaml'));
    writeFileSync(join(configDir, 'case-types', 'sla_drill.v1.yaml'), DRILL);
    db = await freshPostgresDatabase();
    env = latchEnv(dataDir, {
      LATCH_DATABASE_URL: db.url,
      LATCH_CONFIG_DIR: configDir,
      LATCH_LOG_KEY: TEST_LOG_KEY,
      LATCH_COOKIE_SECURE: 'false',
      LATCH_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      LATCH_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    });
    servers = await Promise.all([0, 1, 2].map(() => spawnServe(env)));
  }, 120_000);
  afterAll(async () => {
    for (const server of servers) server.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => exited(s.child)));
    await db?.drop();
    rmSync(configDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('all three become ready on an empty database; one of them applied the migrations, once each', async () => {
    await Promise.all(servers.map(ready));
    const migrators = servers.filter((s) => /migrations: applied \d+/.test(s.stderr()));
    expect(migrators, servers.map((s) => s.stderr()).join('\n---\n')).toHaveLength(1);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number; distinct: number }>('select count(*)::int as n, count(distinct hash)::int as distinct from drizzle.__drizzle_migrations');
      expect(rows[0]).toEqual({ n: shippedMigrations(), distinct: shippedMigrations() });
      const admins = await client.query<{ n: number }>('select count(*)::int as n from users where email = $1', [ADMIN.email]);
      expect(admins.rows[0]!.n).toBe(1);
    } finally {
      await client.end();
    }
  }, 300_000);

  it('a session made on one process works on the others, and logging out on one ends it on all', async () => {
    const [a, b, c] = servers as [Server, Server, Server];
    const login = await fetch(`${a.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    for (const server of [b, c]) expect((await fetch(`${server.base}/api/v1/me`, { headers: { cookie } })).status).toBe(200);
    const out = await fetch(`${b.base}/api/v1/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(out.status).toBe(204);
    for (const server of [a, c]) expect((await fetch(`${server.base}/api/v1/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('an SLA timer scheduled through one process fires once, whichever process runs it', async () => {
    const [a, b, c] = servers as [Server, Server, Server];
    const login = await fetch(`${a.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
    const created = await fetch(`${b.base}/api/v1/cases`, { method: 'POST', headers, body: JSON.stringify({ type: 'sla_drill', title: 'Drill across processes' }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const escalations = async () => {
      const res = await fetch(`${c.base}/api/v1/cases/${id}/timeline`, { headers: { cookie } });
      return ((await res.json()) as { items: { kind: string }[] }).items.filter((e) => e.kind === 'case.escalated');
    };
    await eventually(async () => (await escalations()).length > 0, 'the after-PT1S rule');
    // Three workers poll the same queue: give the other two time to (wrongly) fire it again.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await escalations()).toHaveLength(1);
  }, 60_000);
});

describe('a database written by a newer Latch', () => {
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-newer-'));
  beforeAll(async () => {
    db = await freshPostgresDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('`latch serve` refuses it with one line and a stable code, and changes nothing', async () => {
    const env = latchEnv(dataDir, { LATCH_DATABASE_URL: db.url, LATCH_LOG_KEY: TEST_LOG_KEY });
    expect(runLatch(env, ['migrate']).status).toBe(0);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const count = async () => (await client.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations')).rows[0]!.n;
    try {
      await client.query(`insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-a-newer-latch', 99999999999999)`);
      const recorded = await count();
      for (const args of [['serve'], ['serve', '--migrate'], ['migrate']]) {
        const run = runLatch(env, args);
        expect(run.status, args.join(' ')).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(/^latch: SCHEMA_NEWER_THAN_LATCH: The database has migration #\d+ \(created 99999999999999\) that this version of Latch does not know\. .*\n$/);
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
      }
      const json = runLatch(env, ['serve', '--json']);
      expect(json.status).toBe(1);
      expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'SCHEMA_NEWER_THAN_LATCH', message: expect.stringMatching(/^The database has migration/) } });
      expect(await count()).toBe(recorded);
    } finally {
      await client.end();
    }
  }, 300_000);
});
