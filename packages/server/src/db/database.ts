import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createTableRelationsHelpers, extractTablesRelationalConfig, type ExtractTablesWithRelations } from 'drizzle-orm';
import { drizzle as drizzlePg, NodePgSession } from 'drizzle-orm/node-postgres';
import { PgDialect, type PgDatabase, type PgQueryResultHKT, type PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { listenPostgres, type ListenHandlers } from '../live/postgres-listener.js';
import { drizzleClient } from './pglite-client.js';
import * as schema from './schema.js';
import { retryingTransaction, unavailableReason } from './transient-errors.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the database or a transaction on it: queries take this. */
export type Queryable = Db | Tx;

/** One open database, embedded or PostgreSQL, behind the same Drizzle interface. */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /**
   * Runs `work` in a transaction and returns once the commit is durable. A transaction that failed
   * on a deadlock, a serialization failure or a connection lost before COMMIT is run again from the
   * start (retryingTransaction), so `work` must not act outside the transaction (send a reply, call
   * a plugin) before it returns.
   */
  write<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs raw SQL (used by migrations and the schema check). */
  exec(sql: string): Promise<void>;
  /** LISTENs on a channel (PostgreSQL: its own connection, reconnecting); resolves to the way to stop. */
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL URL; when absent, embedded PGlite. */
  readonly url?: string | undefined;
  /** PGlite's own data directory; when absent (and no url), an in-memory database (tests). */
  readonly dataDir?: string | undefined;
  /** An in-memory database starts as a copy of this dump (PGlite's dumpDataDir), e.g. one already migrated (tests). */
  readonly loadDataDir?: Blob | undefined;
  /** Called after each committed write (embedded mode makes it durable here). */
  readonly afterCommit?: () => Promise<void>;
  readonly poolSize?: number;
}

/** Opens PostgreSQL when a URL is given, otherwise embedded PGlite. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.poolSize ?? 20) : openPglite(options);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // A database that accepts no connection is reported (503) rather than waited on for ever.
    connectionTimeoutMillis: 10_000,
    // A connection whose peer vanished without a word (failover) is noticed by the OS.
    keepAlive: true,
  });
  // A connection lost while idle (pool) or checked out (a transaction, a query) emits 'error' on its
  // client; unheard, that is an uncaught exception. The query in flight fails with it, the client is
  // discarded on release, and the next checkout connects afresh: nothing more to do here.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzlePg({ client: pool, schema }) as unknown as Db;
  const dialect = new PgDialect();
  const relational = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
  const schemaConfig = { fullSchema: schema, schema: relational.tables, tableNamesMap: relational.tableNamesMap };
  // Drizzle's own pool transaction never releases its client when BEGIN fails (as it does on a
  // connection the server just closed): the pool would leak a slot per outage and never end. So
  // the client is checked out here, and released in every case, discarded if its connection failed.
  const transaction = async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let failure: unknown;
    try {
      return await new NodePgSession(client, dialect, schemaConfig).transaction(work as unknown as (tx: unknown) => Promise<T>);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      client.release(unavailableReason(failure) !== undefined);
    }
  };
  return {
    kind: 'postgres',
    db,
    write: (work) => retryingTransaction(transaction, work),
    exec: async (sql) => {
      await pool.query(sql);
    },
    listen: (channel, handlers) => listenPostgres(url, channel, handlers),
    close: () => pool.end(),
  };
}

async function openPglite(options: OpenOptions): Promise<Database> {
  let client: PGlite;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    // WAL segments a checkpoint no longer needs are deleted rather than renamed for reuse with their
    // old bytes, so an erasure's values leave pg_wal (privacy/reclaim-space.ts).
    client = await PGlite.create({ dataDir: options.dataDir, startParams: [...PGlite.defaultStartParams, '-c', 'wal_recycle=off'] });
  } else {
    client = await PGlite.create(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {});
  }
  // Drizzle's client parses its text-typed columns without a per-query merge of PGlite's parser table (pglite-client.ts).
  const db = drizzlePglite({ client: drizzleClient(client), schema }) as unknown as Db;
  const afterCommit = options.afterCommit;
  return {
    kind: 'pglite',
    db,
    write: async (work) => {
      const result = await retryingTransaction((body) => db.transaction(body), work);
      if (afterCommit) await afterCommit();
      return result;
    },
    exec: async (sql) => {
      await client.exec(sql);
    },
    listen: (channel, handlers) => client.listen(channel, handlers.onPayload),
    close: () => client.close(),
  };
}

/** The SQLSTATE of a database error, looking through Drizzle's wrapper. */
export function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The rows of a raw `execute` result: node-postgres and PGlite shape it differently. */
export function resultRows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
