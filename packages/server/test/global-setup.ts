import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

// Names this run's test databases (harness.ts TEST_DATABASE_PREFIX) and drops, at the end, any a
// failed or interrupted test left behind: a test run never leaves databases on the server. Removes
// the run's migrated PGlite dump (pglite-template.ts) and PostgreSQL template database too.

/** The file names of migrated PGlite dumps (pglite-template.ts), followed by the run's name. */
export const PGLITE_TEMPLATE_PREFIX = 'latch-test-pglite-';
/** After a run's database prefix, the name of its migrated PostgreSQL template (harness.ts). */
export const POSTGRES_TEMPLATE_INFIX = 'template_';

const POSTGRES_URL = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function setup(): void {
  process.env.LATCH_TEST_RUN ??= randomBytes(4).toString('hex');
}

export async function teardown(): Promise<void> {
  const templates = `${PGLITE_TEMPLATE_PREFIX}${process.env.LATCH_TEST_RUN}-`;
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(templates))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  const prefix = `latch_test_${process.env.LATCH_TEST_RUN}_`;
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch {
    return; // no PostgreSQL here: no test could have made a database on it
  }
  try {
    const { rows } = await client.query<{ datname: string }>(`select datname from pg_database where starts_with(datname, $1)`, [prefix]);
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
    // The run's migrated template (harness.ts) is dropped here by design; any other was left behind.
    const leftBehind = rows.filter(({ datname }) => !datname.startsWith(`${prefix}${POSTGRES_TEMPLATE_INFIX}`));
    if (leftBehind.length > 0) console.error(`test teardown: dropped ${leftBehind.length} database(s) left behind by this run`);
  } finally {
    await client.end();
  }
}
