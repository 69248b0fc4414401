// bench/witness: a real `latch witness serve` process cosigning a growing log's checkpoints.
// Each submission is what Latch sends (old size, RFC 6962 consistency proof, signed checkpoint); the
// witness checks the log signature and the proof, fsyncs the new checkpoint and answers a cosignature.
// Reports cosignatures per second, one submission at a time (as Latch submits to one witness), with
// p50/p99 latency, and the cost of checking a cosignature as an auditor does.
// Usage: npm run build && node bench/witness.mjs [--checkpoints N] [--leaves-per-checkpoint K]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  consistencyProof,
  formatAddCheckpoint,
  formatCheckpoint,
  generateSignerKey,
  leafHash,
  parseSignerKey,
  parseWitnessKey,
  rootOf,
  signNote,
  verifyCosignatures,
} from '../packages/core/dist/index.js';
import http from 'node:http';
import { latchBin, machine, percentile } from './lib.mjs';

const agent = new http.Agent({ keepAlive: true });
/** POST a text body on a kept-alive connection, as Latch's cosigner does. */
function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'text/plain; charset=utf-8' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const { values } = parseArgs({ options: { checkpoints: { type: 'string', default: '500' }, 'leaves-per-checkpoint': { type: 'string', default: '50' } } });
const checkpoints = Number(values.checkpoints);
const perCheckpoint = Number(values['leaves-per-checkpoint']);

const dir = mkdtempSync(join(tmpdir(), 'latch-bench-witness-'));
const log = parseSignerKey(generateSignerKey('bench.example/log'));
writeFileSync(join(dir, 'trust.txt'), `${log.verifierKey}\n`);
const port = 20000 + Math.floor(Math.random() * 20000);
const child = spawn(process.execPath, [latchBin, 'witness', 'serve', '--data-dir', join(dir, 'w'), '--logs', join(dir, 'trust.txt'), '--listen', `127.0.0.1:${port}`, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
const { verifierKey } = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
  });
  child.once('exit', (code) => reject(new Error(`latch witness serve exited ${code}`)));
});
const witness = parseWitnessKey(verifierKey);
const base = `http://127.0.0.1:${port}`;

try {
  // The log's leaves, and the notes and proofs Latch would send, made before timing.
  const leaves = Array.from({ length: checkpoints * perCheckpoint }, (_, i) => leafHash(Buffer.from(`event ${i}`)));
  const bodies = [];
  for (let c = 1; c <= checkpoints; c++) {
    const size = c * perCheckpoint;
    const old = size - perCheckpoint;
    const note = signNote(formatCheckpoint({ origin: log.name, size, root: rootOf(leaves.slice(0, size)) }), log.name, log.privateKey);
    bodies.push({ note, body: formatAddCheckpoint({ oldSize: old, proof: old === 0 ? [] : consistencyProof(leaves.slice(0, size), old), note }) });
  }
  const latencies = [];
  const answers = [];
  const started = performance.now();
  for (const { note, body } of bodies) {
    const t0 = performance.now();
    const res = await post(`${base}/add-checkpoint`, body);
    latencies.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`witness answered ${res.status}: ${res.body}`);
    answers.push(note + res.body);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);

  const v0 = performance.now();
  for (const note of answers) if (verifyCosignatures(note, [witness]).cosignatures.length !== 1) throw new Error('a cosignature did not verify');
  const verifySeconds = (performance.now() - v0) / 1000;

  console.log(`machine: ${machine()}`);
  console.log(`witness: ${checkpoints} checkpoints (${perCheckpoint} leaves apart), one at a time, each fsynced before the answer`);
  console.log(`  ${(checkpoints / seconds).toFixed(0)} cosignatures/s; latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`);
  console.log(`auditor: ${(answers.length / verifySeconds).toFixed(0)} cosignatures checked/s (one thread)`);
} finally {
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
