import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { useNative } from './native-addon.js';
import { LEAF_PREFIX, NO_PREFIX, hashNodes, hashSpans, sha256Batcher } from './sha256-batch.js';

// The batches must give exactly what one node:crypto call per message gives, through the addon and
// without it; and an argument that would read or write outside its buffer is refused, not obeyed.

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Spans of `bytes`: empty ones, one past a block boundary, and lengths up to a few blocks, some overlapping. */
function spansOf(bytes: Buffer, count: number): Int32Array {
  const bounds = new Int32Array(2 * count);
  for (let k = 0; k < count; k++) {
    const length = [0, 1, 55, 56, 63, 64, 65, 119, 120][k] ?? Math.floor(Math.random() * 600);
    const start = Math.floor(Math.random() * (bytes.length - length));
    bounds[2 * k] = start;
    bounds[2 * k + 1] = start + length;
  }
  return bounds;
}

const paths = [
  ['the native addon', true],
  ['node:crypto', false],
] as const;

afterEach(() => useNative(true));

describe('the native SHA-256 batch', () => {
  it('is built by npm install on this machine (so the tests below check it, not only node:crypto twice)', () => {
    expect(sha256Batcher()).toBe('native');
  });
});

describe.each(paths)('hashing in batches through %s', (_name, native) => {
  it('hashes each span, alone or after a leaf prefix, into bytes or hex', () => {
    useNative(native);
    const bytes = randomBytes(8192);
    const bounds = spansOf(bytes, 300);
    const count = bounds.length / 2;
    const span = (k: number): Buffer => bytes.subarray(bounds[2 * k], bounds[2 * k + 1]);
    const plainHex = Buffer.alloc(64 * count);
    const leaves = Buffer.alloc(32 * count);
    hashSpans(bytes, bounds, NO_PREFIX, plainHex, true);
    hashSpans(bytes, bounds, LEAF_PREFIX, leaves, false);
    for (let k = 0; k < count; k++) {
      expect(plainHex.toString('latin1', 64 * k, 64 * k + 64)).toBe(sha256(span(k)).toString('hex'));
      expect(leaves.subarray(32 * k, 32 * k + 32)).toEqual(sha256(Buffer.of(0), span(k)));
    }
  });

  it('hashes nodes in order, each reading the slots earlier ones wrote', () => {
    useNative(native);
    // 64 leaves, then a whole tree over them: slot 64 + j is node j, children before parents.
    const slots = Buffer.alloc(32 * 127);
    randomBytes(32 * 64).copy(slots);
    const expected: Buffer[] = [...Array(64).keys()].map((k) => slots.subarray(32 * k, 32 * k + 32));
    const ops: number[] = [];
    let level = [...Array(64).keys()];
    let next = 64;
    while (level.length > 1) {
      const up: number[] = [];
      for (let k = 0; k < level.length; k += 2) {
        ops.push(level[k]!, level[k + 1]!, next);
        expected[next] = sha256(Buffer.of(1), expected[level[k]!]!, expected[level[k + 1]!]!);
        up.push(next++);
      }
      level = up;
    }
    hashNodes(slots, Int32Array.from(ops), ops.length / 3);
    for (let s = 64; s < 127; s++) expect(slots.subarray(32 * s, 32 * s + 32)).toEqual(expected[s]);
  });

  it('refuses spans, outputs and slots outside their buffers, writing nothing', () => {
    useNative(native);
    const bytes = randomBytes(100);
    const out = Buffer.alloc(64 * 2);
    const refused = (run: () => void): void => {
      expect(run).toThrow(RangeError);
      expect(out.equals(Buffer.alloc(out.length))).toBe(true);
    };
    refused(() => hashSpans(bytes, Int32Array.of(0, 10, 90, 101), NO_PREFIX, out, false));
    refused(() => hashSpans(bytes, Int32Array.of(-1, 10), NO_PREFIX, out, false));
    refused(() => hashSpans(bytes, Int32Array.of(10, 5), NO_PREFIX, out, false));
    refused(() => hashSpans(bytes, Int32Array.of(0, 10, 0, 10, 0, 10), NO_PREFIX, out, true));
    refused(() => hashSpans(bytes, Int32Array.of(0, 10, 20), NO_PREFIX, out, false));
    refused(() => hashNodes(out, Int32Array.of(0, 1, 4), 1));
    refused(() => hashNodes(out, Int32Array.of(0, -1, 2), 1));
    refused(() => hashNodes(out, Int32Array.of(0, 1, 2), 2));
  });
});
