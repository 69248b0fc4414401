import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireDataDirLock, type DataDirLock } from '../db/data-dir-lock.js';
import { openDatabase, resultRows, type Database } from '../db/database.js';
import { EmbeddedDurability } from '../db/embedded-durability.js';
import { sql } from 'drizzle-orm';
import { BackupError } from './backup-format.js';

/** Where a restore goes: PostgreSQL by URL, or an embedded data directory. */
export type RestoreTarget = { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'pglite'; readonly dataDir: string };

/** The target, opened after checking it holds nothing; `wipe` takes it back to empty after a failed restore. */
export interface OpenedTarget {
  readonly database: Database;
  readonly url?: string;
  /** Removes everything the restore wrote. */
  wipe(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the target, refusing one that is not empty (RESTORE_TARGET_NOT_EMPTY): a restore never merges into data. */
export async function openEmptyTarget(target: RestoreTarget): Promise<OpenedTarget> {
  return target.kind === 'pglite' ? openEmbedded(target.dataDir) : openPostgres(target.url);
}

async function openEmbedded(dataDir: string): Promise<OpenedTarget> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new BackupError('RESTORE_TARGET_NOT_EMPTY', `the data directory ${dataDir} is not empty: restore into a new or empty LATCH_DATA_DIR`);
  }
  const lock: DataDirLock = acquireDataDirLock(dataDir);
  const pgdata = join(dataDir, 'pgdata');
  let database: Database;
  try {
    database = await openDatabase({ dataDir: pgdata });
  } catch (error) {
    lock.release();
    throw error;
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await database.close().catch(() => undefined);
    await new EmbeddedDurability(pgdata).syncAll().catch(() => undefined);
    lock.release();
  };
  return {
    database,
    close,
    wipe: async () => {
      await close();
      for (const entry of readdirSync(dataDir)) await rm(join(dataDir, entry), { recursive: true, force: true });
    },
  };
}

async function openPostgres(url: string): Promise<OpenedTarget> {
  const database = await openDatabase({ url, poolSize: 2 });
  try {
    const [found] = resultRows<{ n: number }>(
      await database.db.execute(sql`select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\_toast%' and n.nspname not like 'pg\_temp%'
        and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')`),
    );
    if (found!.n > 0) {
      throw new BackupError('RESTORE_TARGET_NOT_EMPTY', `the database holds ${found!.n} table(s), view(s) or sequence(s): restore into a new, empty database (createdb)`);
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  return {
    database,
    url,
    close: () => database.close(),
    wipe: async () => {
      // The database held nothing before: drop what the restore created, schemas and all.
      await database.exec('DROP SCHEMA IF EXISTS pgboss CASCADE; DROP SCHEMA IF EXISTS drizzle CASCADE');
      const drops = resultRows<{ statement: string }>(
        await database.db.execute(sql`
          select format('DROP TABLE IF EXISTS public.%I CASCADE', relname) as statement from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
          union all select format('DROP SEQUENCE IF EXISTS public.%I CASCADE', relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind = 'S'
          union all select format('DROP VIEW IF EXISTS public.%I CASCADE', relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind = 'v'
          union all select format('DROP TYPE IF EXISTS public.%I CASCADE', typname) from pg_type t join pg_namespace n on n.oid = t.typnamespace
            where n.nspname = 'public' and t.typtype in ('e', 'd', 'c') and not exists (select 1 from pg_class c where c.reltype = t.oid)
              and not exists (select 1 from pg_depend d where d.objid = t.oid and d.deptype = 'e')
          union all select format('DROP FUNCTION IF EXISTS public.%I(%s) CASCADE', proname, pg_get_function_identity_arguments(p.oid)) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'public' and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`),
      );
      for (const { statement } of drops) await database.exec(statement);
      await database.close();
    },
  };
}
