import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Database } from '../db/database.js';

/**
 * One transaction on either database, with COPY in and out of files: what a backup reads its
 * snapshot through and a restore loads through. COPY's text format is the same on both, so a
 * backup of one kind restores into the other.
 */
export interface CopySession {
  query<T>(text: string): Promise<T[]>;
  /** `COPY (<select>) TO …` into `file`; resolves to the number of rows. */
  copyOut(select: string, file: string): Promise<number>;
  /** `COPY <table> (<columns>) FROM …` out of `file`; resolves to the number of rows. */
  copyIn(target: string, file: string): Promise<number>;
}

/** Runs `work` in one transaction begun with `begin` (e.g. REPEATABLE READ READ ONLY), on its own connection for PostgreSQL. */
export async function inSession<T>(target: { database: Database; url?: string | undefined }, begin: string, work: (session: CopySession) => Promise<T>): Promise<T> {
  if (target.database.kind === 'pglite') {
    // PGlite has one connection: its transaction holds it, so the snapshot is whatever was committed when it began.
    const client = (target.database.db as unknown as { $client: PGlite }).$client;
    return client.transaction(async (tx) => {
      const characteristics = begin.replace(/^BEGIN\s*/i, '');
      if (characteristics !== '') await tx.exec(`SET TRANSACTION ${characteristics}`);
      return work(pgliteSession(tx));
    });
  }
  const client = new pg.Client({ connectionString: target.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(begin);
    const result = await work(postgresSession(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function pgliteSession(tx: Transaction): CopySession {
  return {
    query: async <T>(text: string) => (await tx.query<T>(text)).rows,
    copyOut: async (select, file) => {
      const result = await tx.query(`COPY (${select}) TO '/dev/blob'`);
      await writeFile(file, result.blob ? Buffer.from(await result.blob.arrayBuffer()) : Buffer.alloc(0));
      return result.affectedRows ?? 0;
    },
    copyIn: async (target, file) => {
      const result = await tx.query(`COPY ${target} FROM '/dev/blob'`, [], { blob: new Blob([await readFile(file)]) });
      return result.affectedRows ?? 0;
    },
  };
}

function postgresSession(client: pg.Client): CopySession {
  return {
    query: async <T>(text: string) => (await client.query(text)).rows as T[],
    copyOut: async (select, file) => {
      const stream = client.query(copyTo(`COPY (${select}) TO STDOUT`));
      await pipeline(stream, createWriteStream(file));
      return stream.rowCount;
    },
    copyIn: async (target, file) => {
      const stream = client.query(copyFrom(`COPY ${target} FROM STDIN`));
      await pipeline(createReadStream(file), stream);
      return stream.rowCount;
    },
  };
}
