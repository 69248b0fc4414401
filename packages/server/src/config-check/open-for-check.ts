import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LatchConfig } from '../config.js';
import { acquireDataDirLock, DataDirLockedError } from '../db/data-dir-lock.js';
import { openDatabase, type Database } from '../db/database.js';
import { schemaState } from '../db/migrations.js';
import { unavailableReason } from '../db/transient-errors.js';

/** The deployment's database for `latch config check`, or why its checks are skipped (never an error: the files are checked anyway). */
export async function openDatabaseForCheck(config: LatchConfig): Promise<{ database: Database; close: () => Promise<void> } | { skipped: string }> {
  if (config.databaseUrl) {
    let database: Database;
    try {
      database = await openDatabase({ url: config.databaseUrl, poolSize: 2 });
    } catch (error) {
      return { skipped: `LATCH_DATABASE_URL could not be opened (${unavailableReason(error) ?? (error as Error).message})` };
    }
    return usable(database, async () => database.close());
  }
  const pgdata = join(config.dataDir, 'pgdata');
  if (!existsSync(pgdata)) return { skipped: `no LATCH_DATABASE_URL, and no embedded database in ${config.dataDir}` };
  let lock;
  try {
    lock = acquireDataDirLock(config.dataDir);
  } catch (error) {
    if (error instanceof DataDirLockedError) return { skipped: `${config.dataDir} is in use by a running server (the server checks its configuration at start and on reload)` };
    throw error;
  }
  const database = await openDatabase({ dataDir: pgdata });
  return usable(database, async () => {
    await database.close();
    lock.release();
  });
}

async function usable(database: Database, close: () => Promise<void>): Promise<{ database: Database; close: () => Promise<void> } | { skipped: string }> {
  try {
    const state = await schemaState(database);
    if (state.state !== 'current') {
      await close();
      return { skipped: `the database schema is not current (${state.state}); run \`latch migrate\`` };
    }
  } catch (error) {
    await close().catch(() => undefined);
    return { skipped: `the database could not be read (${unavailableReason(error) ?? (error as Error).message.split('\n')[0]})` };
  }
  return { database, close };
}
