import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leafHashLatin1 } from './batch-inclusion.js';
import { inclusionProof, leafHash, rootOf } from './merkle.js';
import { formatMultiproof, multiproofHashes, multiproofRoot, parseMultiproof } from './multiproof.js';
import { useNative } from './native-addon.js';
import { NATIVE_PATHS, sameWithoutNative } from './native-paths.fixture.js';

const leafBytes = (i: number): Buffer => Buffer.from(`leaf ${i}`);

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A tree of `size` leaves, a subset of them, and the multiproof for it as inclusion.txt holds it. */
function proofFor(size: number, indices: number[]) {
  const leaves = Array.from({ length: size }, (_, i) => leafHash(leafBytes(i)));
  const hashes = multiproofHashes(size, indices.map((index) => ({ index, proof: inclusionProof(leaves, index) })));
  const text = Buffer.from(formatMultiproof(size, indices, hashes));
  return { root: rootOf(leaves).toString('base64'), text, hashes, leafHashes: indices.map((i) => leafHashLatin1(leafBytes(i))) };
}

function rootFrom(text: Buffer, leafHashes: string[]): string | { problem: string } {
  const parsed = parseMultiproof(text);
  if (typeof parsed === 'string') return { problem: parsed };
  return multiproofRoot(parsed, Buffer.from(leafHashes.join(''), 'latin1'));
}

afterEach(() => useNative(true));

// Both paths: the walk and the hashes' decoding in the native addon (native/multiproof.c), and in TypeScript alone.
describe.each(NATIVE_PATHS)('the multiproof of bundle format 2, %s', (_path, native) => {
  beforeEach(() => useNative(native));

  it('leads to the root for every subset of every tree of up to 9 leaves, and for random subsets up to 300', () => {
    const cases: Array<[number, number[]]> = [];
    for (let size = 1; size <= 9; size++) {
      for (let mask = 1; mask < 2 ** size; mask++) cases.push([size, [...Array(size).keys()].filter((i) => mask & (1 << i))]);
    }
    const next = random(7);
    for (let n = 0; n < 300; n++) {
      const size = 1 + Math.floor(next() * 300);
      const indices = [...Array(size).keys()].filter(() => next() < 0.2);
      if (indices.length > 0) cases.push([size, indices]);
    }
    for (const [size, indices] of cases) {
      const { root, text, leafHashes } = proofFor(size, indices);
      expect(rootFrom(text, leafHashes), `size ${size}, leaves ${indices.join(',')}`).toBe(root);
    }
  });

  it('holds each subtree hash once: all leaves need none, one leaf needs its inclusion proof', () => {
    expect(proofFor(13, [...Array(13).keys()]).hashes).toHaveLength(0);
    const leaves = Array.from({ length: 13 }, (_, i) => leafHash(leafBytes(i)));
    const one = proofFor(13, [6]);
    expect(one.hashes.map((h) => h.toString('hex')).sort()).toEqual(inclusionProof(leaves, 6).map((h) => h.toString('hex')).sort());
    expect(one.text.toString()).toMatch(/^latch-evidence-bundle@2 inclusion\nsize 13\nleaves 6\n([A-Za-z0-9+/]{43}=\n){4}$/);
  });

  it('fails when a leaf is not where it is listed, or a hash or index is altered, dropped or added', () => {
    const { root, text, leafHashes } = proofFor(100, [3, 17, 18, 40, 99]);
    const lines = text.toString().split('\n');
    const variants: Array<[string, string[], string[]]> = [
      ['another leaf', lines, leafHashes.map((h, i) => (i === 2 ? leafHashLatin1(Buffer.from('forged')) : h))],
      ['two leaves swapped', lines, [leafHashes[0]!, leafHashes[2]!, leafHashes[1]!, ...leafHashes.slice(3)]],
      ['an index moved', lines.map((l, i) => (i === 2 ? 'leaves 3 17 19 40 99' : l)), leafHashes],
      ['a hash altered', lines.map((l, i) => (i === 4 ? Buffer.from(Buffer.from(l, 'base64').map((b, k) => (k === 0 ? b ^ 1 : b))).toString('base64') : l)), leafHashes],
    ];
    for (const [what, changed, leaves] of variants) {
      const result = rootFrom(Buffer.from(changed.join('\n')), leaves);
      expect(result, what).not.toBe(root);
    }
    const problems: Array<[string, string, RegExp]> = [
      ['a hash dropped', lines.filter((_, i) => i !== 5).join('\n'), /has too few hashes/],
      ['a hash added', `${lines.slice(0, -1).join('\n')}\n${lines[3]}\n`, /1 hash\(es\) more than the tree needs/],
      ['indices out of order', lines.map((l, i) => (i === 2 ? 'leaves 3 18 17 40 99' : l)).join('\n'), /leaf indices must increase: 17 follows 18/],
      ['an index outside the tree', lines.map((l, i) => (i === 2 ? 'leaves 3 17 18 40 100' : l)).join('\n'), /leaf index 100 is outside the tree of size 100/],
      ['an index with a leading zero', lines.map((l, i) => (i === 2 ? 'leaves 03 17 18 40 99' : l)).join('\n'), /leaf index 1 is not a decimal integer/],
      ['a leaf too few', lines.map((l, i) => (i === 2 ? 'leaves 3 17 18 40' : l)).join('\n'), /lists 4 leaves for 5 events/],
      ['a hash not canonical base64', lines.map((l, i) => (i === 3 ? `${l.slice(0, 42)}B=` : l)).join('\n'), /hash line 1 is not canonical base64/],
      ['another header', text.toString().replace('@2', '@3'), /does not start with/],
      ['a size with a sign', text.toString().replace('size 100', 'size +100'), /size "\+100" is not a positive decimal integer/],
    ];
    for (const [what, changed, problem] of problems) {
      const result = rootFrom(Buffer.from(changed), leafHashes);
      expect(typeof result === 'string' ? result : result.problem, what).toMatch(problem);
    }
  });
});

describe('the native walk and decoding', () => {
  /** The root or problem through the addon and through TypeScript alone, which must be the same. */
  const both = (text: Buffer, leafHashes: string[]): string | { problem: string } => sameWithoutNative(() => rootFrom(text, leafHashes));

  it('give what the TypeScript gives on altered hash lines, too few or too many of them, and trees past 2^32 leaves', () => {
    const next = random(11);
    const alphabet = 'ABZaz09+/=\n-_ !';
    for (let n = 0; n < 300; n++) {
      const size = 1 + Math.floor(next() * 200);
      const indices = [...Array(size).keys()].filter(() => next() < 0.15);
      if (indices.length === 0) continue;
      const { text, leafHashes } = proofFor(size, indices);
      const bytes = Buffer.from(text);
      const header = bytes.indexOf(0x0a, bytes.indexOf(0x0a, bytes.indexOf(0x0a) + 1) + 1) + 1;
      // A character of a hash line changed, a line dropped, or one repeated.
      const kind = n % 3;
      const lines = (bytes.length - header) / 45;
      if (kind === 0 && lines > 0) bytes[header + Math.floor(next() * (bytes.length - header))] = alphabet.charCodeAt(Math.floor(next() * alphabet.length));
      const changed = kind === 1 && lines > 0 ? Buffer.concat([bytes.subarray(0, header), bytes.subarray(header + 45)]) : kind === 2 ? Buffer.concat([bytes, bytes.subarray(header, header + 45)]) : bytes;
      both(changed, leafHashes);
    }
    // Sizes past what 32-bit arithmetic holds: the split points are computed in 64 bits in C.
    for (const size of [2 ** 32 + 5, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      const indices = [0, 2 ** 31, 2 ** 32 + 1, size - 1];
      const hash = `${Buffer.alloc(32, 7).toString('base64')}\n`;
      // Too few hashes, then exactly enough (a root: the walk went all the way), then too many.
      const results = Array.from({ length: 4 * 53 }, (_, count) =>
        both(Buffer.from(`latch-evidence-bundle@2 inclusion\nsize ${size}\nleaves ${indices.join(' ')}\n${hash.repeat(count)}`), indices.map((i) => leafHashLatin1(leafBytes(i)))),
      );
      expect(results.filter((r) => typeof r === 'string')).toHaveLength(1);
    }
  });
});
