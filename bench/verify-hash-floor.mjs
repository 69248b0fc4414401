// bench/verify-hash-floor: the SHA-256 work one verification of a bundle can't avoid, timed on its
// own. It records every node:crypto `hash` call one verification makes (its input's length and its
// output's encoding), then replays exactly those calls, on inputs of those lengths, --runs times
// after --warm untimed replays, and prints one line of JSON: the calls by input size and each
// replay's wall time in ms. bench/verify-bundle.mjs runs it pinned to the core its pinned rows run
// on, so the figure sits beside theirs: what part of the verification is hashing no JavaScript can
// speed up (two hashes per event, one per node on the leaves' paths, one per commitment).
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

const report = verifyBundle(readBundleZip(readFileSync(values.zip)), { trusted: parseTrustFile(readFileSync(values.trust, 'utf8')) });
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
const walls = [];
const warm = Number(values.warm);
for (let r = 0; r < warm + Number(values.runs); r++) {
  const start = process.hrtime.bigint();
  for (let k = 0; k < inputs.length; k++) original('sha256', inputs[k], encodings[k]);
  if (r >= warm) walls.push(Number(process.hrtime.bigint() - start) / 1e6);
}
// Calls by input size: a few classes say what they are (event lines, node inputs, commitments).
const sizes = {};
for (const [length] of calls) {
  const size = length === 65 ? 'of 65 bytes (tree nodes)' : length < 65 ? 'under 65 bytes' : length < 4096 ? 'of 66 bytes to 4 KB (events, twice each)' : 'of 4 KB or more (files)';
  sizes[size] = (sizes[size] ?? 0) + 1;
}
console.log(JSON.stringify({ calls: calls.length, sizes, walls }));
