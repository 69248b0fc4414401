// bench/verify-bundle: how fast the offline verifier checks an evidence bundle, on one core and on
// several (`latch verify --jobs`). Builds one case of --events events (a refund case's mix of kinds,
// ≈500 bytes each, shaped as Latch writes them, with personal-data commitments and a few attachments) interleaved at random with other cases' leaves
// in a log of --leaves leaves, writes it as bundle formats 1, 2 and 3, then times what `latch
// verify` does: the strict zip read (readBundleZip) and verifyBundle, and with --jobs the threads'
// share first. Each row is timed in a process of its own that holds only the zip
// (bench/verify-bundle-run.mjs), warmed by three untimed runs. Wall time is disturbed by whatever
// else runs on the machine, so each row also gives events per CPU second (user + system time of
// that process, all its threads counted). For format 3 (what exports write) it also runs the `latch verify` command
// itself, a new process each time, as an auditor does: the wall time from start to exit, with
// start-up, loading the verifier and a JIT not yet warm. Formats 2 and 3 also run pinned to one core
// (taskset, where there is one): wall time is then CPU time, V8's helper threads included.
// Beside the format 3 one-core row, the SHA-256 one verification computes, replayed alone on that
// core (bench/verify-hash-floor.mjs): the part of it no change to the JavaScript can shorten.
// Target: ≥ 200,000 events/s on one core.
// Usage: npx tsc -b && node bench/verify-bundle.mjs [--events N] [--leaves N,N] [--runs N] [--jobs N,N] [--cli-runs N]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { parseArgs } from 'node:util';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_V1,
  BUNDLE_FORMAT_V2,
  CompactRange,
  buildBundleFiles,
  formatCheckpoint,
  generateSignerKey,
  hashOfSubtrees,
  inclusionProofRanges,
  leafHash,
  parseSignerKey,
  perfectSubtrees,
  personal,
  sealEvent,
  signNoteWithKeys,
} from '../packages/core/dist/index.js';
import { sha256Batcher } from '../packages/core/dist/proof/sha256-batch.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '10000' }, leaves: { type: 'string', default: '20000,100000' }, runs: { type: 'string', default: '7' }, jobs: { type: 'string', default: String(availableParallelism()) }, 'cli-runs': { type: 'string', default: '5' } },
});
const jobCounts = values.jobs.split(',').map(Number).filter((j) => j > 1);
const eventCount = Number(values.events);
const runs = Number(values.runs);
const origin = 'bench.example/latch';
const caseId = '0190a5c4-1111-7000-8000-000000000001';
const sha = (b) => createHash('sha256').update(b).digest('hex');
const cliRuns = Number(values['cli-runs']);
const latchBin = fileURLToPath(new URL('../packages/server/bin/latch.js', import.meta.url));
const runner = fileURLToPath(new URL('./verify-bundle-run.mjs', import.meta.url));
const hashFloor = fileURLToPath(new URL('./verify-hash-floor.mjs', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'latch-bench-verify-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so runs are comparable. */
let seed = 42;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}

const OPERATOR = { type: 'user', id: '0190a5c4-2222-7000-8000-000000000002' };
const APPROVER = { type: 'user', id: '0190a5c4-3333-7000-8000-000000000003' };
const POLICY = { type: 'system', id: 'policy' };
const STRIPE = { type: 'plugin', id: 'stripe' };
const AUDITOR = { type: 'user', id: '0190a5c4-8888-7000-8000-000000000008' };
/** people.json as an export writes it: the display names of the people the events name. */
const PEOPLE = { [OPERATOR.id]: { name: 'Olivia Operator' }, [APPROVER.id]: { name: 'Rita Reviewer' }, [AUDITOR.id]: { name: 'Ada Auditor' } };
/**
 * Event i of the case: a refund case's mix of kinds, each with the data Latch writes for it, field
 * for field (as packages/server writes them, and as the reference story's bundle holds them): notes,
 * status and field changes, and refunds, each proposed with its input, policy and requirements,
 * approved, started and succeeded. One outcome in ten carries the exchange with Stripe as two
 * attachments (request and response); the others record none, as a plugin that reports no exchange.
 * So the story writes every kind of line it writes in a real case, amounts included.
 */
function eventOf(i) {
  const pad = String(i).padStart(12, '0');
  // One refund per ten events: proposed, approved, started and succeeded on the same action.
  const refund = Math.floor(i / 10) + 1;
  const actionId = `0190a5c4-4444-7000-8000-${String(refund).padStart(12, '0')}`;
  const input = { amount_minor: 4999 + refund, currency: 'usd', payment_intent: `pi_3Q${refund}xYz`, reason: 'requested_by_customer' };
  const payloadHash = sha(JSON.stringify(input));
  const policy = { key: 'refund_threshold', version: 4 };
  const stepName = "Second reviewer for refunds above the currency's threshold";
  switch (i % 10) {
    case 1: return { kind: 'status.changed', actor: OPERATOR, data: { from: 'new', to: 'in_progress' } };
    case 2: return { kind: 'field.changed', actor: OPERATOR, data: { changes: [{ field: 'priority', old: 'normal', new: 'high' }, { field: 'fields.order_id', old: null, new: `ord_${i}` }] } };
    case 4: {
      const history = { sameCase: { count: i % 7, sum: 5000 * (i % 7) }, samePayment: { count: 0, sum: 0 }, sameRequester: { count: i % 3, sum: 4000 * (i % 3) } };
      const requirements = [{ count: 1, expiresInMs: 172800000, index: 0, name: stepName, role: 'refund_approver' }];
      return { kind: 'action.proposed', actor: OPERATOR, data: { action: 'refund', actionId, history, input, payloadHash, plugin: 'stripe', policy, requirements, roleSet: 1, status: 'awaiting_approval', summary: '1 approval by role refund_approver, not the proposer, within 48 h' } };
    }
    case 5: return { kind: 'approval.granted', actor: APPROVER, data: { actionId, onBehalfOf: null, payloadHash, policy, roleSet: 1, step: 0, stepName } };
    case 6: return { kind: 'action.approved', actor: POLICY, data: { actionId, automatic: false, payloadHash } };
    case 7: return { kind: 'action.started', actor: STRIPE, data: { action: 'refund', actionId, attempt: 1, execution: 1, idempotencyKey: `latch-${actionId}-r1-e1`, payloadHash, plugin: 'stripe' } };
    case 8: {
      const exchange = i % 100 === 8 ? [Buffer.from(`POST /v1/refunds\npayment_intent=${input.payment_intent}&amount=${input.amount_minor}`), Buffer.from(JSON.stringify({ id: `re_${refund}`, object: 'refund', status: 'succeeded' }))] : [];
      const [request, response] = exchange.map((b) => sha(b));
      const data = { actionId, attempt: 1, execution: 1, output: personal(JSON.stringify({ id: `re_${refund}`, status: 'succeeded' })), request: request ?? null, response: response ?? null, summary: personal(`Refunded ${input.amount_minor} usd (re_${refund})`) };
      return { kind: 'action.succeeded', actor: STRIPE, data, exchange };
    }
    default: return { kind: 'note.added', actor: OPERATOR, data: { noteId: `0190a5c4-6666-7000-8000-${pad}`, body: personal(`called the customer about order ${i}`) } };
  }
}

function sealCase() {
  const events = [];
  const blobs = new Map();
  const disclosures = {};
  let head = { stream: caseId, seq: 0, hash: null };
  for (let i = 1; i <= eventCount; i++) {
    const draft = i === eventCount ? { kind: 'case.exported', actor: AUDITOR, data: { head: { seq: head.seq, hash: head.hash } } } : eventOf(i);
    // Every hundredth event (a note's turn) is a file attached to the case instead.
    if (i % 100 === 0 && i !== eventCount) {
      const blob = Buffer.from(`attachment ${i}`);
      draft.kind = 'attachment.added';
      draft.data = { attachmentId: `0190a5c4-7777-7000-8000-${String(i).padStart(12, '0')}`, contentType: 'text/plain', filename: personal(`order-${i}.txt`), sha256: sha(blob), size: blob.length };
      draft.exchange = [blob];
    }
    const { exchange = [], ...body } = draft;
    for (const blob of exchange) blobs.set(sha(blob), blob);
    if (exchange.length > 0) body.blobs = exchange.map((b) => sha(b));
    const event = sealEvent(body, head);
    for (const d of event.disclosures) disclosures[d.commitment] = { salt: d.salt, value: d.value };
    events.push(event);
    head = { stream: caseId, seq: event.seq, hash: event.hash };
  }
  return { events, blobs, disclosures };
}

function buildLog(events, leafCount) {
  // Choose which leaves are the case's events: a random sorted sample, so paths share nodes unevenly.
  const isEvent = new Uint8Array(leafCount);
  for (let placed = 0; placed < events.length; ) {
    const at = Math.floor(random() * leafCount);
    if (isEvent[at]) continue;
    isEvent[at] = 1;
    placed++;
  }
  const levels = [[]];
  const range = new CompactRange();
  const indices = [];
  let next = 0;
  for (let i = 0; i < leafCount; i++) {
    const leaf = isEvent[i] ? leafHash(Buffer.from(events[next++].bytes)) : leafHash(Buffer.from(`other case, leaf ${i}`));
    if (isEvent[i]) indices.push(i);
    levels[0].push(leaf);
    for (const node of range.append(leaf)) (levels[node.level] ??= [])[node.index] = node.hash;
  }
  const proof = (index) => inclusionProofRanges(index, leafCount).map(([lo, hi]) => hashOfSubtrees(perfectSubtrees(lo, hi).map((r) => levels[r.level][r.index])));
  return { root: range.root(), indices, proof };
}

/** The core the pinned rows run on (the last), when taskset is there to pin them (util-linux). */
const pinnedCore = spawnSync('taskset', ['-c', String(cpus().length - 1), 'true']).status === 0 ? cpus().length - 1 : undefined;

const key = parseSignerKey(generateSignerKey(origin));
const trustFile = join(scratch, 'trust.txt');
writeFileSync(trustFile, `${key.verifierKey}\n`);
const { events, blobs, disclosures } = sealCase();
const avgBytes = Math.round(events.reduce((n, e) => n + Buffer.byteLength(e.bytes), 0) / events.length);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`bench/verify-bundle on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${load()}`);
console.log(
  sha256Batcher() === 'native'
    ? "With the native addon (packages/core/native): SHA-256 in batches over Node's own OpenSSL, and first readings of events.jsonl, disclosures.json and the multiproof"
    : 'Without the native addon (not built, or LATCH_NATIVE=0): SHA-256 through node:crypto, every file read in TypeScript alone',
);
console.log(`${eventCount} events of ${avgBytes} bytes on average; per row: median wall time of ${runs} runs after 3 untimed ones, in a process holding only the zip, and events per CPU second (median)\n`);

/** `latch verify bundle.zip --trust trust.txt [--jobs N]` as a new process, `cliRuns` times: the median wall time from start to exit. */
function commandRows(bundle) {
  for (const jobs of [1, ...jobCounts]) {
    const walls = [];
    for (let r = 0; r < cliRuns; r++) {
      const start = process.hrtime.bigint();
      const run = spawnSync(process.execPath, [latchBin, 'verify', bundle, '--trust', trustFile, ...(jobs > 1 ? ['--jobs', String(jobs)] : [])], { encoding: 'utf8' });
      walls.push(Number(process.hrtime.bigint() - start) / 1e9);
      if (run.status !== 0) throw new Error(`latch verify failed (${run.status}): ${run.stderr || run.stdout}`);
    }
    const wall = [...walls].sort((a, b) => a - b)[cliRuns >> 1];
    console.log(
      `  the latch verify command${jobs > 1 ? ` --jobs ${jobs}` : ''}, start to exit: ${(wall * 1000).toFixed(0)} ms = ` +
        `${Math.round(eventCount / wall).toLocaleString('en')} events/s (median of ${cliRuns} processes; best ${(Math.min(...walls) * 1000).toFixed(0)} ms)`,
    );
  }
}

/**
 * The SHA-256 one verification computes, replayed alone on the pinned core (bench/verify-hash-floor.mjs):
 * the part of the one-core row that is hashing, which no change to the verifier's JavaScript can shorten.
 */
function hashFloorRow(bundle) {
  const command = [process.execPath, hashFloor, '--zip', bundle, '--trust', trustFile, '--runs', String(runs), '--warm', '10'];
  const run = spawnSync('taskset', ['-c', String(pinnedCore), ...command], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bench/verify-hash-floor.mjs failed (${run.status}): ${run.stderr}`);
  const { calls, sizes, batcher, walls } = JSON.parse(run.stdout);
  const wall = [...walls].sort((a, b) => a - b)[walls.length >> 1];
  const budget = (eventCount / 200_000) * 1000;
  const bySize = Object.entries(sizes).map(([size, n]) => `${n.toLocaleString('en')} ${size}`).join(', ');
  console.log(
    `    of which SHA-256 alone (the ${calls.toLocaleString('en')} hashes one verification computes: ${bySize}; batches through ${batcher === 'native' ? 'the native addon' : 'node:crypto'}; replayed on core ${pinnedCore}): ` +
      `${wall.toFixed(1)} ms, ${Math.round((100 * wall) / budget)}% of the ${budget.toFixed(0)} ms that 200,000 events/s allows`,
  );
}

for (const leafCount of values.leaves.split(',').map(Number)) {
  const log = buildLog(events, leafCount);
  const checkpoint = signNoteWithKeys(formatCheckpoint({ origin, size: leafCount, root: log.root }), [key]);
  const input = {
    caseId, origin, exportedAt: events.at(-1).at, checkpoint, blobs, erasedBlobs: [], disclosures, consistency: [], people: PEOPLE,
    events: events.map((e) => ({ seq: e.seq, bytes: e.bytes })),
    proofs: events.map((e, i) => ({ seq: e.seq, index: log.indices[i], proof: log.proof(log.indices[i]) })),
  };
  console.log(`log of ${leafCount.toLocaleString('en')} leaves:`);
  for (const format of [BUNDLE_FORMAT_V1, BUNDLE_FORMAT_V2, BUNDLE_FORMAT]) {
    // Format 1 has two zip members per event; a zip without zip64 holds at most 65,535.
    if (format === BUNDLE_FORMAT_V1 && 2 * eventCount + 16 > 0xffff) {
      console.log(`  ${format}: not measured: ${2 * eventCount} members are more than a zip without zip64 holds`);
      continue;
    }
    const files = buildBundleFiles(input, format);
    // Stored, as the exporter writes it.
    const zip = Buffer.from(zipSync(Object.fromEntries([...files].map(([name, data]) => [name, new Uint8Array(data)])), { level: 0 }));
    const bundle = join(scratch, `bundle-${format.at(-1)}-${leafCount}.zip`);
    writeFileSync(bundle, zip);
    // One thread; --jobs; and, where taskset can, one thread pinned to one core with everything
    // the process runs (V8's collector and compiler threads included), as the target is set. On one
    // core the compiler's background work takes turns with the verifier for the first runs, so
    // that row is timed after ten untimed runs rather than three: it measures the steady state.
    const rows = [...[1, ...jobCounts].map((jobs) => ({ jobs, label: jobs === 1 ? 'one thread ' : `--jobs ${jobs}  `, warm: 3 }))];
    if (format !== BUNDLE_FORMAT_V1 && pinnedCore !== undefined) rows.push({ jobs: 1, label: `one core (taskset -c ${pinnedCore}; 10 untimed runs)`, warm: 10, pinned: true });
    for (const { jobs, label, warm, pinned } of rows) {
      // Timed in a process that holds only the zip (bench/verify-bundle-run.mjs).
      const command = [process.execPath, runner, '--zip', bundle, '--trust', trustFile, '--jobs', String(jobs), '--runs', String(runs), '--warm', String(warm)];
      const run = pinned ? spawnSync('taskset', ['-c', String(pinnedCore), ...command], { encoding: 'utf8' }) : spawnSync(command[0], command.slice(1), { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`bench/verify-bundle-run.mjs failed (${run.status}): ${run.stderr}`);
      const { walls, cpu } = JSON.parse(run.stdout);
      const median = (list) => [...list].sort((a, b) => a - b)[runs >> 1] / 1000;
      const rate = (t) => Math.round(eventCount / t).toLocaleString('en');
      console.log(
        `  ${format}, ${(zip.length / 1e6).toFixed(1)} MB, ${label}: ` +
          `wall ${(median(walls) * 1000).toFixed(0)} ms = ${rate(median(walls))} events/s (best ${rate(Math.min(...walls) / 1000)}); ` +
          `CPU ${(median(cpu) * 1000).toFixed(0)} ms = ${rate(median(cpu))} events per CPU second (best ${rate(Math.min(...cpu) / 1000)})`,
      );
    }
    if (format === BUNDLE_FORMAT && pinnedCore !== undefined) hashFloorRow(bundle);
    if (format === BUNDLE_FORMAT && cliRuns > 0) commandRows(bundle);
  }
}
console.log(`\nload average at the end ${load()}`);
