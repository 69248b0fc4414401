/**
 * C2SP tlog-checkpoint bodies (https://c2sp.org/tlog-checkpoint): the note text a log signs.
 *
 *   <origin>\n
 *   <tree size, decimal, no leading zeros>\n
 *   <base64(root hash)>\n
 *   [<extension line>\n ...]
 *
 * Latch uses SHA-256 trees, so the root must be 32 bytes.
 */
import { HASH_SIZE } from './merkle.js';
import { NoteError } from './signed-note.js';

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  /** Optional non-empty extension lines, in order. */
  extensions?: string[];
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkLine(what: string, line: string): void {
  if (line.length === 0) throw new CheckpointError(`checkpoint ${what} is empty`);
  if (CONTROL.test(line)) throw new CheckpointError(`checkpoint ${what} contains a control character`);
}

/** Format a checkpoint body (the text to pass to `signNote`). */
export function formatCheckpoint(cp: Checkpoint): string {
  checkLine('origin', cp.origin);
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new CheckpointError(`checkpoint size ${cp.size} is not a non-negative safe integer`);
  if (cp.root.length !== HASH_SIZE) throw new CheckpointError(`checkpoint root must be ${HASH_SIZE} bytes, got ${cp.root.length}`);
  const extensions = cp.extensions ?? [];
  extensions.forEach((e, i) => checkLine(`extension line ${i + 1}`, e));
  const lines = [cp.origin, String(cp.size), Buffer.from(cp.root).toString('base64'), ...extensions];
  return lines.map((l) => `${l}\n`).join('');
}

/** Parse a checkpoint body strictly; throws CheckpointError naming the first defect. */
export function parseCheckpoint(text: string): Checkpoint & { root: Buffer; extensions: string[] } {
  if (!text.endsWith('\n')) throw new CheckpointError('checkpoint must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined) {
    throw new CheckpointError('checkpoint needs origin, size and root lines');
  }
  checkLine('origin', origin);
  if (!/^(?:0|[1-9][0-9]*)$/.test(sizeText)) throw new CheckpointError(`checkpoint size ${JSON.stringify(sizeText)} is not a decimal integer`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new CheckpointError(`checkpoint size ${sizeText} is too large`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(rootText)) throw new CheckpointError('checkpoint root is not standard base64');
  const root = Buffer.from(rootText, 'base64');
  if (root.toString('base64') !== rootText) throw new CheckpointError('checkpoint root is not canonical base64');
  if (root.length !== HASH_SIZE) throw new CheckpointError(`checkpoint root must be ${HASH_SIZE} bytes, got ${root.length}`);
  extensions.forEach((e, i) => checkLine(`extension line ${i + 1}`, e));
  return { origin, size, root, extensions };
}

/**
 * Parses the checkpoint body of a signed note WITHOUT checking any signature: to learn its size
 * (which keys are valid for it, which consistency proof to ask for). Open it with openNote to trust it.
 */
export function readCheckpointNote(note: string): Checkpoint & { root: Buffer; extensions: string[] } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed', 'not a signed note: no blank line before the signatures');
  return parseCheckpoint(note.slice(0, split + 1));
}
