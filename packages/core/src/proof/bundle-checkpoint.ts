/**
 * The checkpoint and consistency checks of `verifyBundle`. Signatures are checked only against
 * the auditor's trusted keys, each only for the tree sizes the trust file allows it; nothing in
 * the bundle can add a key.
 */
import { isUtf8 } from 'node:buffer';
import type { CheckRecorder } from './bundle-report.js';
import { CHECKPOINT_FILE, consistencyFile } from './bundle.js';
import { readCheckpointNote, type parseCheckpoint } from './checkpoint.js';
import { logKeysValidAt, type TrustedKey } from './log-keys.js';
import { rootOf, verifyConsistency } from './merkle.js';
import { NoteError, openNote } from './signed-note.js';
import { parseConsistencyProof } from './tlog-proof.js';

export interface CheckpointFacts {
  note: string;
  bytes: Buffer;
  origin: string;
  size: number;
  root: Buffer;
  /** Trusted keys (valid for this size) whose signatures verified, as name+keyhash. */
  signedBy: string[];
}

const keyLabel = (k: TrustedKey): string => `${k.name}+${k.keyHash.toString(16).padStart(8, '0')}`;
const windowOf = (k: TrustedKey): string => `${k.from ?? 0}..${k.until ?? '∞'}`;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Which trusted keys signed the note: those of the log `origin` valid for `size`, those of that log
 * outside their window, and keys of other logs (a log's key is named for its origin: a key of
 * another log in the same trust file vouches for nothing in this one). Throws NoteError when the
 * note is malformed or a trusted key's signature is bad.
 */
function signersOf(note: string, trusted: readonly TrustedKey[], origin: string, size: number): { valid: TrustedKey[]; outside: TrustedKey[]; otherLogs: TrustedKey[] } {
  const validKeys = new Set(logKeysValidAt(trusted, origin, size));
  const valid: TrustedKey[] = [];
  const outside: TrustedKey[] = [];
  const otherLogs: TrustedKey[] = [];
  for (const key of trusted) {
    try {
      openNote(note, [key]);
    } catch (e) {
      if (e instanceof NoteError && e.reason === 'untrusted') continue;
      throw e;
    }
    (key.name !== origin ? otherLogs : validKeys.has(key) ? valid : outside).push(key);
  }
  return { valid, outside, otherLogs };
}

/** Opens a checkpoint note against the trusted keys valid for its size; a problem description on failure. */
function openCheckpoint(note: string, trusted: readonly TrustedKey[]): (ReturnType<typeof parseCheckpoint> & { signedBy: string[] }) | string {
  let body: ReturnType<typeof parseCheckpoint>;
  let signers: ReturnType<typeof signersOf>;
  try {
    body = readCheckpointNote(note);
    signers = signersOf(note, trusted, body.origin, body.size);
  } catch (e) {
    return message(e);
  }
  if (signers.valid.length > 0) return { ...body, signedBy: signers.valid.map(keyLabel) };
  if (signers.outside.length > 0) {
    const keys = signers.outside.map((k) => `${keyLabel(k)} (trusted for sizes ${windowOf(k)})`).join(', ');
    return `signed by no key trusted for tree size ${body.size}: ${keys} signed it outside its validity window`;
  }
  if (signers.otherLogs.length > 0) {
    const keys = signers.otherLogs.map(keyLabel).join(', ');
    return `signed by no key of the log ${JSON.stringify(body.origin)}: ${keys} signed it, a key of another log (a log's key is named for its origin)`;
  }
  return 'signed by no trusted key';
}

export function checkCheckpoint(files: ReadonlyMap<string, Buffer>, origin: string, trusted: readonly TrustedKey[], check: CheckRecorder): CheckpointFacts | undefined {
  const bytes = files.get(CHECKPOINT_FILE);
  if (bytes === undefined || !isUtf8(bytes)) {
    check.fail(`${CHECKPOINT_FILE}: ${bytes === undefined ? 'missing' : 'not UTF-8 text'}`);
    check.finish('');
    return undefined;
  }
  const note = bytes.toString('utf8');
  const opened = openCheckpoint(note, trusted);
  let facts: CheckpointFacts | undefined;
  if (typeof opened === 'string') {
    check.fail(`${CHECKPOINT_FILE}: ${opened}`);
    // Keep going with the unverified body, so the inclusion proofs still get checked and reported.
    try {
      const body = readCheckpointNote(note);
      facts = { note, bytes, origin: body.origin, size: body.size, root: body.root, signedBy: [] };
    } catch {
      facts = undefined;
    }
  } else {
    facts = { note, bytes, origin: opened.origin, size: opened.size, root: opened.root, signedBy: opened.signedBy };
  }
  if (facts !== undefined && facts.origin !== origin) check.fail(`${CHECKPOINT_FILE}: origin ${facts.origin} is not the manifest's log ${origin}`);
  check.finish(facts === undefined ? '' : `tree size ${facts.size}, signed by ${facts.signedBy.join(', ')}`);
  return facts;
}

/** Each consistency file must be well formed, match its name, and start or end at the bundle's tree size. */
function checkConsistencyFiles(files: ReadonlyMap<string, Buffer>, paths: readonly string[], checkpoint: CheckpointFacts | undefined, check: CheckRecorder): void {
  for (const path of paths) {
    try {
      const proof = parseConsistencyProof(files.get(path)!.toString('utf8'));
      if (path !== consistencyFile(proof.oldSize, proof.newSize)) check.fail(`${path}: holds a proof for sizes ${proof.oldSize} and ${proof.newSize}`);
      else if (checkpoint !== undefined && proof.oldSize !== checkpoint.size && proof.newSize !== checkpoint.size) {
        check.fail(`${path}: neither size is the bundle checkpoint's (${checkpoint.size})`);
      }
    } catch (e) {
      check.fail(`${path}: ${message(e)}`);
    }
  }
}

/** Checks the consistency files, and the auditor's earlier (or later) checkpoint against the bundle's. */
export function checkSince(
  files: ReadonlyMap<string, Buffer>,
  consistencyPaths: readonly string[],
  since: string | undefined,
  checkpoint: CheckpointFacts | undefined,
  trusted: readonly TrustedKey[],
  check: CheckRecorder,
): void {
  checkConsistencyFiles(files, consistencyPaths, checkpoint, check);
  if (since === undefined) {
    check.notice('No earlier checkpoint was given (--since): the events are shown to be in the log this checkpoint describes, not that this log extends one you saw before.');
    check.finish('no earlier checkpoint given');
    return;
  }
  const theirs = openCheckpoint(since, trusted);
  if (typeof theirs === 'string') return finishWith(check, `since: your checkpoint: ${theirs}`);
  if (checkpoint === undefined) return check.skip('the bundle checkpoint could not be read');
  if (theirs.origin !== checkpoint.origin) return finishWith(check, `since: your checkpoint is for log ${theirs.origin}, not ${checkpoint.origin}`);
  const problem = consistencyProblem(files, { size: theirs.size, root: theirs.root }, checkpoint);
  if (problem !== undefined) return finishWith(check, problem);
  check.finish(`your checkpoint (tree size ${theirs.size}) and the bundle's (tree size ${checkpoint.size}) are of one append-only log`);
}

function finishWith(check: CheckRecorder, problem: string): void {
  check.fail(problem);
  check.finish('');
}

function consistencyProblem(files: ReadonlyMap<string, Buffer>, theirs: { size: number; root: Buffer }, ours: CheckpointFacts): string | undefined {
  if (theirs.size === ours.size) {
    return theirs.root.equals(ours.root) ? undefined : `since: your checkpoint and the bundle's have the same size (${ours.size}) but different roots: the log has forked`;
  }
  const [older, newer] = theirs.size < ours.size ? [theirs, ours] : [ours, theirs];
  if (older.size === 0) return older.root.equals(rootOf([])) ? undefined : 'since: a checkpoint of size 0 must have the empty root';
  const path = consistencyFile(older.size, newer.size);
  const bytes = files.get(path);
  if (bytes === undefined) {
    return `${path}: missing: the bundle cannot show that tree ${newer.size} extends tree ${older.size}; ask for an export with --since ${theirs.size}`;
  }
  try {
    const proof = parseConsistencyProof(bytes.toString('utf8'));
    if (!verifyConsistency(older.size, newer.size, proof.proof, older.root, newer.root)) {
      return `${path}: does not prove that tree ${newer.size} extends tree ${older.size}: history was rewritten, or these are different logs`;
    }
  } catch (e) {
    return `${path}: ${message(e)}`;
  }
  return undefined;
}
