import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDurability } from './embedded-durability.js';

let scratch: string;
let pg: PGlite;
let durability: EmbeddedDurability;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'latch-durability-'));
  pg = await PGlite.create({ dataDir: join(scratch, 'shared') });
  await pg.exec('create table t (id serial primary key, payload text not null)');
  durability = new EmbeddedDurability(join(scratch, 'shared'));
});

afterAll(async () => {
  if (!pg.closed) await pg.close();
  rmSync(scratch, { recursive: true, force: true });
});

const insert = (db: PGlite) => db.query<{ id: number }>(`insert into t (payload) values ('x') returning id`);

describe('EmbeddedDurability', () => {
  it('flushes after commits', async () => {
    await insert(pg);
    const before = durability.rounds;
    await durability.flush();
    expect(durability.rounds).toBe(before + 1);
  });

  it('coalesces concurrent callers: one running round plus one shared follow-up round', async () => {
    await durability.flush();
    const before = durability.rounds;
    const first = durability.flush(); // starts a round immediately
    const late = Array.from({ length: 50 }, () => durability.flush()); // arrive while it runs
    expect(new Set(late).size).toBe(1);
    expect(late[0]).not.toBe(first);
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await late[0];
    expect(firstDone).toBe(true); // late callers waited for a round that started after them
    await Promise.all([first, ...late]);
    expect(durability.rounds).toBe(before + 2);
  });

  it('survives concurrent commits and flushes from many writers', async () => {
    const before = durability.rounds;
    await Promise.all(Array.from({ length: 20 }, async () => {
      for (let i = 0; i < 10; i++) {
        await insert(pg);
        await durability.flush();
      }
    }));
    expect(durability.rounds - before).toBeLessThan(200);
  });

  it('syncAll covers the whole directory after close', async () => {
    const dir = join(scratch, 'closing');
    const db = await PGlite.create({ dataDir: dir });
    await db.exec('create table t (id serial primary key, payload text not null)');
    await insert(db);
    await db.close();
    await new EmbeddedDurability(dir).syncAll();
    const reopened = await PGlite.create({ dataDir: dir });
    expect((await reopened.query('select count(*)::int as n from t')).rows).toEqual([{ n: 1 }]);
    await reopened.close();
  });

  it('keeps every acknowledged write after the writer is killed with SIGKILL', async () => {
    const dir = join(scratch, 'killed');
    const acked = await runAndKillWriter(dir, 300);
    expect(acked.length).toBeGreaterThanOrEqual(300);
    const reopened = await PGlite.create({ dataDir: dir });
    const rows = await reopened.query<{ id: number }>('select id from t');
    await reopened.close();
    const present = new Set(rows.rows.map((r) => r.id));
    expect(acked.filter((id) => !present.has(id))).toEqual([]);
  });
});

/** Child inserts from 4 concurrent loops, printing each id once flush() resolved; killed mid-burst. */
async function runAndKillWriter(dataDir: string, killAfter: number): Promise<number[]> {
  const src = readFileSync(new URL('./embedded-durability.ts', import.meta.url), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  writeFileSync(join(scratch, 'durability.mjs'), js.outputText);
  const pgliteUrl = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite').replace(/\.cjs$/, '.js'));
  const script = join(scratch, 'writer.mjs');
  writeFileSync(script, `import { PGlite } from ${JSON.stringify(pgliteUrl.href)};
import { EmbeddedDurability } from './durability.mjs';
const pg = await PGlite.create({ dataDir: process.argv[2] });
await pg.exec('create table t (id serial primary key, payload text not null)');
const d = new EmbeddedDurability(process.argv[2]);
const loop = async () => { for (;;) {
  const { rows } = await pg.query("insert into t (payload) values (repeat('x', 200)) returning id");
  await d.flush();
  process.stdout.write(rows[0].id + '\\n');
} };
await Promise.all([loop(), loop(), loop(), loop()]);`);

  const child = spawn(process.execPath, [script, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: number[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) acked.push(Number(line));
    if (acked.length >= killAfter) child.kill('SIGKILL');
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
  expect(signal).toBe('SIGKILL');
  return acked;
}
