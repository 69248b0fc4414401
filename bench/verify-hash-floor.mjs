// bench/verify-hash-floor: the SHA-256 work one verification of a bundle can't avoid, timed on its
// own. The verifier hashes events.jsonl's lines twice (their SHA-256, their leaf hash) and the
// multiproof's nodes and the disclosures' commitments in batches (sha256-batch.ts: the native addon
// where it is built), and the rest (files, a commitment outside the builder's layout) with one
// node:crypto `hash` call each. This records those calls (each
// input's length and output's encoding), then replays the same batches and calls on inputs of the
// same lengths, --runs times after --warm untimed replays, and prints one line of JSON: the hashes
// by kind, which hashes the batches, and each replay's wall time in ms. bench/verify-bundle.mjs
// runs it pinned to the core its pinned rows run on, so the figure sits beside theirs: what part of
// the verification is hashing (two hashes per event, one per node on the leaves' paths, one per
// commitment).
// Usage: node bench/verify-hash-floor.mjs --zip bundle.zip --trust trust.txt [--runs N] [--warm N]
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { zip: { type: 'string' }, trust: { type: 'string' }, runs: { type: 'string', default: '15' }, warm: { type: 'string', default: '10' } } });

// Wrapped before the verifier is imported: its `import { hash } from 'node:crypto'` then binds the wrapper.
const original = crypto.hash;
/** @type {Array<[length: number, encoding: string]>} */
const calls = [];
crypto.hash = function recorded(algorithm, data, encoding) {
  calls.push([data.length, encoding]);
  return original.call(this, algorithm, data, encoding);
};
syncBuiltinESMExports();
const { parseTrustFile, readBundleZip, verifyBundle } = await import('../packages/core/dist/verify-offline.js');
const { LEAF_PREFIX, NO_PREFIX, hashNodes, hashSpans, sha256Batcher } = await import('../packages/core/dist/proof/sha256-batch.js');
const { lineBounds } = await import('../packages/core/dist/proof/bundle.js');
const { parseMultiproof } = await import('../packages/core/dist/proof/multiproof.js');

const files = readBundleZip(readFileSync(values.zip));
const report = verifyBundle(files, { trusted: parseTrustFile(readFileSync(values.trust, 'utf8')) });
if (!report.ok) throw new Error(`bench bundle did not verify: ${report.failures.slice(0, 3).join('; ')}`);
crypto.hash = original;
syncBuiltinESMExports();

// The same calls on inputs of the same lengths: one buffer of varied bytes, viewed at each length
// (so the replay reads bytes already in cache: if anything, it times less than the verifier pays).
const largest = calls.reduce((most, [length]) => Math.max(most, length), 0);
const source = Buffer.alloc(largest);
for (let k = 0; k < largest; k++) source[k] = (k * 131 + 7) & 0xff;
const inputs = calls.map(([length]) => source.subarray(0, length));
const encodings = calls.map(([, encoding]) => encoding);

// The batches: events.jsonl's lines as they are, and as many nodes as the multiproof's walk hashes
// (a walk joining n leaves and proof hashes hashes n - 1 nodes), each reading the two before it.
const events = files.get('events.jsonl');
const bounds = events === undefined ? new Int32Array(0) : lineBounds(events);
const lines = bounds.length / 2;
const proof = files.has('inclusion.txt') ? parseMultiproof(files.get('inclusion.txt')) : undefined;
const nodes = typeof proof === 'object' ? proof.indices.length + proof.hashes.length / 45 - 1 : 0;
const slots = Buffer.alloc(32 * (nodes + 2), 7);
const ops = new Int32Array(3 * nodes);
for (let j = 0; j < nodes; j++) ops.set([j, j + 1, j + 2], 3 * j);
// The disclosures' commitments, one batch of salt ‖ value inputs, as disclosures.json's builder layout gives them.
const disclosed = [];
for (const line of (files.get('disclosures.json') ?? Buffer.alloc(0)).toString('utf8').split('\n')) {
  const m = /^"[0-9a-f]{64}":\{"salt":"([0-9a-f]+)","value":(.*)\},?$/.exec(line);
  if (m) disclosed.push(Buffer.concat([Buffer.from(m[1], 'hex'), Buffer.from(m[2])]));
}
const commitmentInputs = Buffer.concat(disclosed);
const commitmentBounds = new Int32Array(2 * disclosed.length);
for (let k = 0, at = 0; k < disclosed.length; at += disclosed[k].length, k++) commitmentBounds.set([at, at + disclosed[k].length], 2 * k);
const commitments = Buffer.alloc(64 * disclosed.length);
const hexes = Buffer.alloc(64 * lines);
const leaves = Buffer.alloc(32 * lines);

const walls = [];
const warm = Number(values.warm);
for (let r = 0; r < warm + Number(values.runs); r++) {
  const start = process.hrtime.bigint();
  if (lines > 0) {
    hashSpans(events, bounds, NO_PREFIX, hexes, true);
    hashSpans(events, bounds, LEAF_PREFIX, leaves, false);
  }
  if (nodes > 0) hashNodes(slots, ops, nodes);
  if (disclosed.length > 0) hashSpans(commitmentInputs, commitmentBounds, NO_PREFIX, commitments, true);
  for (let k = 0; k < inputs.length; k++) original('sha256', inputs[k], encodings[k]);
  if (r >= warm) walls.push(Number(process.hrtime.bigint() - start) / 1e6);
}
// By kind: the batches, then the single calls by input size (commitments are under 65 bytes).
const sizes = { 'events (twice each, in two batches)': 2 * lines, 'tree nodes (one batch)': nodes, 'commitments (one batch)': disclosed.length };
for (const [length] of calls) {
  const size = length < 4096 ? 'single calls under 4 KB' : 'single calls of 4 KB or more (files)';
  sizes[size] = (sizes[size] ?? 0) + 1;
}
console.log(JSON.stringify({ calls: 2 * lines + nodes + disclosed.length + calls.length, sizes, batcher: sha256Batcher(), walls }));
