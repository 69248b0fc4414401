/**
 * Verifies many inclusion proofs against one tree head, sharing the work of neighbouring proofs.
 *
 * Every node value that a proof brings to the root is *proven*: by collision resistance it is the
 * value of that node in the tree the root commits to. The batch keeps the path of the last proof
 * that verified. Proofs usually come in leaf order, so a new proof's path soon joins that path:
 * from the join node up, both proofs list the same siblings in the same order, ending their proofs.
 * The new proof is checked by hashing up to the join node, comparing the value it computes with the
 * proven one, and comparing the rest of its text with the last proof's, at once. Any two paths
 * join, at the root at the latest, so proofs in any order are checked; in leaf order, cheaply. A
 * proof that fails leaves nothing behind, so one bad proof cannot vouch for another.
 *
 * Hashes are handled as base64 text, the form they take in tlog-proof files (one per line), so
 * proof lines are compared without decoding, and decoded only when a new node must be computed.
 * A proof is given as the bytes of its lines in the file, so the shared tail is compared in place.
 *
 * Positions follow RFC 9162 §2.1.3.2: (level, index) names leaves [index·2^level,
 * min((index+1)·2^level, size)), so the tree's ragged right edge has one name per range.
 */
import { hash } from 'node:crypto';
import { HASH_SIZE } from './merkle.js';
import { HashInput } from './hash-input.js';
import { isHashBase64 } from './tlog-proof.js';

/** A proof line: 44 base64 characters and '\n'. */
const LINE = 45;
const NEWLINE = 0x0a;
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01);
const leafInput = new HashInput(4096);

const BASE64_VALUE = new Uint8Array(128);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) BASE64_VALUE[c.charCodeAt(0)] = i;

/**
 * Writes the 32 bytes of a hash in canonical base64 (44 characters, checked before) at `at`. A
 * loop: Buffer#write's native call costs more than the decoding, and it runs for every node hashed.
 */
function writeHash(text: string, out: Buffer, at: number): void {
  const digit = (i: number): number => BASE64_VALUE[text.charCodeAt(i)]!;
  let o = at;
  for (let i = 0; i < 40; i += 4) {
    const n = (digit(i) << 18) | (digit(i + 1) << 12) | (digit(i + 2) << 6) | digit(i + 3);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  const n = (digit(40) << 18) | (digit(41) << 12) | (digit(42) << 6); // then '='
  out[o++] = n >> 16;
  out[o] = (n >> 8) & 0xff;
}

/** SHA-256(0x01 ‖ left ‖ right) of two base64 hashes, as base64. */
export function nodeHashBase64(left: string, right: string): string {
  writeHash(left, nodeInput, 1);
  writeHash(right, nodeInput, 1 + HASH_SIZE);
  return hash('sha256', nodeInput, 'base64');
}

/** 0x00 ‖ bytes, the input of a leaf hash, in one buffer reused for every leaf: no per-leaf concat or Buffer. */
function leafInputOf(bytes: Uint8Array): Buffer {
  const input = leafInput.ofSize(bytes.length + 1);
  input[0] = 0x00;
  input.set(bytes, 1);
  return leafInput.view(bytes.length + 1);
}

/** RFC 6962 leaf hash SHA-256(0x00 ‖ bytes), as base64. */
export function leafHashBase64(bytes: Uint8Array): string {
  return hash('sha256', leafInputOf(bytes), 'base64');
}

/**
 * RFC 6962 leaf hash SHA-256(0x00 ‖ bytes), as a string of 32 latin1 characters, one per byte:
 * the form the multiproof walk takes leaves in. A string is the cheapest digest node:crypto gives
 * (a Buffer costs five times more), and its characters copy into a node's input with no decoding.
 */
export function leafHashLatin1(bytes: Uint8Array): string {
  return hash('sha256', leafInputOf(bytes), 'binary'); // 'binary' is latin1
}

/**
 * Copies a digest given as latin1 characters (leafHashLatin1's 32, a 'binary' digest; or a 'hex'
 * digest's 64) into `out` at `at`: a loop costs less than Buffer#write's native call.
 */
export function writeLatin1Hash(digest: string, out: Buffer, at: number): void {
  for (let k = 0; k < digest.length; k++) out[at + k] = digest.charCodeAt(k);
}

/** Writes the leaf hash of `bytes` into `out` at `at` (32 bytes). */
export function leafHashInto(bytes: Uint8Array, out: Buffer, at: number): void {
  writeLatin1Hash(leafHashLatin1(bytes), out, at);
}

/** Proof hashes as the lines of a tlog-proof: each base64 hash followed by '\n'. */
export function proofLines(hashes: readonly string[]): Buffer {
  return Buffer.from(hashes.map((h) => `${h}\n`).join(''), 'latin1');
}

/**
 * The last proof that verified: its leaf, its lines, and by level the node on its path (a proven
 * value) and where in its lines the siblings above that node start.
 */
interface Verified {
  index: number;
  lines: Buffer;
  path: string[];
  tailAt: number[];
}

/** The last proof's sibling on its step up to `level` is the hash `value` (base64). */
function lastSiblingIs(last: Verified, level: number, value: string): boolean {
  const end = last.tailAt[level];
  if (end === undefined) return false; // it came up to `level` without a sibling (the right edge)
  for (let k = 0; k < LINE - 1; k++) if (last.lines[end - LINE + k] !== value.charCodeAt(k)) return false;
  return true;
}

export class InclusionBatch {
  readonly #size: number;
  readonly #root: string;
  #last: Verified | undefined;

  constructor(treeSize: number, root: Uint8Array) {
    this.#size = treeSize;
    this.#root = Buffer.from(root).toString('base64');
  }

  /**
   * True when `lines` (the proof's base64 hashes, each followed by '\n', leaf sibling first, as bytes) prove
   * the leaf hash `leaf` (base64) at `index`.
   */
  verify(leaf: string, index: number, lines: Buffer): boolean {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#size || !isHashBase64(leaf) || lines.length % LINE !== 0) return false;
    const last = this.#last;
    const path: string[] = [leaf];
    const tailAt: number[] = [];
    let fn = index;
    let sn = this.#size - 1;
    let lastFn = last?.index ?? -1; // the previous proof's path, at the current level
    let level = 0;
    let value = leaf;
    for (let offset = 0; offset < lines.length; offset += LINE) {
      if (sn === 0) return false; // proof longer than the path
      if (lines[offset + LINE - 1] !== NEWLINE) return false;
      const sibling = lines.toString('latin1', offset, offset + LINE - 1);
      if (!isHashBase64(sibling)) return false;
      const siblingIsLeft = fn % 2 === 1 || fn === sn;
      // A lone node on the right edge: the same range at each level up until it is a right child.
      while (fn === sn && fn % 2 === 0) {
        fn /= 2;
        sn /= 2;
        lastFn = Math.floor(lastFn / 2);
        path[++level] = value;
      }
      const siblingIsLastPath = last !== undefined && (siblingIsLeft ? fn - 1 : fn + 1) === lastFn && sibling === last.path[level];
      if (siblingIsLastPath && lastSiblingIs(last, level + 1, value)) {
        value = last.path[level + 1]!; // both children are proven and are the last proof's: so is their parent
      } else {
        value = siblingIsLeft ? nodeHashBase64(sibling, value) : nodeHashBase64(value, sibling);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
      lastFn = Math.floor(lastFn / 2);
      path[++level] = value;
      tailAt[level] = offset + LINE;
      if (fn === lastFn && last !== undefined && last.tailAt[level] !== undefined) return this.#joinLast(last, { index, lines, path, tailAt }, level);
    }
    if (sn !== 0 || value !== this.#root) return false;
    this.#last = { index, lines, path, tailAt };
    return true;
  }

  /**
   * The proof has reached a node on the last verified proof's path, whose value is proven: it must
   * have computed that value, and from there both proofs list the same siblings, so the rest of the
   * text must be the same. (Different text could only reach the root through a hash collision.)
   */
  #joinLast(last: Verified, proof: Verified, level: number): boolean {
    const { lines, path, tailAt } = proof;
    const tail = tailAt[level]!;
    const lastTail = last.tailAt[level]!;
    if (path[level] !== last.path[level]) return false;
    if (lines.length - tail !== last.lines.length - lastTail || lines.compare(last.lines, lastTail, last.lines.length, tail, lines.length) !== 0) return false;
    for (let l = level + 1; l < last.path.length; l++) {
      path[l] = last.path[l]!;
      if (last.tailAt[l] !== undefined) tailAt[l] = tail + last.tailAt[l]! - lastTail;
    }
    this.#last = proof;
    return true;
  }
}
