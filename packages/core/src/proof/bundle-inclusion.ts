/**
 * The inclusion check of `verifyBundle`: every event has one tlog-proof, against the bundle's
 * checkpoint, at its own index, leading from the event's leaf hash to the checkpoint's root.
 */
import { isUtf8 } from 'node:buffer';
import { InclusionBatch, leafHashBase64, leafHashInto, proofLines } from './batch-inclusion.js';
import type { CheckpointFacts } from './bundle-checkpoint.js';
import type { EventFacts } from './bundle-events.js';
import type { CheckRecorder } from './bundle-report.js';
import { INCLUSION_FILE, proofFile } from './bundle.js';
import { multiproofRoot, parseMultiproof } from './multiproof.js';
import { TLOG_PROOF_HEADER, parseTlogProof } from './tlog-proof.js';

interface ProofLines {
  index: number;
  /** The hash lines, each followed by '\n', not yet checked for canonical form (InclusionBatch checks them). */
  lines: Buffer;
}

const PREFIX = Buffer.from(`${TLOG_PROOF_HEADER}\nindex `);
const NEWLINE = 0x0a;
const LINE = 45; // 44 base64 characters of a SHA-256 hash, then '\n'

/**
 * Reads a proof file laid out exactly as formatTlogProof writes it (no extra data), without
 * decoding it as a whole: the common case, made cheap. Anything else returns undefined and goes
 * to the strict parser, which also explains what is wrong.
 */
function readProofFast(bytes: Buffer, checkpoint: Buffer): ProofLines | undefined {
  for (let k = 0; k < PREFIX.length; k++) if (bytes[k] !== PREFIX[k]) return undefined;
  let i = PREFIX.length;
  let index = 0;
  const digitsStart = i;
  while (bytes[i]! >= 0x30 && bytes[i]! <= 0x39) index = index * 10 + (bytes[i++]! - 0x30);
  const digits = i - digitsStart;
  if (digits === 0 || digits > 15 || (digits > 1 && bytes[digitsStart] === 0x30) || bytes[i++] !== NEWLINE) return undefined;
  const hashesStart = i;
  while (i < bytes.length && bytes[i] !== NEWLINE) {
    if (bytes[i + LINE - 1] !== NEWLINE) return undefined;
    i += LINE;
  }
  if (bytes.length - (i + 1) !== checkpoint.length || checkpoint.compare(bytes, i + 1) !== 0) return undefined;
  return { index, lines: bytes.subarray(hashesStart, i) };
}

/** Parses a proof file strictly; a problem description when it is malformed or for another checkpoint. */
function readProofStrict(bytes: Buffer, checkpoint: CheckpointFacts): ProofLines | string {
  if (!isUtf8(bytes)) return 'not UTF-8 text';
  try {
    const proof = parseTlogProof(bytes.toString('utf8'));
    if (proof.checkpoint !== checkpoint.note) return "its checkpoint is not the bundle's checkpoint";
    return { index: proof.index, lines: proofLines(proof.proof.map((h) => h.toString('base64'))) };
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Which event's proof claims each leaf index. Proofs usually come in increasing index order, where
 * no index can repeat, so the map is only built once an index fails to increase.
 */
class IndexOwners {
  readonly #indices: number[] = [];
  readonly #seqs: number[] = [];
  #map: Map<number, number> | undefined;

  /** Records that event `seq` claims `index`; the seq of an earlier claimant, if any. */
  claim(index: number, seq: number): number | undefined {
    const indices = this.#indices;
    if (this.#map === undefined && (indices.length === 0 || index > indices[indices.length - 1]!)) {
      indices.push(index);
      this.#seqs.push(seq);
      return undefined;
    }
    this.#map ??= new Map(indices.map((i, k) => [i, this.#seqs[k]!]));
    const owner = this.#map.get(index);
    this.#map.set(index, seq);
    return owner;
  }
}

/** `proofFiles` holds each proof file by the seq its name gives. */
export function checkInclusion(
  events: readonly EventFacts[],
  proofFiles: ReadonlyMap<number, { path: string; bytes: Buffer }>,
  checkpoint: CheckpointFacts | undefined,
  check: CheckRecorder,
): void {
  if (checkpoint === undefined) return check.skip('the checkpoint could not be read');
  const batch = new InclusionBatch(checkpoint.size, checkpoint.root);
  const owners = new IndexOwners();
  let withProof = 0;
  for (const event of events) {
    const file = proofFiles.get(event.seq);
    if (file === undefined) {
      check.fail(`${proofFile(event.seq)}: missing: every event needs an inclusion proof`);
      continue;
    }
    withProof++;
    const { path, bytes } = file;
    const proof = readProofFast(bytes, checkpoint.bytes) ?? readProofStrict(bytes, checkpoint);
    if (typeof proof === 'string') {
      check.fail(`${path}: ${proof}`);
      continue;
    }
    const owner = owners.claim(proof.index, event.seq);
    if (owner !== undefined) check.fail(`${path}: index ${proof.index} is also claimed by ${proofFile(owner)}`);
    if (proof.index >= checkpoint.size) {
      check.fail(`${path}: index ${proof.index} is outside the checkpoint's tree of size ${checkpoint.size}`);
    } else if (!batch.verify(leafHashBase64(event.bytes), proof.index, proof.lines)) {
      const strict = readProofStrict(bytes, checkpoint);
      const why = typeof strict === 'string' ? strict : `does not lead to the checkpoint's root: event ${event.seq} is not at index ${proof.index} of the signed log`;
      check.fail(`${path}: ${why}`);
    }
  }
  // Events have distinct seqs: when each found its proof, no proof is left without an event.
  if (withProof !== proofFiles.size) reportStrayProofs(events, proofFiles, check);
  check.finish(`${events.length} inclusion proofs lead to the root of tree size ${checkpoint.size}`);
}

function reportStrayProofs(events: readonly EventFacts[], proofFiles: ReadonlyMap<number, { path: string }>, check: CheckRecorder): void {
  const eventSeqs = new Set(events.map((e) => e.seq));
  for (const [seq, { path }] of proofFiles) if (!eventSeqs.has(seq)) check.fail(`${path}: there is no event ${seq} in the bundle`);
}

/**
 * Format 2: inclusion.txt proves every event is at its listed index of the checkpoint's tree at
 * once (multiproof.ts). `leaves` are the events' leaf hashes, 32 bytes each, when computed elsewhere.
 */
export function checkInclusionV2(
  events: readonly EventFacts[],
  file: { bytes: Buffer } | undefined,
  checkpoint: CheckpointFacts | undefined,
  check: CheckRecorder,
  leaves?: Buffer,
): void {
  if (checkpoint === undefined) return check.skip('the checkpoint could not be read');
  if (file === undefined) {
    check.fail(`${INCLUSION_FILE}: missing: it proves every event is in the log`);
    return check.finish('');
  }
  const proof = parseMultiproof(file.bytes);
  if (typeof proof === 'string') {
    check.fail(`${INCLUSION_FILE}: ${proof}`);
    return check.finish('');
  }
  if (proof.size !== checkpoint.size) {
    check.fail(`${INCLUSION_FILE}: proves leaves of a tree of size ${proof.size}, but the checkpoint's tree has ${checkpoint.size}`);
    return check.finish('');
  }
  let hashes = leaves;
  if (hashes?.length !== 32 * events.length) {
    hashes = Buffer.allocUnsafe(32 * events.length);
    for (let k = 0; k < events.length; k++) leafHashInto(events[k]!.bytes, hashes, 32 * k);
  }
  const root = multiproofRoot(proof, hashes);
  if (typeof root !== 'string') check.fail(`${INCLUSION_FILE}: ${root.problem}`);
  else if (root !== checkpoint.root.toString('base64')) {
    check.fail(`${INCLUSION_FILE}: the events' leaves and its hashes do not lead to the checkpoint's root: some event is not at its listed index of the signed log`);
  }
  check.finish(`${events.length} events, at the leaves ${INCLUSION_FILE} lists, lead to the root of tree size ${checkpoint.size}`);
}
