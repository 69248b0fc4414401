import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatTrustFile } from '@latch/core';
import { BACKED_UP_SCHEMAS, qualified, ident, type BackupManifest, type PartHash, type TablePart } from './backup-format.js';
import type { CopySession } from './copy-session.js';

/** The same text for dates, times, intervals and bytes whoever reads it: COPY's text output depends on these. */
export const SESSION_SETTINGS = [
  "SET LOCAL TimeZone = 'UTC'",
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL IntervalStyle = 'postgres'",
  "SET LOCAL bytea_output = 'hex'",
  'SET LOCAL extra_float_digits = 3',
];

const schemaList = BACKED_UP_SCHEMAS.map((s) => `'${s}'`).join(', ');

/**
 * Copies every table of the backed-up schemas into `dir` inside the caller's snapshot, and reads
 * the sequences, the migrations applied and the log's public keys and newest checkpoint from it.
 */
export async function takeSnapshot(session: CopySession, dir: string, currentKeys: readonly string[]): Promise<Omit<BackupManifest, 'format' | 'latchVersion' | 'createdAt' | 'database' | 'parts'> & { trust: string; checkpoint: string | null }> {
  for (const setting of SESSION_SETTINGS) await session.query(setting);
  const migrations = (await session.query<{ present: boolean }>("select to_regclass('drizzle.__drizzle_migrations') is not null as present"))[0]?.present
    ? await session.query<{ hash: string; createdAt: string }>('select hash, created_at::text as "createdAt" from drizzle.__drizzle_migrations order by created_at, id')
    : [];
  await mkdir(join(dir, 'data'), { recursive: true });
  const tables: TablePart[] = [];
  for (const { schema, name } of await session.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in (${schemaList}) and c.relkind in ('r', 'p') and not c.relispartition order by 1, 2`,
  )) {
    const columns = (
      await session.query<{ name: string }>(
        `select attname as name from pg_attribute where attrelid = '${qualified(schema, name).replace(/'/g, "''")}'::regclass
         and attnum > 0 and not attisdropped and attgenerated = '' order by attnum`,
      )
    ).map((c) => c.name);
    const part = `data/${schema}.${name}.copy`;
    const rows = await session.copyOut(`SELECT ${columns.map(ident).join(', ')} FROM ${qualified(schema, name)}`, join(dir, part));
    tables.push({ schema, name, columns, rows, part });
  }
  const sequences = [];
  for (const { schema, name } of await session.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in (${schemaList}) and c.relkind = 'S' order by 1, 2`,
  )) {
    const [value] = await session.query<{ lastValue: string; isCalled: boolean }>(`select last_value::text as "lastValue", is_called as "isCalled" from ${qualified(schema, name)}`);
    sequences.push({ schema, name, lastValue: value!.lastValue, isCalled: value!.isCalled });
  }
  const hasLog = tables.some((t) => t.schema === 'public' && t.name === 'log_checkpoints');
  const [size] = hasLog ? await session.query<{ n: string }>('select count(*)::text as n from log_leaves') : [{ n: '0' }];
  const [newest] = hasLog ? await session.query<{ size: string; note: string }>('select size::text as size, note from log_checkpoints order by size desc limit 1') : [];
  const windows = hasLog
    ? await session.query<{ key: string; first: string; last: string }>(
        'select k.key as key, min(c.size)::text as first, max(c.size)::text as last from log_checkpoints c cross join lateral unnest(c.signers) as k(key) group by k.key order by min(c.size)',
      )
    : [];
  const signed = new Set(windows.map((w) => w.key));
  const trust = formatTrustFile([
    ...windows.map((w) => ({ verifierKey: w.key, from: Number(w.first), ...(currentKeys.includes(w.key) ? {} : { until: Number(w.last) }) })),
    ...currentKeys.filter((key) => !signed.has(key)).map((verifierKey) => ({ verifierKey })),
  ]);
  return {
    migrations,
    tables,
    sequences,
    log: { size: Number(size!.n), checkpointSize: newest ? Number(newest.size) : null },
    trust,
    checkpoint: newest?.note ?? null,
  };
}

/** SHA-256 and length of one part, streamed. */
export async function hashPart(dir: string, path: string): Promise<PartHash> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(join(dir, path))) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { path, sha256: hash.digest('hex'), bytes };
}
