import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import { PGLITE_TEMPLATE_PREFIX } from './global-setup.js';

// An empty in-memory PGlite costs ~2 s to make (initdb) and migrate: most of a test Latch's start,
// and a test file starts several. The first test process of a run makes one, migrated, and dumps it
// to a file; every test Latch on PGlite then starts from a copy of that dump (~0.5 s).

const MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

/** A short hash of the migrations: a template named after it is never one a changed migration made stale. */
export function migrationsHash(): string {
  const hash = createHash('sha256');
  const files = [...readdirSync(MIGRATIONS).filter((n) => n.endsWith('.sql')).sort(), 'meta/_journal.json'];
  for (const name of files) hash.update(name).update(readFileSync(join(MIGRATIONS, name)));
  return hash.digest('hex').slice(0, 12);
}

/** Where this run keeps its dump. */
function templatePath(): string {
  return join(tmpdir(), `${PGLITE_TEMPLATE_PREFIX}${process.env.LATCH_TEST_RUN}-${migrationsHash()}.tar`);
}

let loaded: Promise<Blob> | undefined;

/** A dump of an empty PGlite database with every migration applied (made once per run, read once per process). */
export function migratedDump(): Promise<Blob> {
  loaded ??= (async () => {
    const path = templatePath();
    if (!existsSync(path)) await makeDump(path);
    return new Blob([readFileSync(path)]);
  })();
  return loaded;
}

/** Written beside its final name, then renamed: another process reads either the whole file or none. */
async function makeDump(path: string): Promise<void> {
  const database = await openDatabase({});
  let dump: Blob;
  try {
    await migrate(database);
    dump = await (database.db as unknown as { $client: PGlite }).$client.dumpDataDir('none');
  } finally {
    await database.close();
  }
  const scratch = mkdtempSync(`${path}-`);
  try {
    writeFileSync(join(scratch, 'dump.tar'), Buffer.from(await dump.arrayBuffer()));
    renameSync(join(scratch, 'dump.tar'), path);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
