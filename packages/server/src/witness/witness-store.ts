import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointNote, type RecordedCheckpoint } from '@latch/core';

/** Evidence files kept per log and kind, unless the store is told otherwise. */
export const MAX_EVIDENCE_PER_LOG = 100;

export type EvidenceKind = 'fork' | 'inconsistent';

/** What keepEvidence did: wrote a new file, found the same checkpoint already kept, or kept nothing (the cap). */
export type EvidenceResult =
  | { kept: 'new'; file: string }
  | { kept: 'duplicate'; file: string }
  /** `first`: the first refusal since this store opened, to be logged once. */
  | { kept: 'capped'; first: boolean; limit: number };

export interface WitnessStoreOptions {
  /** Evidence files kept per log and kind (default MAX_EVIDENCE_PER_LOG). */
  readonly maxEvidencePerLog?: number;
}

/** `<time>-<kind>-<16 hex of the origin's hash>[-<sha256 of the checkpoint note>].txt` (older files have no note hash). */
const EVIDENCE_NAME = /^.+-(fork|inconsistent)-([0-9a-f]{16})(?:-([0-9a-f]{64}))?\.txt$/;

/**
 * The witness's own storage, in its data directory: the latest cosigned checkpoint of each log
 * (`state/<sha256 of the origin>.checkpoint`, the signed note with its trusted log signatures) and
 * evidence of log misbehaviour (`evidence/`). Every write is fsynced and renamed into place before
 * the witness answers, so a crash never loses a checkpoint it cosigned nor leaves half a file.
 *
 * Evidence is bounded: a checkpoint is kept once (its file is named by the hash of the note), and
 * at most maxEvidencePerLog files per log and kind; a submitter cannot fill the disk with it.
 */
export class WitnessStore {
  private readonly cache = new Map<string, RecordedCheckpoint>();
  /** `<kind>-<origin16>` → number of evidence files. */
  private readonly evidenceCount = new Map<string, number>();
  /** `<kind>-<origin16>-<note hash>` → file name. */
  private readonly evidenceFiles = new Map<string, string>();
  private readonly capLogged = new Set<string>();
  private readonly maxEvidence: number;

  constructor(
    readonly dir: string,
    options: WitnessStoreOptions = {},
  ) {
    this.maxEvidence = options.maxEvidencePerLog ?? MAX_EVIDENCE_PER_LOG;
    mkdirSync(join(dir, 'state'), { recursive: true });
    mkdirSync(join(dir, 'evidence'), { recursive: true });
    for (const name of readdirSync(join(dir, 'state'))) {
      if (!name.endsWith('.checkpoint')) continue;
      const note = readFileSync(join(dir, 'state', name), 'utf8');
      const body = readCheckpointNote(note);
      this.cache.set(body.origin, { origin: body.origin, size: body.size, root: body.root, note });
    }
    for (const name of readdirSync(join(dir, 'evidence'))) {
      const match = EVIDENCE_NAME.exec(name);
      if (!match) continue;
      const group = `${match[1]}-${match[2]}`;
      this.evidenceCount.set(group, (this.evidenceCount.get(group) ?? 0) + 1);
      if (match[3] !== undefined) this.evidenceFiles.set(`${group}-${match[3]}`, name);
    }
  }

  /** Whether `dir` holds a witness state directory (absent: never started, or its state was lost). */
  static hasState(dir: string): boolean {
    return existsSync(join(dir, 'state'));
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

  /**
   * Keeps a log-signed checkpoint that shows misbehaviour (a fork, or one the log gave no valid
   * consistency proof for), beside what the witness had. `note` must be the checkpoint with only
   * its trusted log signatures (decideAddCheckpoint gives it): the same checkpoint is kept once.
   */
  keepEvidence(kind: EvidenceKind, origin: string, note: string, recorded: RecordedCheckpoint | undefined): EvidenceResult {
    const group = `${kind}-${fileName(origin).slice(0, 16)}`;
    const hash = createHash('sha256').update(note).digest('hex');
    const existing = this.evidenceFiles.get(`${group}-${hash}`);
    if (existing !== undefined) return { kept: 'duplicate', file: join(this.dir, 'evidence', existing) };
    const count = this.evidenceCount.get(group) ?? 0;
    if (count >= this.maxEvidence) {
      const first = !this.capLogged.has(group);
      this.capLogged.add(group);
      return { kept: 'capped', first, limit: this.maxEvidence };
    }
    const received = new Date().toISOString();
    // The note hash makes the name unique: two files in one millisecond never share it.
    const name = `${received.replace(/[:.]/g, '-')}-${group}-${hash}.txt`;
    const text =
      `# ${kind} for log ${origin}, received ${received}\n` +
      `# The checkpoint submitted, with only the log's trusted signatures:\n${note}\n` +
      `# The checkpoint this witness had cosigned for the log:\n${recorded?.note ?? '(none)\n'}`;
    writeDurably(join(this.dir, 'evidence'), name, text);
    this.evidenceFiles.set(`${group}-${hash}`, name);
    this.evidenceCount.set(group, count + 1);
    return { kept: 'new', file: join(this.dir, 'evidence', name) };
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
