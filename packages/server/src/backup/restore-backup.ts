import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTrustFile } from '@latch/core';
import { verifyLog, type LogReport } from '../audit/verify-log.js';
import { verifyStore, type StoreReport } from '../audit/verify-store.js';
import { describeError } from '../loggable-error.js';
import { BackupError, type BackupManifest } from './backup-format.js';
import { inSession } from './copy-session.js';
import { loadTables, restoreSequences } from './load-data.js';
import { openBackup } from './open-backup.js';
import { restoreJobQueue } from './restore-jobs.js';
import { checkBackupSchema, createSchemaAt, migrateRest } from './restore-schema.js';
import { openEmptyTarget, type RestoreTarget } from './restore-target.js';

export interface RestoreReport {
  readonly manifest: BackupManifest;
  readonly rows: number;
  readonly jobs: number;
  readonly chains: StoreReport;
  readonly log: LogReport;
}

/**
 * Restores a backup into an empty target: checks every part's hash and the schema first, then
 * creates the schema the backup was taken at with the normal migrations, loads every table in one
 * transaction, sets the sequences, restores pg-boss's jobs, applies this build's later migrations,
 * and verifies every hash chain and the log against the backup's keys and checkpoint. On any
 * failure the target is emptied again (RESTORE_FAILED, RESTORE_VERIFY_FAILED).
 */
export async function restoreBackup(path: string, target: RestoreTarget): Promise<RestoreReport> {
  const backup = await openBackup(path);
  try {
    checkBackupSchema(backup.manifest);
    const opened = await openEmptyTarget(target);
    try {
      const report = await restoreInto(opened, backup, target);
      await opened.close();
      return report;
    } catch (error) {
      await opened.wipe().catch((wipeError: unknown) => {
        const how = target.kind === 'pglite' ? `delete ${target.dataDir}` : 'drop the database and create it again';
        throw new BackupError('RESTORE_FAILED', `${messageOf(error)}; the target could not be emptied again (${messageOf(wipeError)}): ${how} before retrying`);
      });
      if (error instanceof BackupError) throw error;
      throw new BackupError('RESTORE_FAILED', `${messageOf(error)}; nothing was restored (the target is empty again)`);
    }
  } finally {
    await backup.dispose();
  }
}

async function restoreInto(opened: Awaited<ReturnType<typeof openEmptyTarget>>, backup: Awaited<ReturnType<typeof openBackup>>, target: RestoreTarget): Promise<RestoreReport> {
  const { manifest } = backup;
  await createSchemaAt(opened.database, manifest.migrations.length);
  const rows = await inSession(opened, 'BEGIN', async (session) => {
    const loaded = await loadTables(session, backup.dir, manifest.tables.filter((t) => t.schema === 'public'));
    await restoreSequences(session, manifest);
    return loaded;
  });
  const jobs = await restoreJobQueue(opened, backup);
  await migrateRest(opened.database);
  if (target.kind === 'pglite') {
    // The public halves, where the embedded server publishes them (`latch verify --all` reads them there).
    const published = join(target.dataDir, 'log');
    await mkdir(published, { recursive: true });
    await writeFile(join(published, 'trust.txt'), backup.trust);
    if (backup.checkpoint !== null) await writeFile(join(published, 'checkpoint'), backup.checkpoint);
  }
  const chains = await verifyStore(opened.database.db);
  const log = await verifyLog(opened.database.db, {
    trusted: parseTrustFile(backup.trust),
    outside: backup.checkpoint === null ? [] : [{ what: "the backup's checkpoint", note: backup.checkpoint }],
  });
  if (!chains.ok || !log.ok) {
    const problems = [...chains.broken.map((b) => `the chain of stream ${b.stream} is broken`), ...log.problems].slice(0, 3);
    throw new BackupError('RESTORE_VERIFY_FAILED', `the restored data does not verify: ${problems.join('; ')}; nothing was restored (the target is empty again)`);
  }
  return { manifest, rows, jobs, chains, log };
}

/** A database error is described without the values it quotes (loggable-error.ts): they are the backup's data. */
function messageOf(error: unknown): string {
  return error instanceof BackupError ? error.message : describeError(error);
}
