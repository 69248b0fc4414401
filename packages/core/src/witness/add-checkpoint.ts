/**
 * The C2SP tlog-witness `add-checkpoint` call (https://c2sp.org/tlog-witness): the request body,
 * and the witness's decision on it given what it recorded for the log. No I/O: the server stores.
 *
 * Request body: `old <size>\n`, up to 63 base64 consistency proof lines, an empty line, then the
 * signed checkpoint note.
 */
import { readCheckpointNote } from '../proof/checkpoint.js';
import { quoteUntrusted } from '../proof/inert-text.js';
import { keysValidAt, type TrustedKey } from '../proof/log-keys.js';
import { rootOf, verifyConsistency } from '../proof/merkle.js';
import { NoteError, openNote, readSignatureLine } from '../proof/signed-note.js';

export const MAX_PROOF_LINES = 63;

/** How much of a submitter's own text (an origin, a size line, key names) a reason quotes. */
const MAX_QUOTED = 100;

/** The root of the empty tree: SHA-256 of the empty string. */
const EMPTY_ROOT = rootOf([]);

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Buffer[];
  /** The signed checkpoint note, as submitted. */
  note: string;
}

/** What the witness recorded for one log: its latest cosigned checkpoint. */
export interface RecordedCheckpoint {
  origin: string;
  size: number;
  root: Buffer;
  note: string;
}

export type AddCheckpointOutcome =
  | { status: 200; checkpoint: RecordedCheckpoint; body: string }
  | { status: 400 | 403 | 404 | 422; reason: string; origin?: string; evidence?: false }
  /** Evidence that the log misbehaved: `note` is the checkpoint with only its trusted signatures. */
  | { status: 422; reason: string; origin: string; evidence: true; note: string }
  | { status: 409; reason: string; origin: string; knownSize: number; fork: false }
  | { status: 409; reason: string; origin: string; knownSize: number; fork: true; note: string };

export class AddCheckpointError extends Error {}

/** The request body for `request`. */
export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  return `old ${request.oldSize}\n${request.proof.map((h) => `${h.toString('base64')}\n`).join('')}\n${request.note}`;
}

/** Parses a request body; throws AddCheckpointError (a 400) naming the defect. */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const blank = body.indexOf('\n\n');
  if (blank < 0) throw new AddCheckpointError('the body needs an old size line, proof lines, an empty line and a checkpoint');
  const head = body.slice(0, blank).split('\n');
  const note = body.slice(blank + 2);
  const oldMatch = /^old (0|[1-9][0-9]*)$/.exec(head[0]!);
  if (!oldMatch) throw new AddCheckpointError('the first line must be `old <size>` (decimal, no leading zeros)');
  const oldSize = Number(oldMatch[1]);
  if (!Number.isSafeInteger(oldSize)) throw new AddCheckpointError('the old size is too large');
  const lines = head.slice(1);
  if (lines.length > MAX_PROOF_LINES) throw new AddCheckpointError(`more than ${MAX_PROOF_LINES} consistency proof lines`);
  const proof = lines.map((line, i) => {
    const hash = /^[A-Za-z0-9+/]{43}=$/.test(line) ? Buffer.from(line, 'base64') : undefined;
    if (hash === undefined || hash.length !== 32 || hash.toString('base64') !== line) throw new AddCheckpointError(`proof line ${i + 1} is not the base64 of a 32-byte hash`);
    return hash;
  });
  if (oldSize === 0 && proof.length > 0) throw new AddCheckpointError('the proof must be empty when the old size is 0');
  return { oldSize, proof, note };
}

/**
 * Decides on an add-checkpoint request, in the spec's order: the origin must be known (404), a
 * trusted key must have signed (403), old ≤ new (400), old = the recorded size (409 with it), the
 * proof must verify (422), and at equal sizes the roots must match (409: a fork, kept as evidence).
 * A checkpoint of size 0 must carry the empty tree's root (422). Reasons quote at most
 * MAX_QUOTED characters of the submitter's own text, made inert (no control or bidi characters).
 * Recorded and evidence notes keep only the signatures by the log's trusted keys: whatever else a
 * submitter appended is dropped.
 */
export function decideAddCheckpoint(
  request: AddCheckpointRequest,
  logKeys: ReadonlyMap<string, readonly TrustedKey[]>,
  recorded: (origin: string) => RecordedCheckpoint | undefined,
): AddCheckpointOutcome {
  let body;
  try {
    body = readCheckpointNote(request.note);
  } catch (e) {
    return { status: 400, reason: `not a checkpoint: ${quote((e as Error).message)}` };
  }
  const { origin } = body;
  const keys = logKeys.get(origin);
  if (keys === undefined) return { status: 404, reason: `unknown log ${quote(origin)}`, origin };
  const valid = keysValidAt(keys, body.size);
  try {
    openNote(request.note, valid);
  } catch (e) {
    if (e instanceof NoteError && e.reason === 'malformed') return { status: 400, reason: quote(e.message), origin };
    return { status: 403, reason: `no valid signature by a key trusted for ${origin}: ${quote((e as Error).message)}`, origin };
  }
  // Signed by a trusted key from here on: `origin` is one the witness was configured with.
  const note = trustedNote(request.note, valid);
  if (request.oldSize > body.size) return { status: 400, reason: `old size ${request.oldSize} is larger than the checkpoint's size ${body.size}`, origin };
  if (body.size === 0 && !body.root.equals(EMPTY_ROOT)) {
    return { status: 422, reason: "a checkpoint of size 0 must have the empty tree's root (SHA-256 of the empty string)", origin, evidence: true, note };
  }
  const known = recorded(origin);
  const knownSize = known?.size ?? 0;
  if (request.oldSize !== knownSize) {
    return { status: 409, reason: `old size ${request.oldSize} is not the size this witness last cosigned (${knownSize})`, origin, knownSize, fork: false };
  }
  if (known !== undefined && body.size === known.size) {
    if (!body.root.equals(known.root)) {
      return { status: 409, reason: `a different root for size ${body.size} than the one this witness cosigned: the log has forked`, origin, knownSize, fork: true, note };
    }
    if (request.proof.length > 0) return { status: 422, reason: 'the proof must be empty between trees of one size', origin };
  } else if (known !== undefined && known.size > 0 && !verifyConsistency(known.size, body.size, request.proof, known.root, body.root)) {
    return { status: 422, reason: `the consistency proof from size ${known.size} to ${body.size} does not verify`, origin, evidence: true, note };
  }
  const text = request.note.slice(0, request.note.lastIndexOf('\n\n') + 1);
  return { status: 200, checkpoint: { origin, size: body.size, root: body.root, note }, body: text };
}

const quote = (text: string): string => quoteUntrusted(text, MAX_QUOTED);

/**
 * `note` (already opened with `trusted`) with only the signature lines of trusted keys, the first
 * per key as openNote checks them: what the log signed, without the lines anyone may append.
 */
function trustedNote(note: string, trusted: readonly TrustedKey[]): string {
  const split = note.lastIndexOf('\n\n');
  const seen = new Set<string>();
  const kept = note
    .slice(split + 2, -1)
    .split('\n')
    .filter((line) => {
      const { name, blob } = readSignatureLine(line, (why) => {
        throw new NoteError('malformed', why);
      });
      const id = `${name}+${blob.readUInt32BE(0)}`;
      if (seen.has(id) || !trusted.some((k) => k.name === name && k.keyHash === blob.readUInt32BE(0))) return false;
      seen.add(id);
      return true;
    });
  return `${note.slice(0, split + 2)}${kept.map((line) => `${line}\n`).join('')}`;
}
