/**
 * Merkle proofs from stored subtree hashes. The sequencer stores the hash of every perfect subtree
 * it completes, keyed (level, index); any RFC 6962 subtree, and so any proof, is then a short fold
 * over a few stored hashes instead of a recomputation over the leaves.
 *
 * Sizes and indices are safe integers; arithmetic uses division, not 32-bit bit operations.
 */
import { HASH_SIZE, nodeHash, rootOf } from './merkle.js';

/** The perfect subtree over leaves [index·2^level, (index+1)·2^level); level 0 is a leaf hash. */
export interface NodeRef {
  level: number;
  index: number;
}

function assertRange(lo: number, hi: number): void {
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < 0 || lo > hi) {
    throw new RangeError(`invalid leaf range [${lo}, ${hi})`);
  }
}

/** Left-to-right decomposition of [lo, hi) into maximal aligned perfect subtrees (greedy). */
export function perfectSubtrees(lo: number, hi: number): NodeRef[] {
  assertRange(lo, hi);
  const out: NodeRef[] = [];
  while (lo < hi) {
    let level = 0;
    while (2 ** (level + 1) <= hi - lo && lo % 2 ** (level + 1) === 0) level++;
    out.push({ level, index: lo / 2 ** level });
    lo += 2 ** level;
  }
  return out;
}

/**
 * RFC 6962 MTH of a range from the hashes of its `perfectSubtrees`, in order: the subtrees shrink
 * left to right, so the tree over them leans right and folds from the right. Correct for [0, n) and
 * for every range an RFC 6962 proof uses (each starts aligned to a power of two at least its size).
 * An empty list is the empty tree, SHA-256("").
 */
export function hashOfSubtrees(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) return rootOf([]);
  let h: Buffer = Buffer.from(hashes[hashes.length - 1]!);
  for (let i = hashes.length - 2; i >= 0; i--) h = nodeHash(hashes[i]!, h);
  return h;
}

/** Largest power of two strictly less than n (n ≥ 2): RFC 6962's split point. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Leaf ranges whose MTHs form PATH(index, D[size]), in proof order (leaf sibling first). */
export function inclusionProofRanges(index: number, size: number): Array<[number, number]> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`inclusionProofRanges: index ${index} out of range for tree size ${size}`);
  }
  // Walk down from the root; the proof lists the siblings bottom-up, so reverse at the end.
  const topDown: Array<[number, number]> = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const mid = lo + splitPoint(hi - lo);
    if (index < mid) {
      topDown.push([mid, hi]);
      hi = mid;
    } else {
      topDown.push([lo, mid]);
      lo = mid;
    }
  }
  return topDown.reverse();
}

/** Leaf ranges whose MTHs form PROOF(size1, D[size2]) (RFC 6962 §2.1.2), in proof order. */
export function consistencyProofRanges(size1: number, size2: number): Array<[number, number]> {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 1 || size1 > size2) {
    throw new RangeError(`consistencyProofRanges: size1 ${size1} out of range for tree size ${size2}`);
  }
  // SUBPROOF(m, D[lo:hi], b), unrolled: `m` counts the old tree's leaves inside [lo, hi), and
  // `complete` is b (still on the old tree's own root, whose hash the verifier already has).
  const topDown: Array<[number, number]> = [];
  let lo = 0;
  let hi = size2;
  let m = size1;
  let complete = true;
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      topDown.push([lo + k, hi]);
      hi = lo + k;
    } else {
      topDown.push([lo, lo + k]);
      lo += k;
      m -= k;
      complete = false;
    }
  }
  const first: Array<[number, number]> = complete ? [] : [[lo, hi]];
  return [...first, ...topDown.reverse()];
}

/** The right edge of an append-only tree: enough to append leaves and compute the root. */
export class CompactRange {
  #size: number;
  /** Hashes of perfectSubtrees(0, size), largest (leftmost) first. */
  readonly #frontier: Buffer[];

  constructor(size = 0, frontier: Buffer[] = []) {
    const refs = CompactRange.frontierRefs(size);
    if (frontier.length !== refs.length || frontier.some((h) => h.length !== HASH_SIZE)) {
      throw new RangeError(`CompactRange: a tree of size ${size} needs ${refs.length} frontier hashes of ${HASH_SIZE} bytes`);
    }
    this.#size = size;
    this.#frontier = frontier.map((h) => Buffer.from(h));
  }

  /** Which stored nodes make up the frontier of a tree of `size` leaves. */
  static frontierRefs(size: number): NodeRef[] {
    return perfectSubtrees(0, size);
  }

  get size(): number {
    return this.#size;
  }

  /** Copies of the frontier hashes, to persist beside `size`. */
  get frontier(): Buffer[] {
    return this.#frontier.map((h) => Buffer.from(h));
  }

  /** Appends a leaf hash; returns every perfect node of level ≥ 1 that this leaf completes. */
  append(leafHash: Uint8Array): Array<NodeRef & { hash: Buffer }> {
    if (leafHash.length !== HASH_SIZE) throw new RangeError(`CompactRange: leaf hash must be ${HASH_SIZE} bytes`);
    const completed: Array<NodeRef & { hash: Buffer }> = [];
    let hash: Buffer = Buffer.from(leafHash);
    let index = this.#size;
    let level = 0;
    // Each trailing 1 bit of the old size is a perfect subtree on the frontier of the same size
    // as the one just built: merge them into the parent, one level up.
    while (index % 2 === 1) {
      hash = nodeHash(this.#frontier.pop()!, hash);
      index = (index - 1) / 2;
      level++;
      completed.push({ level, index, hash });
    }
    this.#frontier.push(hash);
    this.#size++;
    return completed;
  }

  /** RFC 6962 root of the leaves appended so far; SHA-256("") when empty. */
  root(): Buffer {
    return hashOfSubtrees(this.#frontier);
  }
}
