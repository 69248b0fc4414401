import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle as drizzlePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { resultRows, type Database, type Db } from './database.js';

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Session-level advisory lock held on one connection around check-and-migrate: several processes
 * starting at once on one PostgreSQL give one migrator; the others wait, then find the schema current.
 */
const MIGRATION_LOCK = 0x4c41_5443_4d01n;

export type SchemaState =
  | { readonly state: 'current'; readonly applied: number }
  | { readonly state: 'empty' }
  | { readonly state: 'behind'; readonly applied: number; readonly pending: number }
  | { readonly state: 'unknown'; readonly detail: string };

/** The stable code of a refusal to run on a schema written by a newer (or different) Latch. */
export const SCHEMA_NEWER_CODE = 'SCHEMA_NEWER_THAN_LATCH';

/**
 * Applies every migration this build knows and the database has not seen; returns how many this
 * call applied (0 when another process had already applied them, or there were none).
 */
export async function migrate(database: Database): Promise<number> {
  if (database.kind === 'pglite') return applyPending(database.db, () => migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder }));
  const pool = (database.db as unknown as { $client: pg.Pool }).$client;
  const client = await pool.connect();
  let failure: unknown;
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    // Everything under the lock runs on this one connection: the pool may be small, and its other
    // connections may all be held by callers waiting on this start.
    const db = drizzlePg({ client }) as unknown as Db;
    return await applyPending(db, () => migratePg(db as unknown as NodePgDatabase, { migrationsFolder }));
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // Unlocking can fail only with the connection, which releases the lock anyway.
    if (failure === undefined) await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => undefined);
    client.release(failure !== undefined);
  }
}

async function applyPending(db: Db, run: () => Promise<void>): Promise<number> {
  const state = await schemaStateOf(db);
  if (state.state === 'unknown') throw new SchemaMismatchError(state.detail);
  if (state.state === 'current') return 0;
  await run();
  return state.state === 'empty' ? readMigrationFiles({ migrationsFolder }).length : state.pending;
}

/** Compares the migrations recorded in the database with those this build ships. */
export async function schemaState(database: Database): Promise<SchemaState> {
  return schemaStateOf(database.db);
}

async function schemaStateOf(db: Db): Promise<SchemaState> {
  const known = readMigrationFiles({ migrationsFolder });
  const exists = await db.execute<{ exists: boolean }>(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`);
  if (!resultRows<{ exists: boolean }>(exists)[0]?.exists) return { state: 'empty' };
  const applied = resultRows<{ hash: string; created_at: string }>(
    await db.execute<{ hash: string; created_at: string }>(sql`select hash, created_at from drizzle.__drizzle_migrations order by created_at`),
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

/** The database holds migrations this build does not know; carries SCHEMA_NEWER_CODE. */
export class SchemaMismatchError extends Error {
  readonly code = SCHEMA_NEWER_CODE;
}
