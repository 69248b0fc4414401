import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { sql } from 'drizzle-orm';
import { resultRows, type Database } from './database.js';

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

export type SchemaState =
  | { readonly state: 'current'; readonly applied: number }
  | { readonly state: 'empty' }
  | { readonly state: 'behind'; readonly applied: number; readonly pending: number }
  | { readonly state: 'unknown'; readonly detail: string };

/** Applies every migration this build knows and the database has not seen. */
export async function migrate(database: Database): Promise<void> {
  const state = await schemaState(database);
  if (state.state === 'unknown') throw new SchemaMismatchError(state.detail);
  if (database.kind === 'postgres') await migratePg(database.db as unknown as NodePgDatabase, { migrationsFolder });
  else await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder });
}

/** Compares the migrations recorded in the database with those this build ships. */
export async function schemaState(database: Database): Promise<SchemaState> {
  const known = readMigrationFiles({ migrationsFolder });
  const exists = await database.db.execute<{ exists: boolean }>(
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`,
  );
  if (!resultRows<{ exists: boolean }>(exists)[0]?.exists) return { state: 'empty' };
  const applied = resultRows<{ hash: string; created_at: string }>(
    await database.db.execute<{ hash: string; created_at: string }>(
      sql`select hash, created_at from drizzle.__drizzle_migrations order by created_at`,
    ),
  );
  if (applied.length === 0) return { state: 'empty' };
  for (const [i, row] of applied.entries()) {
    const mine = known[i];
    if (!mine || mine.hash !== row.hash || String(mine.folderMillis) !== String(row.created_at)) {
      return {
        state: 'unknown',
        detail:
          `The database has migration #${i + 1} (created ${row.created_at}) that this version of Latch does not know. ` +
          'It was probably written by a newer Latch. Run that version, or restore a backup made for this one.',
      };
    }
  }
  if (applied.length < known.length) return { state: 'behind', applied: applied.length, pending: known.length - applied.length };
  return { state: 'current', applied: applied.length };
}

export class SchemaMismatchError extends Error {}
