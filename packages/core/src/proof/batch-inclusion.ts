/**
 * Verifies many inclusion proofs against one tree head, hashing each shared node once.
 *
 * Every node value that a proof brings to the root is *proven*: by collision resistance it is the
 * value of that node in the tree the root commits to. Proven values are kept by position. A later
 * proof must agree with them wherever it touches them (any disagreement could not reach the root),
 * and once both children of a step are proven, their parent is already known and is not hashed
 * again. A proof that fails leaves nothing behind, so one bad proof cannot vouch for another.
 *
 * Hashes are handled as base64 text, the form they take in tlog-proof files, so proof lines are
 * compared without decoding and decoded only when a new node must be computed.
 *
 * Positions follow RFC 9162 §2.1.3.2: (level, index) names leaves [index·2^level,
 * min((index+1)·2^level, size)), so the tree's ragged right edge has one name per range.
 */
import { hash } from 'node:crypto';
import { HASH_SIZE } from './merkle.js';
import { isHashBase64 } from './tlog-proof.js';

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

export class InclusionBatch {
  readonly #size: number;
  readonly #root: string;
  /** proven[level].get(index) = base64 value of that node. */
  readonly #proven: Array<Map<number, string>> = [];

  constructor(treeSize: number, root: Uint8Array) {
    this.#size = treeSize;
    this.#root = Buffer.from(root).toString('base64');
  }

  #get(level: number, index: number): string | undefined {
    return this.#proven[level]?.get(index);
  }

  #commit(nodes: ReadonlyArray<readonly [number, number, string]>): void {
    for (const [level, index, value] of nodes) {
      let row = this.#proven[level];
      if (row === undefined) this.#proven[level] = row = new Map();
      row.set(index, value);
    }
  }

  /** True when `proof` (base64, leaf sibling first) proves the leaf hash `leaf` (base64) at `index`. */
  verify(leaf: string, index: number, proof: readonly string[]): boolean {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#size || !isHashBase64(leaf)) return false;
    const fresh: Array<readonly [number, number, string]> = [];
    let fn = index;
    let sn = this.#size - 1;
    let level = 0;
    let value = leaf;
    const known = this.#get(0, index);
    if (known !== undefined && known !== value) return false;
    let proven = known !== undefined;
    if (!proven) fresh.push([0, index, value]);

    for (const sibling of proof) {
      if (sn === 0) return false; // proof longer than the path
      const siblingIsLeft = fn % 2 === 1 || fn === sn;
      if (siblingIsLeft && fn % 2 === 0) {
        // A lone node on the right edge: the same range at each level up until it is a right child.
        while (fn % 2 === 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
          level++;
        }
      }
      const siblingIndex = siblingIsLeft ? fn - 1 : fn + 1;
      const provenSibling = this.#get(level, siblingIndex);
      if (provenSibling !== undefined ? provenSibling !== sibling : !isHashBase64(sibling)) return false;
      if (provenSibling === undefined) fresh.push([level, siblingIndex, sibling]);

      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
      level++;
      const provenParent = this.#get(level, fn);
      if (proven && provenSibling !== undefined && provenParent !== undefined) {
        value = provenParent; // both children proven: the parent is their hash, already known
        continue;
      }
      value = siblingIsLeft ? nodeHashBase64(sibling, value) : nodeHashBase64(value, sibling);
      if (provenParent !== undefined && provenParent !== value) return false;
      proven = provenParent !== undefined;
      if (!proven) fresh.push([level, fn, value]);
    }
    if (sn !== 0 || value !== this.#root) return false;
    this.#commit(fresh);
    return true;
  }
}
