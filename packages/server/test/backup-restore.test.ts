import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBackup } from '../src/backup/write-backup.js';
import { resultRows } from '../src/db/database.js';
import { bearer, DB_KINDS, freshPostgresDatabase, refundBody, startTestLatch, TEST_LOG_KEY, type DbKind, type TestLatch } from './harness.js';
import { TEST_NODE_FLAGS } from './node-flags.js';
import { LATCH_BIN, latchEnv } from './process.js';

/** Runs `latch …` to completion: a restore into a new embedded data directory creates it first (PGlite's initdb), which is slow under load. */
const runLatch = (env: NodeJS.ProcessEnv, args: string[]) => spawnSync(process.execPath, [...TEST_NODE_FLAGS, LATCH_BIN, ...args], { env, encoding: 'utf8', timeout: 240_000 });

const refundInput = { payment_intent: 'pi_1', amount_minor: 75_000, currency: 'usd', reason: 'duplicate' };

/** A restore target of the given kind: an empty data directory, or a new PostgreSQL database. */
async function freshTarget(kind: DbKind, scratch: string) {
  if (kind === 'pglite') {
    const dataDir = join(scratch, `restored-${Math.random().toString(36).slice(2)}`);
    return { env: latchEnv(dataDir), dataDir, url: undefined, drop: async () => undefined };
  }
  const db = await freshPostgresDatabase();
  return { env: latchEnv(join(scratch, 'unused'), { LATCH_DATABASE_URL: db.url }), dataDir: undefined, url: db.url, drop: db.drop };
}

async function postgresTableCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>("select count(*)::int as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')");
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

/** Rewrites one part of a backup (and, with `rehash`, its hash in the manifest, so only its content is wrong). */
function tamper(backup: string, out: string, part: string, change: (text: string) => string, rehash: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'latch-tamper-'));
  execFileSync('tar', ['-xzf', backup, '-C', dir]);
  const changed = change(readFileSync(join(dir, part), 'utf8'));
  writeFileSync(join(dir, part), changed);
  if (rehash) {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const entry = manifest.parts.find((p: { path: string }) => p.path === part);
    entry.sha256 = execFileSync('sha256sum', [join(dir, part)], { encoding: 'utf8' }).split(' ')[0];
    entry.bytes = Buffer.byteLength(changed);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  }
  execFileSync('tar', ['-czf', out, '-C', dir, ...readdirSync(dir)]);
  rmSync(dir, { recursive: true, force: true });
}

/** A CLI refusal: exit 2, one line on stderr with the code, never a stack. */
function expectRefusal(result: ReturnType<typeof runLatch>, code: string) {
  expect(result.status, result.stderr).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^latch: ${code}: `));
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe.each(DB_KINDS)('latch backup / latch restore on %s', (kind) => {
  let t: TestLatch;
  const scratch = mkdtempSync(join(tmpdir(), 'latch-backup-'));
  const backupFile = join(scratch, 'latch.backup');
  let savedCheckpoint: string;
  let savedTrust: string;
  const drops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    t = await startTestLatch(kind);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    for (const drop of drops) await drop().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('backs up while serving, restores elsewhere, and the restored log verifies against a checkpoint saved before the backup', async () => {
    const op = bearer(t.users.operator);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: op, payload: refundBody({ title: `Backed up ${i}` }) });
      expect(created.statusCode).toBe(201);
      ids.push(created.json().id as string);
      expect((await t.app.inject({ method: 'POST', url: `/api/v1/cases/${ids[i]}/notes`, headers: op, payload: { body: `note ${i}` } })).statusCode).toBe(201);
    }
    const attached = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${ids[0]}/attachments?filename=receipt.txt`, headers: { ...op, 'content-type': 'text/plain' }, payload: Buffer.from('receipt bytes') });
    expect(attached.statusCode).toBe(201);
    // An action awaiting approval: its expiry timer is a pg-boss job, which the backup carries too.
    const action = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${ids[1]}/actions`, headers: op, payload: { plugin: 'stripe', action: 'refund', input: refundInput } });
    expect(action.json().status).toBe('awaiting_approval');

    // The auditor's copy, taken before the backup: the newest signed checkpoint and the trust file.
    const admin = bearer(t.users.admin);
    for (let i = 0; i < 100; i++) {
      const pending = resultRows<{ n: number }>(await t.ctx.database.db.execute(sql`select count(*)::int as n from log_pending`))[0]!.n;
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const checkpoint = await t.app.inject({ method: 'GET', url: '/api/v1/log/checkpoint', headers: admin });
    expect(checkpoint.statusCode).toBe(200);
    savedCheckpoint = checkpoint.body;
    savedTrust = (await t.app.inject({ method: 'GET', url: '/api/v1/log/trust', headers: admin })).body;
    writeFileSync(join(scratch, 'checkpoint'), savedCheckpoint);
    writeFileSync(join(scratch, 'trust.txt'), savedTrust);

    // Back up while requests keep writing: the backup holds one snapshot, whatever commits during it.
    const writing = (async () => {
      for (let i = 0; i < 5; i++) expect((await t.app.inject({ method: 'POST', url: `/api/v1/cases/${ids[2]}/notes`, headers: op, payload: { body: `during ${i}` } })).statusCode).toBe(201);
    })();
    const manifest = await writeBackup({ database: t.ctx.database, url: t.databaseUrl, latchVersion: '0.1.0', currentKeys: t.ctx.log.keys!.keys.map((k) => k.verifierKey) }, backupFile);
    await writing;
    expect(manifest.database.kind).toBe(kind);
    const table = (name: string) => manifest.tables.find((x) => x.schema === 'public' && x.name === name)!;
    expect(table('cases').rows).toBeGreaterThanOrEqual(3);
    expect(table('blobs').rows).toBeGreaterThanOrEqual(1);
    expect(manifest.tables.some((x) => x.schema === 'pgboss' && x.name === 'job' && x.rows > 0)).toBe(true);
    // A snapshot: each stream's events are all there up to its head, whatever was being written.
    const heads = table('stream_heads').rows;
    expect(heads).toBeGreaterThan(0);
    // Never a private key.
    expect(readFileSync(backupFile).length).toBeGreaterThan(0);
    const listing = execFileSync('tar', ['-tzf', backupFile], { encoding: 'utf8' });
    expect(listing).toMatch(/^manifest\.json$/m);
    expect(listing).toMatch(/^keys\/trust\.txt$/m);
    const unpacked = execFileSync('tar', ['-xzOf', backupFile], { encoding: 'latin1', maxBuffer: 256 * 1024 * 1024 });
    expect(unpacked).not.toContain('PRIVATE+KEY');
    // The key's secret: the base64 after PRIVATE+KEY+<name>+<hash>+, which may itself hold a '+'.
    const secret = TEST_LOG_KEY.split('+').slice(4).join('+');
    expect(secret).toHaveLength(44);
    expect(unpacked).not.toContain(secret);

    const target = await freshTarget(kind, scratch);
    drops.push(target.drop);
    const restored = runLatch(target.env, ['restore', backupFile]);
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/chains: \d+ streams, \d+ events, all verify/);

    const verified = runLatch(target.env, ['verify', '--all', '--trust', join(scratch, 'trust.txt'), '--since', join(scratch, 'checkpoint'), '--json']);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    const report = JSON.parse(verified.stdout);
    expect(report.ok).toBe(true);
    expect(report.chains.broken).toEqual([]);
    expect(report.log.problems).toEqual([]);
    expect(report.log.coverage.outsideSize).toBe(Number(savedCheckpoint.split('\n')[1]));

    // The restored database holds what the snapshot held, pg-boss's timers included.
    const again = runLatch(target.env, ['backup', '-o', join(scratch, 'of-the-restore.backup'), '--json']);
    expect(again.status, again.stderr).toBe(0);
    const copy = JSON.parse(again.stdout) as typeof manifest;
    for (const name of ['cases', 'events', 'notes', 'blobs', 'attachments', 'action_requests', 'log_leaves', 'log_checkpoints', 'stream_heads']) {
      expect(copy.tables.find((x) => x.schema === 'public' && x.name === name)?.rows, name).toBe(table(name).rows);
    }
    const jobs = (m: typeof manifest) => m.tables.find((x) => x.schema === 'pgboss' && x.name === 'job')?.rows;
    expect(jobs(copy)).toBe(jobs(manifest));

    // A target that is not empty (the one just restored) is refused, and left as it was.
    expectRefusal(runLatch(target.env, ['restore', backupFile]), 'RESTORE_TARGET_NOT_EMPTY');
    expect(runLatch(target.env, ['verify', '--all', '--trust', join(scratch, 'trust.txt')]).status).toBe(0);
  }, 300_000);

  it('refuses a damaged backup, an altered part, a newer schema and an existing output file; a failed load leaves the target empty', async () => {
    const target = await freshTarget(kind, scratch);
    drops.push(target.drop);
    const isEmpty = async () => (target.dataDir ? !existsSync(target.dataDir) || readdirSync(target.dataDir).length === 0 : (await postgresTableCount(target.url!)) === 0);

    const bytes = readFileSync(backupFile);
    const damaged = Buffer.from(bytes);
    damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
    writeFileSync(join(scratch, 'damaged.backup'), damaged);
    expectRefusal(runLatch(target.env, ['restore', join(scratch, 'damaged.backup')]), 'BACKUP_CORRUPT');

    // A part changed (a case's title), the manifest left as it was: its hash gives it away.
    tamper(backupFile, join(scratch, 'altered.backup'), 'data/public.cases.copy', (text) => text.replace('Backed up 1', 'Backed up 9'), false);
    const altered = runLatch(target.env, ['restore', join(scratch, 'altered.backup')]);
    expectRefusal(altered, 'BACKUP_CORRUPT');
    expect(altered.stderr).toContain('data/public.cases.copy does not match its SHA-256');

    tamper(backupFile, join(scratch, 'newer.backup'), 'manifest.json', (text) => {
      const m = JSON.parse(text);
      m.migrations.push({ hash: 'f'.repeat(64), createdAt: '9999999999999' });
      return JSON.stringify(m);
    }, false);
    expectRefusal(runLatch(target.env, ['restore', join(scratch, 'newer.backup')]), 'BACKUP_SCHEMA_NEWER');
    expect(await isEmpty()).toBe(true);

    // A part whose hash was made to match but whose rows cannot load: the restore fails half way and empties the target.
    tamper(backupFile, join(scratch, 'unloadable.backup'), 'data/public.notes.copy', (text) => text.replace(/^[0-9a-f-]{36}/m, 'not-a-uuid'), true);
    const failed = runLatch(target.env, ['restore', join(scratch, 'unloadable.backup')]);
    expectRefusal(failed, 'RESTORE_FAILED');
    expect(failed.stderr).toContain('the target is empty again');
    expect(failed.stderr).not.toContain('not-a-uuid');
    expect(await isEmpty()).toBe(true);

    // The same target then takes the good backup.
    expect(runLatch(target.env, ['restore', backupFile]).status).toBe(0);

    expectRefusal(runLatch(target.env, ['backup', '-o', backupFile]), 'BACKUP_OUTPUT_EXISTS');
    expectRefusal(runLatch(target.env, ['restore', join(scratch, 'no-such.backup')]), 'BACKUP_CORRUPT');
  }, 300_000);
});

describe('a backup of one kind restores into the other', () => {
  it('an embedded backup restores into PostgreSQL and verifies', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'latch-backup-cross-'));
    const t = await startTestLatch('pglite');
    const db = await freshPostgresDatabase();
    try {
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
      expect(created.statusCode).toBe(201);
      const file = join(scratch, 'embedded.backup');
      await writeBackup({ database: t.ctx.database, latchVersion: '0.1.0', currentKeys: t.ctx.log.keys!.keys.map((k) => k.verifierKey) }, file);
      mkdirSync(join(scratch, 'unused'));
      // The new server is configured with the log's key, as the old one was.
      const env = latchEnv(join(scratch, 'unused'), { LATCH_DATABASE_URL: db.url, LATCH_LOG_KEY: TEST_LOG_KEY });
      const restored = runLatch(env, ['restore', file]);
      expect(restored.status, restored.stderr).toBe(0);
      const verified = runLatch(env, ['verify', '--all']);
      expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    } finally {
      await t.close();
      await db.drop();
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 300_000);
});
