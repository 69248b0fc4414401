import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointNote, type RecordedCheckpoint } from '@latch/core';

/**
 * The witness's own storage, in its data directory: the latest cosigned checkpoint of each log
 * (`state/<sha256 of the origin>.checkpoint`, the signed note as submitted) and evidence of log
 * misbehaviour (`evidence/`). Every write is fsynced and renamed into place before the witness
 * answers, so a crash never loses a checkpoint it cosigned nor leaves half a file.
 */
export class WitnessStore {
  private readonly cache = new Map<string, RecordedCheckpoint>();

  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'state'), { recursive: true });
    mkdirSync(join(dir, 'evidence'), { recursive: true });
    for (const name of readdirSync(join(dir, 'state'))) {
      if (!name.endsWith('.checkpoint')) continue;
      const note = readFileSync(join(dir, 'state', name), 'utf8');
      const body = readCheckpointNote(note);
      this.cache.set(body.origin, { origin: body.origin, size: body.size, root: body.root, note });
    }
  }

  /** The latest checkpoint cosigned for `origin`. */
  latest(origin: string): RecordedCheckpoint | undefined {
    return this.cache.get(origin);
  }

  /** Every log this witness has cosigned for. */
  logs(): RecordedCheckpoint[] {
    return [...this.cache.values()];
  }

  /** Records a new latest checkpoint durably. */
  record(checkpoint: RecordedCheckpoint): void {
    writeDurably(join(this.dir, 'state'), `${fileName(checkpoint.origin)}.checkpoint`, checkpoint.note);
    this.cache.set(checkpoint.origin, checkpoint);
  }

  /** Keeps a refused submission that proves misbehaviour (a fork), beside what the witness had. Returns its file. */
  keepEvidence(kind: string, origin: string, submitted: string, recorded: RecordedCheckpoint | undefined): string {
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${kind}-${fileName(origin).slice(0, 16)}.txt`;
    const text =
      `# ${kind} for log ${origin}, received ${new Date().toISOString()}\n` +
      `# The add-checkpoint request body as submitted:\n${submitted}\n` +
      `# The checkpoint this witness had cosigned for the log:\n${recorded?.note ?? '(none)\n'}`;
    writeDurably(join(this.dir, 'evidence'), name, text);
    return join(this.dir, 'evidence', name);
  }
}

const fileName = (origin: string): string => createHash('sha256').update(origin).digest('hex');

/** Write to a temporary file, fsync it, rename it into place, fsync the directory. */
export function writeDurably(dir: string, name: string, text: string, mode = 0o644): void {
  const path = join(dir, name);
  const temporary = `${path}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
