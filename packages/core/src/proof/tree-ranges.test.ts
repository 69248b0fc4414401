import { describe, expect, it } from 'vitest';
import { consistencyProof, inclusionProof, leafHash, rootOf, verifyConsistency, verifyInclusion } from './merkle.js';
import {
  CompactRange,
  consistencyProofRanges,
  hashOfSubtrees,
  inclusionProofRanges,
  perfectSubtrees,
  type NodeRef,
} from './tree-ranges.js';

const leaves = Array.from({ length: 300 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));

const hex = (h: Uint8Array): string => Buffer.from(h).toString('hex');

const memo = new Map<string, Buffer>();
function memoized(key: string, compute: () => Buffer): Buffer {
  if (!memo.has(key)) memo.set(key, compute());
  return memo.get(key)!;
}

/** Hash of a perfect subtree computed straight from the leaves, independently of the code under test. */
function subtreeHash({ level, index }: NodeRef): Buffer {
  const size = 2 ** level;
  return memoized(`node ${level}/${index}`, () => rootOf(leaves.slice(index * size, (index + 1) * size)));
}

/** RFC 6962 MTH of leaves [lo, hi), straight from the definition. */
function mth(lo: number, hi: number): Buffer {
  return memoized(`mth ${lo}-${hi}`, () => rootOf(leaves.slice(lo, hi)));
}

/** MTH of a leaf range the way the server will compute it: from stored perfect-subtree hashes. */
function rangeHash(lo: number, hi: number): Buffer {
  return hashOfSubtrees(perfectSubtrees(lo, hi).map(subtreeHash));
}

describe('perfectSubtrees', () => {
  it('decomposes ranges greedily into aligned perfect subtrees', () => {
    expect(perfectSubtrees(0, 0)).toEqual([]);
    expect(perfectSubtrees(0, 1)).toEqual([{ level: 0, index: 0 }]);
    expect(perfectSubtrees(0, 7)).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    expect(perfectSubtrees(3, 13)).toEqual([
      { level: 0, index: 3 },
      { level: 2, index: 1 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(perfectSubtrees(2 ** 40, 2 ** 40 + 2 ** 39 + 1)).toEqual([
      { level: 39, index: 2 },
      { level: 0, index: 2 ** 40 + 2 ** 39 },
    ]);
  });

  it('covers the range exactly, left to right, with aligned subtrees', () => {
    for (let lo = 0; lo < 40; lo++) {
      for (let hi = lo; hi < 80; hi++) {
        let next = lo;
        for (const { level, index } of perfectSubtrees(lo, hi)) {
          expect(index * 2 ** level).toBe(next);
          next += 2 ** level;
        }
        expect(next).toBe(hi);
      }
    }
  });

  it('rejects impossible ranges', () => {
    expect(() => perfectSubtrees(3, 2)).toThrow(RangeError);
    expect(() => perfectSubtrees(-1, 2)).toThrow(RangeError);
    expect(() => perfectSubtrees(0, 1.5)).toThrow(RangeError);
  });
});

describe('hashOfSubtrees', () => {
  it('equals rootOf for every prefix [0, n), including the empty tree', () => {
    for (let n = 0; n <= 300; n++) expect(rangeHash(0, n)).toEqual(rootOf(leaves.slice(0, n)));
  });

  it('is not the MTH of an arbitrary unaligned range (only proof ranges are promised)', () => {
    // [1, 4) = leaf 1 then the pair (2, 3): the fold gives H(l1, H(l2, l3)); RFC 6962 splits 3 leaves 2+1.
    expect(rangeHash(1, 4)).not.toEqual(rootOf(leaves.slice(1, 4)));
  });
});

describe('proof ranges', () => {
  it('rebuild inclusionProof for every size 1..70 and every index', () => {
    for (let n = 1; n <= 70; n++) {
      const tree = leaves.slice(0, n);
      for (let i = 0; i < n; i++) {
        const ranges = inclusionProofRanges(i, n);
        for (const [lo, hi] of ranges) expect(hex(rangeHash(lo, hi))).toBe(hex(mth(lo, hi)));
        const proof = ranges.map(([lo, hi]) => rangeHash(lo, hi));
        expect(proof.map(hex)).toEqual(inclusionProof(tree, i).map(hex));
        expect(verifyInclusion(tree[i]!, i, n, proof, mth(0, n))).toBe(true);
      }
    }
  });

  it('rebuild consistencyProof for every size 1..70 and every size1', () => {
    for (let n = 1; n <= 70; n++) {
      const tree = leaves.slice(0, n);
      for (let m = 1; m <= n; m++) {
        const ranges = consistencyProofRanges(m, n);
        for (const [lo, hi] of ranges) expect(hex(rangeHash(lo, hi))).toBe(hex(mth(lo, hi)));
        const proof = ranges.map(([lo, hi]) => rangeHash(lo, hi));
        expect(proof.map(hex)).toEqual(consistencyProof(tree, m).map(hex));
        expect(verifyConsistency(m, n, proof, mth(0, m), mth(0, n))).toBe(true);
      }
    }
  });

  it('work for sizes beyond 2^32', () => {
    const size = 2 ** 40 + 5;
    const ranges = inclusionProofRanges(size - 1, size);
    expect(ranges).toEqual([
      [2 ** 40, 2 ** 40 + 4],
      [0, 2 ** 40],
    ]);
    expect(consistencyProofRanges(2 ** 40, size)).toEqual([[2 ** 40, size]]);
  });

  it('reject impossible arguments', () => {
    expect(() => inclusionProofRanges(4, 4)).toThrow(RangeError);
    expect(() => inclusionProofRanges(-1, 4)).toThrow(RangeError);
    expect(() => consistencyProofRanges(0, 4)).toThrow(RangeError);
    expect(() => consistencyProofRanges(5, 4)).toThrow(RangeError);
  });
});

describe('CompactRange', () => {
  it('tracks the root of every size 0..300', () => {
    const range = new CompactRange();
    expect(range.root()).toEqual(rootOf([]));
    for (let n = 1; n <= 300; n++) {
      range.append(leaves[n - 1]!);
      expect(range.size).toBe(n);
      expect(range.root()).toEqual(rootOf(leaves.slice(0, n)));
    }
  });

  it('returns exactly the perfect nodes each leaf completes, with their hashes', () => {
    const range = new CompactRange();
    const seen: string[] = [];
    for (let n = 0; n < 300; n++) {
      const completed = range.append(leaves[n]!);
      for (const node of completed) {
        expect(node.hash).toEqual(subtreeHash(node));
        // A node is completed by the last leaf it covers.
        expect((node.index + 1) * 2 ** node.level).toBe(n + 1);
        seen.push(`${node.level}/${node.index}`);
      }
    }
    // Every perfect node of level ≥ 1 inside 300 leaves, each once: 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1.
    expect(seen.length).toBe(296);
    expect(new Set(seen).size).toBe(296);
  });

  it('resumes from a stored size and frontier', () => {
    const first = new CompactRange();
    for (let n = 0; n < 123; n++) first.append(leaves[n]!);
    const refs = CompactRange.frontierRefs(123);
    expect(refs).toEqual(perfectSubtrees(0, 123));
    const resumed = new CompactRange(123, refs.map(subtreeHash));
    expect(resumed.frontier).toEqual(first.frontier);
    for (let n = 123; n < 300; n++) {
      expect(resumed.append(leaves[n]!)).toEqual(first.append(leaves[n]!));
    }
    expect(resumed.root()).toEqual(rootOf(leaves));
  });

  it('rejects a frontier that does not fit the size', () => {
    expect(() => new CompactRange(3, [leaves[0]!])).toThrow(RangeError);
    expect(() => new CompactRange(1, [Buffer.alloc(31)])).toThrow(RangeError);
    expect(() => new CompactRange().append(Buffer.alloc(33))).toThrow(RangeError);
  });
});
