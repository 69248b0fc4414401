// bench/verify-bundle-run: the timed part of bench/verify-bundle.mjs, in a process of its own that
// holds only what `latch verify` holds: the zip, read from a file. (In the process that built the
// bundle, the log of up to 1,000,000 leaves and the sealed events lived beside the verifier, and
// every full collection of them was counted against it.) Verifies --runs times after --warm
// untimed runs, with a turn of the event loop between runs, as a process serving verifications has,
// and prints one line of JSON: each run's wall and CPU time (user + system, all threads) in ms.
// Usage: node bench/verify-bundle-run.mjs --zip bundle.zip --trust trust.txt [--jobs N] [--runs N] [--warm N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTrustFile, verifyBundle } from '../packages/core/dist/verify-offline.js';
import { readBundleOnThreads, startThreads } from '../packages/server/dist/cli/verify-jobs.js';

const { values } = parseArgs({ options: { zip: { type: 'string' }, trust: { type: 'string' }, jobs: { type: 'string', default: '1' }, runs: { type: 'string', default: '7' }, warm: { type: 'string', default: '3' } } });
const jobs = Number(values.jobs);
const trusted = parseTrustFile(readFileSync(values.trust, 'utf8'));
const read = readFileSync(values.zip);
// With threads, the zip in shared memory, as `latch verify --jobs` reads it.
const zip = jobs > 1 ? Buffer.from(new SharedArrayBuffer(read.length)) : read;
if (jobs > 1) read.copy(zip);

/** One verification as `latch verify` does it: the other threads started first, then the zip read strictly, the threads' share, and verifyBundle. */
async function verifyOnce() {
  const threads = startThreads(jobs - 1);
  try {
    const { files, done } = await readBundleOnThreads(zip, threads);
    return verifyBundle(files, { trusted, ...done });
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

const walls = [];
const cpu = [];
const warm = Number(values.warm);
for (let r = 0; r < warm + Number(values.runs); r++) {
  await new Promise((resolve) => setImmediate(resolve));
  const start = process.hrtime.bigint();
  const before = process.cpuUsage();
  const report = await verifyOnce();
  const used = process.cpuUsage(before);
  if (!report.ok) throw new Error(`bench bundle did not verify: ${report.failures.slice(0, 3).join('; ')}`);
  if (r < warm) continue;
  walls.push(Number(process.hrtime.bigint() - start) / 1e6);
  cpu.push((used.user + used.system) / 1e3);
}
console.log(JSON.stringify({ walls, cpu }));
