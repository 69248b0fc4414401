import { readFileSync } from 'node:fs';
import { BackupError } from '../backup/backup-format.js';
import { restoreBackup } from '../backup/restore-backup.js';
import { writeBackup } from '../backup/write-backup.js';
import { readConfig } from '../config.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { CliError } from './cli-error.js';
import { printJson } from './output.js';
import { withLatch } from './with-latch.js';

export interface BackupOptions {
  output: string;
  json?: boolean;
}

export interface RestoreOptions {
  json?: boolean;
}

const latchVersion = () => (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `latch backup -o <path>`: one consistent snapshot of the database, written while the server keeps serving (PostgreSQL). */
export async function runBackup(o: BackupOptions): Promise<void> {
  const config = readConfig();
  const manifest = await withLatch(
    (ctx) => writeBackup({ database: ctx.database, url: config.databaseUrl, latchVersion: latchVersion(), currentKeys: ctx.log.keys?.keys.map((k) => k.verifierKey) ?? [] }, o.output),
    { schemaOnly: true },
  ).catch(refusal);
  if (o.json) return printJson(manifest);
  const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
  console.log(
    `backup written to ${o.output}: ${manifest.tables.length} tables, ${rows} rows (${manifest.database.kind}, ${manifest.migrations.length} migrations); ` +
      `log size ${manifest.log.size}, newest checkpoint ${manifest.log.checkpointSize ?? 'none'}`,
  );
  console.error('the log\'s private signing key is not in the backup: keep it safe separately');
}

/** `latch restore <path>`: into an empty LATCH_DATABASE_URL database or LATCH_DATA_DIR, then verified. */
export async function runRestore(path: string, o: RestoreOptions): Promise<void> {
  const config = readConfig();
  const target = config.databaseUrl ? ({ kind: 'postgres', url: config.databaseUrl } as const) : ({ kind: 'pglite', dataDir: config.dataDir } as const);
  const report = await restoreBackup(path, target).catch(refusal);
  if (o.json) return printJson({ ok: true, rows: report.rows, jobs: report.jobs, chains: report.chains, log: report.log, backup: { createdAt: report.manifest.createdAt, latchVersion: report.manifest.latchVersion, database: report.manifest.database.kind } });
  console.log(`restored ${report.rows} rows and ${report.jobs} job rows from the backup of ${report.manifest.createdAt} (${report.manifest.database.kind})`);
  console.log(`chains: ${report.chains.streams} streams, ${report.chains.events} events, all verify`);
  console.log(`log: ${report.log.leaves} leaves, ${report.log.checkpoints} checkpoints verify against the backup's keys and its checkpoint`);
}

function refusal(error: unknown): never {
  if (error instanceof BackupError) throw new CliError(`${error.code}: ${error.message}`, 2, error.code);
  if (error instanceof DataDirLockedError) {
    throw new CliError(
      `BACKUP_DATA_DIR_IN_USE: ${error.message.split('. ')[0]}: stop the embedded server for the backup (PGlite has one process), or run Latch on PostgreSQL to back up while serving`,
      2,
      'BACKUP_DATA_DIR_IN_USE',
    );
  }
  throw error;
}
