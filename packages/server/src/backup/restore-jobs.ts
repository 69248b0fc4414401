import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openJobQueue } from '../jobs/job-queue.js';
import type { Database } from '../db/database.js';
import type { OpenedBackup } from './open-backup.js';
import { inSession } from './copy-session.js';
import { loadTables } from './load-data.js';

/**
 * pg-boss's timers and queued work (approval expiries, SLA escalations, scheduled revokes, pending
 * executions): pg-boss creates its own schema, each queue gets its partition from pg-boss's own
 * create_queue, then the backup's rows replace what that wrote. pg-boss's `version` row stays its own.
 */
export async function restoreJobQueue(target: { database: Database; url?: string | undefined }, backup: OpenedBackup): Promise<number> {
  const tables = backup.manifest.tables.filter((t) => t.schema === 'pgboss');
  const queueTable = tables.find((t) => t.name === 'queue');
  if (!queueTable) return 0;
  const queue = await openJobQueue(target.database, { onError: () => undefined });
  await queue.stop();
  const nameAt = queueTable.columns.indexOf('name');
  const names = (await readFile(join(backup.dir, queueTable.part), 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => copyTextField(line.split('\t')[nameAt] ?? ''));
  return inSession(target, 'BEGIN', async (session) => {
    for (const name of names) await session.query(`select pgboss.create_queue('${name.replace(/'/g, "''")}', '{}'::json)`);
    await session.query('DELETE FROM pgboss.queue');
    const rows = await loadTables(session, backup.dir, [queueTable]);
    return rows + (await loadTables(session, backup.dir, tables, new Set(['queue', 'version'])));
  });
}

/** One field of PostgreSQL's COPY text format, unescaped. */
function copyTextField(field: string): string {
  const escapes: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
  return field.replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c);
}
