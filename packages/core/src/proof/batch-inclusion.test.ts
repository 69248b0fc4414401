import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InclusionBatch, leafHashBase64, proofLines } from './batch-inclusion.js';
import { inclusionProof, leafHash, rootOf, verifyInclusion } from './merkle.js';

const b64 = (h: Uint8Array): string => Buffer.from(h).toString('base64');
const leafData = Array.from({ length: 70 }, (_, i) => Buffer.from(`leaf ${i}`));
const leaves = leafData.map((d) => leafHash(d));

const trees = new Map<number, { root: Buffer; proofs: string[][] }>();
function tree(size: number): { root: Buffer; proofs: string[][] } {
  if (!trees.has(size)) {
    const hashes = leaves.slice(0, size);
    trees.set(size, { root: rootOf(hashes), proofs: hashes.map((_, i) => inclusionProof(hashes, i).map(b64)) });
  }
  return trees.get(size)!;
}

/** Deterministic shuffle, so that proofs meet an already-filled memo in varied orders. */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

describe('leafHashBase64', () => {
  it('is the RFC 6962 leaf hash', () => {
    for (const d of [Buffer.alloc(0), ...leafData, Buffer.alloc(10_000, 7)]) expect(leafHashBase64(d)).toBe(b64(leafHash(d)));
  });
});

describe('InclusionBatch', () => {
  it('accepts every valid proof for every size 1..70, in any order', () => {
    for (let size = 1; size <= 70; size++) {
      const { root, proofs } = tree(size);
      const batch = new InclusionBatch(size, root);
      for (const i of shuffled(size, size)) expect(batch.verify(b64(leaves[i]!), i, proofLines(proofs[i]!))).toBe(true);
      // Again, now that every node is proven (the shortcut path).
      for (let i = 0; i < size; i++) expect(batch.verify(b64(leaves[i]!), i, proofLines(proofs[i]!))).toBe(true);
    }
  });

  it('rejects each altered proof, whether the memo is empty or full, and stays usable after', () => {
    for (const size of [1, 2, 3, 5, 8, 13, 21, 34, 64, 70]) {
      const { root, proofs } = tree(size);
      const empty = (): InclusionBatch => new InclusionBatch(size, root);
      const full = new InclusionBatch(size, root);
      for (let i = 0; i < size; i++) full.verify(b64(leaves[i]!), i, proofLines(proofs[i]!));
      for (let i = 0; i < size; i++) {
        const leaf = b64(leaves[i]!);
        const proof = proofs[i]!;
        const altered: Array<[string, number, string[]]> = [
          [b64(leafHash(Buffer.from('other'))), i, proof],
          ...(size > 1 ? [[leaf, (i + 1) % size, proof] as [string, number, string[]]] : []),
          [leaf, i, [...proof, b64(leaves[0]!)]],
          ...proof.map((_, k): [string, number, string[]] => [leaf, i, proof.map((h, j) => (j === k ? b64(leafHash(Buffer.from(h))) : h))]),
          ...(proof.length > 0 ? [[leaf, i, proof.slice(1)] as [string, number, string[]]] : []),
          ...(proof.length > 0 ? [[leaf, i, proof.slice(0, -1)] as [string, number, string[]]] : []),
          ...(proof.length > 0 ? [[leaf, i, [...proof, proof.at(-1)!]] as [string, number, string[]]] : []),
        ];
        for (const [l, index, p] of altered) {
          expect(verifyInclusion(Buffer.from(l, 'base64'), index, size, p.map((h) => Buffer.from(h, 'base64')), root)).toBe(false);
          expect(empty().verify(l, index, proofLines(p))).toBe(false);
          expect(full.verify(l, index, proofLines(p))).toBe(false);
        }
        expect(full.verify(leaf, i, proofLines(proof))).toBe(true);
      }
    }
  });

  it('a failed proof proves nothing: its nodes are not trusted by later proofs', () => {
    const { root, proofs } = tree(8);
    const batch = new InclusionBatch(8, root);
    const forged = b64(leafHash(Buffer.from('forged')));
    // Forged leaf 1 with leaf 0's real sibling list: fails, and must not make leaf 0's sibling "proven".
    expect(batch.verify(forged, 1, proofLines(proofs[1]!))).toBe(false);
    expect(batch.verify(b64(leaves[0]!), 0, proofLines([forged, ...proofs[0]!.slice(1)]))).toBe(false);
    expect(batch.verify(b64(leaves[0]!), 0, proofLines(proofs[0]!))).toBe(true);
    // Same for a proof that runs past the root.
    const fresh = new InclusionBatch(8, root);
    expect(fresh.verify(forged, 3, proofLines([...proofs[3]!, proofs[3]![0]!]))).toBe(false);
    expect(fresh.verify(b64(leaves[3]!), 3, proofLines(proofs[3]!))).toBe(true);
  });

  it('rejects non-canonical or malformed hash text, even where the memo knows the node', () => {
    const { root, proofs } = tree(5);
    const batch = new InclusionBatch(5, root);
    for (let i = 0; i < 5; i++) expect(batch.verify(b64(leaves[i]!), i, proofLines(proofs[i]!))).toBe(true);
    const line = proofs[2]![0]!;
    const last = line[42]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const respelled = `${line.slice(0, 42)}${alphabet[alphabet.indexOf(last) + 1]}=`;
    expect(Buffer.from(respelled, 'base64')).toEqual(Buffer.from(line, 'base64'));
    expect(batch.verify(b64(leaves[2]!), 2, proofLines([respelled, ...proofs[2]!.slice(1)]))).toBe(false);
    expect(new InclusionBatch(5, root).verify(b64(leaves[2]!), 2, proofLines([respelled, ...proofs[2]!.slice(1)]))).toBe(false);
    expect(new InclusionBatch(5, root).verify(b64(leaves[2]!), 2, proofLines(['not base64', ...proofs[2]!.slice(1)]))).toBe(false);
    expect(batch.verify('short', 2, proofLines(proofs[2]!))).toBe(false);
    expect(batch.verify(b64(leaves[2]!), -1, proofLines(proofs[2]!))).toBe(false);
    expect(batch.verify(b64(leaves[2]!), 5, proofLines(proofs[2]!))).toBe(false);
    expect(batch.verify(b64(leaves[2]!), 2.5, proofLines(proofs[2]!))).toBe(false);
  });

  it('rejects lines that are not 44 characters and a newline', () => {
    const { root, proofs } = tree(9);
    const lines = proofLines(proofs[4]!);
    const batch = new InclusionBatch(9, root);
    const text = lines.toString('latin1');
    expect(batch.verify(b64(leaves[4]!), 4, Buffer.from(text.replace('\n', '\r'), 'latin1'))).toBe(false);
    expect(batch.verify(b64(leaves[4]!), 4, lines.subarray(0, -1))).toBe(false);
    expect(batch.verify(b64(leaves[4]!), 4, Buffer.from(`${text} `, 'latin1'))).toBe(false);
    expect(batch.verify(b64(leaves[4]!), 4, lines)).toBe(true);
  });

  it('agrees with verifyInclusion on random proofs and mutations, after valid proofs in leaf order', () => {
    const mutation = fc.record({
      size: fc.integer({ min: 1, max: 70 }),
      index: fc.nat(),
      claimed: fc.nat(),
      position: fc.nat(),
      kind: fc.constantFrom('none', 'index', 'drop', 'swap', 'leaf', 'dropTop', 'repeatTop', 'replace'),
      before: fc.array(fc.nat(), { maxLength: 12 }),
    });
    fc.assert(
      fc.property(mutation, ({ size, index, claimed, position, kind, before }) => {
        const { root, proofs } = tree(size);
        const i = index % size;
        let leaf = b64(leaves[i]!);
        let at = i;
        const proof = [...proofs[i]!];
        const k = proof.length > 0 ? position % proof.length : 0;
        if (kind === 'index') at = claimed % size;
        if (kind === 'drop' && proof.length > 0) proof.splice(k, 1);
        if (kind === 'swap' && proof.length > 1) [proof[k], proof[(k + 1) % proof.length]] = [proof[(k + 1) % proof.length]!, proof[k]!];
        if (kind === 'leaf') leaf = b64(leaves[(i + 1) % 70]!);
        if (kind === 'dropTop') proof.pop();
        if (kind === 'repeatTop' && proof.length > 0) proof.push(proof.at(-1)!);
        if (kind === 'replace' && proof.length > 0) proof[k] = b64(leafHash(Buffer.from(proof[k]!)));
        // Valid proofs first, in leaf order as in a bundle, so the proof under test can join their paths.
        const batch = new InclusionBatch(size, root);
        for (const j of [...new Set(before.map((n) => n % size))].sort((a, b) => a - b)) {
          expect(batch.verify(b64(leaves[j]!), j, proofLines(proofs[j]!))).toBe(true);
        }
        const expected = verifyInclusion(Buffer.from(leaf, 'base64'), at, size, proof.map((h) => Buffer.from(h, 'base64')), root);
        expect(batch.verify(leaf, at, proofLines(proof))).toBe(expected);
        // Whatever happened, the genuine proof still verifies.
        expect(batch.verify(b64(leaves[i]!), i, proofLines(proofs[i]!))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
