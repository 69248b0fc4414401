import { sql } from 'drizzle-orm';
import { resultRows, sqlState, type Database } from '../db/database.js';

/**
 * Tables an erasure updates or deletes from (erase-subject.ts and its scrubbers), and those holding
 * text derived from a case's words (notifications, triage). Their dead row versions still hold the
 * values after the erasure commits, until a vacuum removes them.
 */
export const ERASURE_TABLES = [
  'personal_data',
  'cases',
  'notes',
  'attachments',
  'blobs',
  'action_requests',
  'approval_decisions',
  'delegations',
  'idempotency_keys',
  'users',
  'sessions',
  'api_tokens',
  'saved_views',
  'intake_quarantine',
  'intake_messages',
  'notifications',
  'notification_deliveries',
  'case_triage',
  'scim_users',
  'user_identities',
] as const;

export interface ReclaimReport {
  readonly tables: readonly string[];
  /** `full`: rewritten (embedded); `plain`: dead versions removed, their pages reusable (PostgreSQL). */
  readonly vacuum: 'full' | 'plain';
  /** Whether a CHECKPOINT ran (PostgreSQL needs superuser or pg_checkpoint for it). */
  readonly checkpoint: boolean;
}

const running = new WeakMap<Database, Promise<unknown>>();

/**
 * Removes what an erasure left on disk, after it committed (VACUUM cannot run in a transaction).
 * Embedded: VACUUM FULL rewrites the tables and their indexes into new files (the old ones are
 * truncated, then unlinked at the checkpoint), then a WAL segment switch and a CHECKPOINT let the
 * segments that logged the values go; PGlite runs with wal_recycle=off, so they are deleted, not
 * kept for reuse with their old bytes. PostgreSQL: a plain VACUUM (no exclusive lock on a live
 * server) and a CHECKPOINT when permitted; docs/operations.md says what remains. Runs one at a
 * time per database: concurrent erasures queue behind each other.
 */
export function reclaimErasedSpace(database: Database): Promise<ReclaimReport> {
  const previous = running.get(database) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => reclaim(database));
  running.set(database, next);
  return next;
}

async function reclaim(database: Database): Promise<ReclaimReport> {
  const present = resultRows<{ name: string }>(
    await database.db.execute<{ name: string }>(
      sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = current_schema() and c.relkind = 'r' and c.relname in ${[...ERASURE_TABLES]}`,
    ),
  ).map((row) => row.name);
  const tables = ERASURE_TABLES.filter((name) => present.includes(name));
  const list = tables.map((name) => `"${name}"`).join(', ');
  if (database.kind === 'pglite') {
    await database.exec(`VACUUM FULL ${list}`);
    await database.exec('SELECT pg_switch_wal()');
    await database.exec('CHECKPOINT');
    // An empty write: its commit hook makes what the vacuum and checkpoint wrote durable.
    await database.write(async () => undefined);
    return { tables, vacuum: 'full', checkpoint: true };
  }
  await database.exec(`VACUUM ${list}`);
  const checkpoint = await database.exec('CHECKPOINT').then(
    () => true,
    (error: unknown) => {
      if (sqlState(error) === '42501') return false; // not permitted to this role: the server's own checkpoints follow
      throw error;
    },
  );
  return { tables, vacuum: 'plain', checkpoint };
}
