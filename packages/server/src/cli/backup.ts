import type { Command } from 'commander';
import type { BackupOptions, RestoreOptions } from './backup-run.js';
import { withJson } from './output.js';

/** `latch backup -o <path>` and `latch restore <path>` (docs/operations.md "Backup and restore"). */
export function registerBackupCommands(program: Command): void {
  withJson(program.command('backup'), 'print the manifest as JSON')
    .description('Write a consistent backup of the database (LATCH_DATABASE_URL, or the embedded LATCH_DATA_DIR) to one file: every table, the blobs, the log keys\' public halves')
    .requiredOption('-o, --output <path>', 'the backup file to create (never overwritten)')
    .addHelpText('after', '\nThe log\'s private signing key is not in the backup: keep LATCH_LOG_KEY_FILE (or <data dir>/log-signing.key) safe separately.\nExit codes: 0 written; 2 refused (the file exists, the data directory is in use).')
    .action(async (o: BackupOptions) => (await import('./backup-run.js')).runBackup(o));
  withJson(program.command('restore'), 'print the report as JSON')
    .description('Restore a backup into an empty database (LATCH_DATABASE_URL) or an empty data directory (LATCH_DATA_DIR), then verify every chain and the log')
    .argument('<path>', 'a backup file from `latch backup`')
    .addHelpText('after', '\nExit codes: 0 restored and verified; 2 refused (a damaged backup, a newer schema, a target that is not empty), or the restore failed and the target was emptied again.')
    .action(async (path: string, o: RestoreOptions) => (await import('./backup-run.js')).runRestore(path, o));
}
