/**
 * Verifies many inclusion proofs against one tree head, hashing each shared node once.
 *
 * Every node value that a proof brings to the root is *proven*: by collision resistance it is the
 * value of that node in the tree the root commits to. Proven values are kept by position. A later
 * proof must agree with them wherever it touches them (any disagreement could not reach the root),
 * and once both children of a step are proven, their parent is already known and is not hashed
 * again. A proof that fails leaves nothing behind, so one bad proof cannot vouch for another.
 *
 * Proofs usually come in leaf order, so a proof's path soon joins the previous proof's. From the
 * node where they join, both list the same siblings in the same order, ending their proofs: the rest
 * of the new proof is then checked by comparing that text with the previous proof's, at once.
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
import { isHashBase64 } from './tlog-proof.js';

/** A proof line: 44 base64 characters and '\n'. */
const LINE = 45;
const NEWLINE = 0x0a;
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01);
let leafInput = Buffer.alloc(4096);

/** SHA-256(0x01 ‖ left ‖ right) of two base64 hashes, as base64. */
function nodeHashBase64(left: string, right: string): string {
  nodeInput.write(left, 1, HASH_SIZE, 'base64');
  nodeInput.write(right, 1 + HASH_SIZE, HASH_SIZE, 'base64');
  return hash('sha256', nodeInput, 'base64');
}

/** RFC 6962 leaf hash SHA-256(0x00 ‖ bytes), as base64. Reuses one input buffer: no per-leaf concat. */
export function leafHashBase64(bytes: Uint8Array): string {
  if (leafInput.length < bytes.length + 1) leafInput = Buffer.alloc(2 * (bytes.length + 1));
  leafInput[0] = 0x00;
  leafInput.set(bytes, 1);
  return hash('sha256', leafInput.subarray(0, bytes.length + 1), 'base64');
}

/** Proof hashes as the lines of a tlog-proof: each base64 hash followed by '\n'. */
export function proofLines(hashes: readonly string[]): Buffer {
  return Buffer.from(hashes.map((h) => `${h}\n`).join(''), 'latin1');
}

/** The last proof that verified: its leaf, its lines, and where in them the siblings above each level start. */
interface Verified {
  index: number;
  lines: Buffer;
  tailAt: number[];
}

export class InclusionBatch {
  readonly #size: number;
  readonly #root: string;
  /** proven[level].get(index) = base64 value of that node. */
  readonly #proven: Array<Map<number, string>> = [];
  /** Nodes met by the proof being checked, committed only if it reaches the root (reused: no garbage per proof). */
  readonly #fresh = { levels: [] as number[], indices: [] as number[], values: [] as string[], count: 0 };
  #last: Verified | undefined;

  constructor(treeSize: number, root: Uint8Array) {
    this.#size = treeSize;
    this.#root = Buffer.from(root).toString('base64');
  }

  #row(level: number): Map<number, string> {
    let row = this.#proven[level];
    if (row === undefined) this.#proven[level] = row = new Map();
    return row;
  }

  #remember(level: number, index: number, value: string): void {
    const fresh = this.#fresh;
    fresh.levels[fresh.count] = level;
    fresh.indices[fresh.count] = index;
    fresh.values[fresh.count++] = value;
  }

  #accept(verified: Verified): true {
    const { levels, indices, values, count } = this.#fresh;
    for (let i = 0; i < count; i++) this.#row(levels[i]!).set(indices[i]!, values[i]!);
    this.#last = verified;
    return true;
  }

  /**
   * True when `lines` (the proof's base64 hashes, each followed by '\n', leaf sibling first, as bytes) prove
   * the leaf hash `leaf` (base64) at `index`.
   */
  verify(leaf: string, index: number, lines: Buffer): boolean {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#size || !isHashBase64(leaf) || lines.length % LINE !== 0) return false;
    this.#fresh.count = 0;
    const last = this.#last;
    const tailAt: number[] = [];
    let fn = index;
    let sn = this.#size - 1;
    let lastFn = last?.index ?? -1; // the previous proof's path, at the current level
    let level = 0;
    let value = leaf;
    const known = this.#row(0).get(index);
    if (known !== undefined && known !== value) return false;
    let proven = known !== undefined;
    if (!proven) this.#remember(0, index, value);

    for (let offset = 0; offset < lines.length; offset += LINE) {
      if (sn === 0) return false; // proof longer than the path
      if (lines[offset + LINE - 1] !== NEWLINE) return false;
      const sibling = lines.toString('latin1', offset, offset + LINE - 1);
      const siblingIsLeft = fn % 2 === 1 || fn === sn;
      // A lone node on the right edge: the same range at each level up until it is a right child.
      while (fn === sn && fn % 2 === 0) {
        fn /= 2;
        sn /= 2;
        lastFn = Math.floor(lastFn / 2);
        level++;
      }
      const siblingIndex = siblingIsLeft ? fn - 1 : fn + 1;
      const provenSibling = this.#row(level).get(siblingIndex);
      if (provenSibling !== undefined ? provenSibling !== sibling : !isHashBase64(sibling)) return false;
      if (provenSibling === undefined) this.#remember(level, siblingIndex, sibling);

      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
      lastFn = Math.floor(lastFn / 2);
      level++;
      tailAt[level] = offset + LINE;
      const provenParent = this.#row(level).get(fn);
      if (proven && provenSibling !== undefined && provenParent !== undefined) {
        value = provenParent; // both children proven: the parent is their hash, already known
      } else {
        value = siblingIsLeft ? nodeHashBase64(sibling, value) : nodeHashBase64(value, sibling);
        if (provenParent !== undefined && provenParent !== value) return false;
        proven = provenParent !== undefined;
        if (!proven) this.#remember(level, fn, value);
      }
      if (proven && last !== undefined && fn === lastFn && last.tailAt[level] !== undefined) return this.#joinLast(last, lines, index, tailAt, level);
    }
    if (sn !== 0 || value !== this.#root) return false;
    return this.#accept({ index, lines, tailAt });
  }

  /**
   * The proof has reached, with the proven value, a node on the last verified proof's path: from
   * here both proofs must list the same siblings, so the rest of the text must be the same.
   */
  #joinLast(last: Verified, lines: Buffer, index: number, tailAt: number[], level: number): boolean {
    const tail = tailAt[level]!;
    const lastTail = last.tailAt[level]!;
    if (lines.length - tail !== last.lines.length - lastTail || lines.compare(last.lines, lastTail, last.lines.length, tail, lines.length) !== 0) return false;
    for (let l = level + 1; l < last.tailAt.length; l++) {
      if (last.tailAt[l] !== undefined) tailAt[l] = tail + last.tailAt[l]! - lastTail;
    }
    return this.#accept({ index, lines, tailAt });
  }
}
