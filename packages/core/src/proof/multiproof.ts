/**
 * One proof that many leaves are in a tree (bundle format 2's inclusion.txt): the leaves' indices,
 * and the hash of every maximal subtree that holds none of them, in the order a left-to-right walk
 * of the RFC 6962 tree meets them. The verifier walks the tree over [0, size) as RFC 6962 §2.1.1
 * splits it: a range holding no listed leaf takes the next hash of the proof, a single listed leaf
 * is that leaf's hash, and anything else is the node hash of its two halves. The walk must use
 * every hash exactly once and reach the checkpoint's root. By collision resistance, that shows
 * each leaf is at its index in the tree the root commits to: what one inclusion proof per leaf
 * shows, with each shared node hashed once and each hash written once.
 *
 * The file, exactly (every line ends with '\n'):
 *   latch-evidence-bundle@2 inclusion
 *   size <tree size, decimal>
 *   leaves <index> <index> ...        one per event, in seq order, strictly increasing
 *   <hash>                            per subtree, 44 characters of canonical base64
 */
import { leafHashInto, leafHashLatin1 } from './batch-inclusion.js';
import { nativeAddon } from './native-addon.js';
import { hashNodes } from './sha256-batch.js';
import { inclusionProofRanges } from './tree-ranges.js';

export const MULTIPROOF_HEADER = 'latch-evidence-bundle@2 inclusion';
const LINE = 45; // 44 base64 characters and '\n'

/** RFC 6962's split point: the largest power of two strictly less than n (n ≥ 2). */
function splitPoint(n: number): number {
  if (n <= 0x80000000) return 2 ** (31 - Math.clz32(n - 1)); // n - 1 fits 32 bits: one instruction
  let k = 0x80000000;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The first k in [first, last) with indices[k] ≥ mid (last if none): where a sorted run splits. */
function splitIndex(indices: readonly number[], first: number, last: number, mid: number): number {
  let lo = first;
  let hi = last;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (indices[m]! < mid) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** The leaves' indices were not strictly increasing, or are outside the tree: the builder's input was wrong. */
export class MultiproofError extends Error {}

/**
 * The multiproof's hashes, taken from one inclusion proof per leaf against the same tree: each
 * maximal subtree without a listed leaf is the sibling of a node on some leaf's path, so every hash
 * needed is in those proofs.
 */
export function multiproofHashes(size: number, proofs: ReadonlyArray<{ index: number; proof: readonly Uint8Array[] }>): Buffer[] {
  const known = new Map<string, Uint8Array>();
  const indices = proofs.map((p) => p.index);
  for (const [k, { index, proof }] of proofs.entries()) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size || (k > 0 && index <= indices[k - 1]!)) {
      throw new MultiproofError(`leaf index ${index} is out of order or outside the tree of size ${size}`);
    }
    const ranges = inclusionProofRanges(index, size);
    if (ranges.length !== proof.length) throw new MultiproofError(`the proof of leaf ${index} has ${proof.length} hashes, not ${ranges.length}`);
    ranges.forEach(([lo, hi], i) => known.set(`${lo}-${hi}`, proof[i]!));
  }
  const out: Buffer[] = [];
  const walk = (lo: number, hi: number, first: number, last: number): void => {
    if (first === last) {
      const h = known.get(`${lo}-${hi}`);
      if (h === undefined) throw new MultiproofError(`no proof gives the subtree [${lo}, ${hi})`);
      out.push(Buffer.from(h));
      return;
    }
    if (hi - lo === 1) return;
    const mid = lo + splitPoint(hi - lo);
    const k = splitIndex(indices, first, last, mid);
    walk(lo, mid, first, k);
    walk(mid, hi, k, last);
  };
  if (indices.length > 0) walk(0, size, 0, indices.length);
  return out;
}

export function formatMultiproof(size: number, indices: readonly number[], hashes: readonly Uint8Array[]): string {
  return `${MULTIPROOF_HEADER}\nsize ${size}\nleaves ${indices.join(' ')}\n${hashes.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('')}`;
}

export interface Multiproof {
  size: number;
  indices: number[];
  /** The hash lines, each 44 base64 characters and '\n' (checked as they are used). */
  hashes: Buffer;
}

const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;

/** Reads inclusion.txt strictly; a problem description when it is malformed. */
export function parseMultiproof(bytes: Buffer): Multiproof | string {
  const header = `${MULTIPROOF_HEADER}\nsize `;
  if (bytes.toString('latin1', 0, header.length) !== header) return `does not start with "${MULTIPROOF_HEADER}" and a size line`;
  const sizeEnd = bytes.indexOf(0x0a, header.length);
  const size = sizeEnd < 0 ? '' : bytes.toString('latin1', header.length, sizeEnd);
  if (!DECIMAL.test(size) || Number(size) < 1) return `size ${JSON.stringify(size.slice(0, 20))} is not a positive decimal integer without leading zeros`;
  const leavesStart = sizeEnd + 1 + 'leaves '.length;
  const leavesEnd = bytes.indexOf(0x0a, leavesStart);
  if (bytes.toString('latin1', sizeEnd + 1, leavesStart) !== 'leaves ' || leavesEnd < 0) return 'the third line must list the leaves: "leaves <index> <index> ..."';
  const indices: number[] = [];
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = leavesStart; i <= leavesEnd; i++) {
    const c = bytes[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (digits === 0) leadingZero = c === 0x30;
      else if (leadingZero || digits >= 16) return `leaf index ${indices.length + 1} is not a decimal integer without leading zeros`;
      value = value * 10 + (c - 0x30);
      digits++;
    } else if ((c === 0x20 || c === 0x0a) && digits > 0) {
      indices.push(value);
      value = 0;
      digits = 0;
    } else {
      return `leaf index ${indices.length + 1} is not a decimal integer without leading zeros`;
    }
  }
  const hashes = bytes.subarray(leavesEnd + 1);
  if (hashes.length % LINE !== 0) return 'the hash lines must each be 44 characters of base64';
  return { size: Number(size), indices, hashes };
}

/** Each base64 digit's value, or 64 for a byte that is not one. */
const DIGIT = new Uint8Array(256).fill(64);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) DIGIT[c.charCodeAt(0)] = i;

/**
 * Decodes hash line `i` of the proof into `out` at `at`: false when it is not canonical base64 of
 * 32 bytes and '\n' (43 digits, the last with its two spare bits zero, then '=').
 */
function decodeHashLine(hashes: Buffer, i: number, out: Buffer, at: number): boolean {
  const line = i * LINE;
  if (hashes[line + 43] !== 0x3d || hashes[line + 44] !== 0x0a) return false;
  let o = at;
  let bad = 0;
  for (let j = line; j < line + 40; j += 4) {
    const a = DIGIT[hashes[j]!]!;
    const b = DIGIT[hashes[j + 1]!]!;
    const c = DIGIT[hashes[j + 2]!]!;
    const d = DIGIT[hashes[j + 3]!]!;
    bad |= a | b | c | d;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  const a = DIGIT[hashes[line + 40]!]!;
  const b = DIGIT[hashes[line + 41]!]!;
  const c = DIGIT[hashes[line + 42]!]!;
  bad |= a | b | c;
  const n = (a << 18) | (b << 12) | (c << 6);
  out[o++] = n >> 16;
  out[o] = (n >> 8) & 0xff;
  // Every digit below 64, and the last one's spare bits zero: one canonical spelling per hash.
  return (bad & 64) === 0 && (c & 3) === 0;
}

/**
 * The root the proof and the leaves lead to (base64), or why they lead nowhere. `leaves` holds the
 * listed leaves' hashes, 32 bytes each (leafHashInto), in the order of `proof.indices`, which must
 * increase strictly and lie inside the tree.
 *
 * The walk hashes nothing itself: every hash has a slot (the leaves first, then the proof's hashes
 * in their order, then each node as the walk meets it), and the walk writes each node as the pair
 * of slots it hashes, children before parents; then all the nodes are hashed in one batch
 * (sha256-batch.ts).
 */
export function multiproofRoot(proof: Multiproof, leaves: Buffer): string | { problem: string } {
  const { size, indices, hashes } = proof;
  const leafCount = leaves.length / 32;
  if (indices.length !== leafCount) return { problem: `lists ${indices.length} leaves for ${leafCount} events` };
  for (let k = 0; k < indices.length; k++) {
    if (indices[k]! >= size) return { problem: `leaf index ${indices[k]} is outside the tree of size ${size}` };
    if (k > 0 && indices[k]! <= indices[k - 1]!) return { problem: `leaf indices must increase: ${indices[k]} follows ${indices[k - 1]}` };
  }
  if (indices.length === 0) return { problem: 'lists no leaves' };
  const count = hashes.length / LINE;
  // A walk meets at most one subtree without a listed leaf per level of each leaf's path (a size is
  // a safe integer: 53 levels), and one node fewer than the subtrees and leaves it joins.
  const proofSlots = Math.min(count, 53 * leafCount);
  const slots = Buffer.allocUnsafe(32 * (2 * (leafCount + proofSlots)));
  leaves.copy(slots, 0);
  const ops = new Int32Array(3 * (leafCount + proofSlots));
  // The proof's hashes, decoded in order into the slots after the leaves (the walk uses them in order).
  const { badLine, root, nodes, next } = nativeSlots(proof, leafCount, proofSlots, slots, ops) ?? walkSlots(proof, leafCount, proofSlots, slots, ops);
  // The first problem a walk meets: a hash line it used that is not canonical, or running out of them.
  if (badLine < Math.min(next, count)) return { problem: `hash line ${badLine + 1} is not canonical base64 of 32 bytes` };
  if (next > count) return { problem: 'has too few hashes' };
  if (next !== count) return { problem: `has ${count - next} hash(es) more than the tree needs` };
  hashNodes(slots, ops, nodes);
  return slots.toString('base64', 32 * root, 32 * root + 32);
}

/** What decoding the proof's hashes and walking the tree give: slots numbered, nodes written to `ops`. */
interface Walked {
  /** The first hash line that is not canonical base64 of 32 bytes (proofSlots: none). */
  badLine: number;
  root: number;
  nodes: number;
  /** How many of the proof's hashes the walk used: more than proofSlots when it needed more than there are. */
  next: number;
}

/**
 * Decodes the proof's hashes into the slots after the leaves, and walks the tree: the leaves are
 * slots 0..n-1, the proof's hashes n.. in their order, the nodes n + proofSlots.., each written to
 * `ops` as (left, right, to), children first.
 */
function walkSlots({ size, indices, hashes }: Multiproof, leafCount: number, proofSlots: number, slots: Buffer, ops: Int32Array): Walked {
  let badLine = proofSlots;
  for (let line = 0; line < proofSlots; line++) {
    if (!decodeHashLine(hashes, line, slots, 32 * (leafCount + line)) && badLine === proofSlots) badLine = line;
  }
  let free = leafCount + proofSlots;
  let nodes = 0;
  let next = 0;
  /** The slot of the hash of the subtree [lo, hi), which holds listed leaves first..last-1. */
  const walk = (lo: number, hi: number, first: number, last: number): number => {
    if (first === last) return leafCount + next++;
    if (hi - lo === 1) return first;
    const mid = lo + splitPoint(hi - lo);
    const k = splitIndex(indices, first, last, mid);
    const left = walk(lo, mid, first, k);
    const right = walk(mid, hi, k, last);
    ops[3 * nodes] = left;
    ops[3 * nodes + 1] = right;
    ops[3 * nodes + 2] = free;
    nodes++;
    return free++;
  };
  const root = walk(0, size, 0, indices.length);
  return { badLine, root, nodes, next };
}

/** The same through the native addon (native/multiproof.c), where it is built; undefined otherwise. */
function nativeSlots({ size, indices, hashes }: Multiproof, leafCount: number, proofSlots: number, slots: Buffer, ops: Int32Array): Walked | undefined {
  const native = nativeAddon();
  if (native === undefined) return undefined;
  const badLine = native.decodeHashLines(hashes, proofSlots, slots, leafCount);
  const walked = new Float64Array(3);
  if (badLine < 0 || !native.multiproofWalk(Float64Array.from(indices), size, proofSlots, ops, walked)) return undefined;
  return { badLine, root: walked[0]!, nodes: walked[1]!, next: walked[2]! };
}

export { leafHashInto, leafHashLatin1 };
