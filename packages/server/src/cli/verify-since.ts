import { readFileSync, statSync } from 'node:fs';
import { CliError } from './cli-error.js';

/**
 * Reads a checkpoint file an auditor names with --since (for `latch verify` and `latch export`):
 * a missing file, a directory or an unreadable file is one clear line with a stable code, never
 * an ENOENT or EISDIR stack.
 */
export function readCheckpointFile(file: string, option = '--since'): string {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new CliError(`${option} ${file}: no such file (give the signed checkpoint you hold, e.g. from \`latch log checkpoint\`)`, 1, 'CHECKPOINT_FILE_NOT_FOUND');
  }
  if (!isFile) throw new CliError(`${option} ${file}: not a file (it is a directory or a device): give the signed checkpoint file itself`, 1, 'CHECKPOINT_FILE_NOT_FOUND');
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`${option} ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 1, 'CHECKPOINT_FILE_UNREADABLE');
  }
}
