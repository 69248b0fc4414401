import { join } from 'node:path';
import { ident, qualified, type BackupManifest, type TablePart } from './backup-format.js';
import type { CopySession } from './copy-session.js';
import { SESSION_SETTINGS } from './snapshot.js';

/**
 * Loads the backup's rows of one schema in the caller's transaction, parents before the tables
 * that refer to them (the foreign keys are checked as rows arrive), each table by one COPY.
 * Rows a migration put in (none in a fresh schema today) give way to the backup's.
 */
export async function loadTables(session: CopySession, dir: string, tables: readonly TablePart[], skip: ReadonlySet<string> = new Set()): Promise<number> {
  for (const setting of SESSION_SETTINGS) await session.query(setting);
  const wanted = tables.filter((t) => !skip.has(t.name));
  let rows = 0;
  for (const table of await inDependencyOrder(session, wanted)) {
    const target = qualified(table.schema, table.name);
    const [existing] = await session.query<{ any: boolean }>(`select exists (select 1 from ${target}) as any`);
    if (existing?.any) await session.query(`DELETE FROM ${target}`);
    const loaded = await session.copyIn(`${target} (${table.columns.map(ident).join(', ')})`, join(dir, table.part));
    if (loaded !== table.rows) throw new Error(`${table.schema}.${table.name}: loaded ${loaded} rows, the manifest says ${table.rows}`);
    rows += loaded;
  }
  return rows;
}

/** Sets every sequence to its value in the snapshot (which is at least every value its rows used). */
export async function restoreSequences(session: CopySession, manifest: BackupManifest): Promise<void> {
  for (const s of manifest.sequences) {
    const [present] = await session.query<{ found: boolean }>(`select to_regclass('${qualified(s.schema, s.name).replace(/'/g, "''")}') is not null as found`);
    if (present?.found) await session.query(`select setval('${qualified(s.schema, s.name).replace(/'/g, "''")}', ${BigInt(s.lastValue).toString()}, ${s.isCalled ? 'true' : 'false'})`);
  }
}

async function inDependencyOrder(session: CopySession, tables: readonly TablePart[]): Promise<TablePart[]> {
  const edges = await session.query<{ child: string; parent: string }>(
    `select cn.nspname || '.' || c.relname as child, pn.nspname || '.' || p.relname as parent
     from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace cn on cn.oid = c.relnamespace
     join pg_class p on p.oid = k.confrelid join pg_namespace pn on pn.oid = p.relnamespace
     where k.contype = 'f' and k.conrelid <> k.confrelid`,
  );
  const key = (t: TablePart) => `${t.schema}.${t.name}`;
  const pending = new Map(tables.map((t) => [key(t), t]));
  const ordered: TablePart[] = [];
  while (pending.size > 0) {
    const ready = [...pending.values()].filter((t) => !edges.some((e) => e.child === key(t) && pending.has(e.parent)));
    // A cycle of foreign keys (none in Latch's schema): load the rest as they come, and let a violation say so.
    const next = ready.length > 0 ? ready : [...pending.values()];
    for (const t of next) {
      ordered.push(t);
      pending.delete(key(t));
    }
  }
  return ordered;
}
