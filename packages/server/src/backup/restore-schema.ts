import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrations.js';
import { BackupError, type BackupManifest } from './backup-format.js';

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

interface Journal {
  entries: { idx: number; tag: string; when: number }[];
}

/**
 * Refuses a backup this build cannot restore: one holding a migration this build does not ship
 * (BACKUP_SCHEMA_NEWER), or one whose migrations differ from this build's (BACKUP_SCHEMA_UNKNOWN).
 * An older backup is fine: it is restored at its own schema, then migrated like any database.
 */
export function checkBackupSchema(manifest: BackupManifest): void {
  const known = readMigrationFiles({ migrationsFolder });
  if (manifest.migrations.length > known.length) {
    throw new BackupError(
      'BACKUP_SCHEMA_NEWER',
      `the backup's schema has ${manifest.migrations.length} migrations, this Latch knows ${known.length}: restore it with Latch ${manifest.latchVersion} or newer`,
    );
  }
  for (const [i, applied] of manifest.migrations.entries()) {
    const mine = known[i]!;
    if (mine.hash !== applied.hash || String(mine.folderMillis) !== String(applied.createdAt)) {
      throw new BackupError('BACKUP_SCHEMA_UNKNOWN', `the backup's migration #${i + 1} is not the one this Latch ships: restore it with the Latch version that made it (${manifest.latchVersion})`);
    }
  }
}

/** Creates the schema exactly as it was when the backup was taken: this build's first n migrations, by the normal migrator. */
export async function createSchemaAt(database: Database, count: number): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), 'latch-migrations-'));
  try {
    const journal = JSON.parse(await readFile(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as Journal;
    const entries = [...journal.entries].sort((a, b) => a.idx - b.idx).slice(0, count);
    await mkdir(join(folder, 'meta'));
    await writeFile(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }));
    for (const entry of entries) await copyFile(join(migrationsFolder, `${entry.tag}.sql`), join(folder, `${entry.tag}.sql`));
    if (database.kind === 'postgres') await migratePg(database.db as unknown as NodePgDatabase, { migrationsFolder: folder });
    else await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder: folder });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** The migrations this build ships after the backup's, applied once its rows are in. */
export const migrateRest = (database: Database) => migrate(database);
