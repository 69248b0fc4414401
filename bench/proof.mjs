// bench/proof: the global Merkle log on PostgreSQL, against a real `latch serve`.
// 1. Integration: events the sequencer appends to the log per second (a backlog built with the log
//    paused, then drained), and case creation over HTTP with the log paused vs. running.
// 2. Export: the evidence bundle of a case with 10,000 events (record the export, download the zip).
// 3. Offline verification: core verifyBundle on that bundle, one thread. Target: ≥ 200,000 events/s.
// Usage: npm run build && node bench/proof.mjs [--cases N] [--concurrency C] [--notes N] [--backlog-notes N] [--runs N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { unzipSync } from 'fflate';
import pg from 'pg';
import { generateSignerKey, parseSignerKey, parseTrustFile, personal, uuidv7, verifyBundle } from '../packages/core/dist/index.js';
import { drive, freshPostgres, latch, machine, percentile, request, root, serve } from './lib.mjs';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '12' },
    notes: { type: 'string', default: '10000' },
    'backlog-notes': { type: 'string', default: '10' },
    runs: { type: 'string', default: '7' },
  },
});
const caseCount = Number(values.cases);
const concurrency = Number(values.concurrency);
const noteCount = Number(values.notes);
const backlogNotes = Number(values['backlog-notes']);
const runs = Number(values.runs);

const { openLatch } = await import('../packages/server/dist/runtime.js');
const { readConfig } = await import('../packages/server/dist/config.js');
const { appendEvents } = await import('../packages/server/dist/db/event-store.js');
const { notes } = await import('../packages/server/dist/db/schema.js');

console.log(`bench/proof on ${machine()}`);
console.log(`PostgreSQL; ${caseCount} cases per HTTP run with ${concurrency} clients; an exported case of ${noteCount} notes\n`);

const logKey = generateSignerKey('bench.latch.example/log');
const trusted = parseTrustFile(`${parseSignerKey(logKey).verifierKey}\n`);
const dataDir = mkdtempSync(join(tmpdir(), 'latch-bench-proof-'));
const database = await freshPostgres(pg);
const env = { LATCH_DATA_DIR: dataDir, LATCH_CONFIG_DIR: join(root, 'config'), LATCH_DATABASE_URL: database.url, LATCH_LOG_KEY: logKey };
const sql = new pg.Client({ connectionString: database.url });
const count = async (table) => Number((await sql.query(`select count(*) as n from ${table}`)).rows[0].n);
const rate = (n, seconds) => Math.round(n / seconds).toLocaleString('en');
const SUBJECT = 'customer@example.com';
const caseBody = (i) => ({
  type: 'refund',
  title: `Refund for order ${i}`,
  requester: { email: SUBJECT, name: `Customer ${i}` },
  fields: { order_id: String(i), amount_minor: 1000 + i, currency: 'usd', customer_email: SUBJECT },
});

/** Creates cases over HTTP; returns their ids, the rate, and the events they wrote. */
async function createCases(base, headers, label) {
  const ids = [];
  const before = await count('events');
  const result = await drive(caseCount, concurrency, async (i) => {
    const res = await request(base, 'POST', '/api/v1/cases', { headers, body: caseBody(i) });
    if (res.status !== 201) return `${res.status} ${res.body}`;
    ids.push(JSON.parse(res.body).id);
  });
  const events = (await count('events')) - before;
  console.log(
    `  create over HTTP, ${label}: ${rate(caseCount, result.seconds)} cases/s = ${rate(events, result.seconds)} events/s, ` +
      `p50 ${percentile(result.latencies, 50).toFixed(1)} ms, p99 ${percentile(result.latencies, 99).toFixed(1)} ms, ${result.failures} failures${result.firstFailure ? ` (${result.firstFailure})` : ''}`,
  );
  return { ids, seconds: result.seconds, events };
}

/** Notes written the way addNote writes them (event, personal data, note row, log queue), many per transaction. */
async function addNotes(ctx, authorId, caseId, n, perTransaction = 500) {
  const actor = { type: 'user', id: authorId };
  for (let done = 0; done < n; done += perTransaction) {
    const batch = Array.from({ length: Math.min(perTransaction, n - done) }, (_, k) => ({ id: uuidv7(), body: `called the customer about order ${done + k}` }));
    await ctx.database.write((tx) =>
      appendEvents(
        tx,
        caseId,
        batch.map((note) => ({ kind: 'note.added', actor, data: { noteId: note.id, body: personal(note.body) } })),
        { subject: SUBJECT, alongside: (sealed) => [tx.insert(notes).values(batch.map((note, k) => ({ id: note.id, caseId, authorId, body: note.body, eventId: sealed[k].id })))] },
      ),
    );
  }
}

try {
  await sql.connect();
  latch(env, 'migrate');
  latch({ ...env, LATCH_USER_PASSWORD: 'bench password 123' }, 'user', 'create', '--email', 'bench@latch.example', '--name', 'Bench', '--role', 'admin', '--team', 'refunds');
  const token = latch(env, 'token', 'create', '--user', 'bench@latch.example', '--name', 'bench').trim();
  const headers = { authorization: `Bearer ${token}` };
  const authorId = (await sql.query(`select id from users where email = 'bench@latch.example'`)).rows[0].id;

  // 1a. With the log paused (one tick at start, then an hour's interval), build a backlog.
  console.log('1. Integration into the log');
  const paused = await serve({ ...env, LATCH_LOG_INTERVAL_MS: '3600000' }, 3920);
  for (let i = 0; i < 200; i++) await request(paused.base, 'POST', '/api/v1/cases', { headers, body: caseBody(i) }); // warm-up
  const { ids } = await createCases(paused.base, headers, 'log paused ');
  await paused.stop();

  const direct = await openLatch(readConfig({ ...process.env, ...env }), { jobs: false, log: () => undefined });
  const bigCase = ids[0];
  let started = performance.now();
  await addNotes(direct.ctx, authorId, bigCase, noteCount);
  console.log(`  ${noteCount.toLocaleString('en')} notes on one case through the event store: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  started = performance.now();
  const spread = ids.slice(1);
  await drive(spread.length, 4, async (i) => void (await addNotes(direct.ctx, authorId, spread[i], backlogNotes)));
  console.log(`  ${(spread.length * backlogNotes).toLocaleString('en')} more notes, ${backlogNotes} per case on ${spread.length} cases: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const backlog = await count('log_pending');
  started = performance.now();
  const integrated = await direct.ctx.log.sequencer.drain();
  const drainSeconds = (performance.now() - started) / 1000;
  await direct.close();
  if (integrated !== backlog) throw new Error(`drained ${integrated} of ${backlog} pending events`);
  const integrationRate = integrated / drainSeconds;
  console.log(`  sequencer drains a backlog of ${backlog.toLocaleString('en')} events in ${drainSeconds.toFixed(1)} s: ${rate(integrated, drainSeconds)} events/s appended to the log (batches of 5,000, each signed)`);

  // 1b. Case creation with the sequencer running at its default interval: the log keeps up.
  const running = await serve(env, 3921);
  let maxPending = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxPending = Math.max(maxPending, await count('log_pending'));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const live = await createCases(running.base, headers, 'log running');
  started = performance.now();
  while ((await count('log_pending')) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const tail = performance.now() - started;
  sampling = false;
  await sampler;
  console.log(
    `  while creating: at most ${maxPending} events waited for the log (interval 1 s); all integrated ${tail.toFixed(0)} ms after the last response`,
  );
  console.log(
    `  => creation writes ${rate(live.events, live.seconds)} events/s; the sequencer appends ${rate(integrationRate, 1)} events/s: ` +
      `${(integrationRate / (live.events / live.seconds)).toFixed(0)}x headroom, appending is not the bottleneck\n`,
  );

  // 2. The evidence bundle of the case with 10,000 notes, exported through the API.
  console.log(`2. Evidence bundle of the case with ${noteCount.toLocaleString('en')} notes`);
  let zip;
  let bundleEvents;
  const exportTimes = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const recorded = await request(running.base, 'POST', `/api/v1/cases/${bigCase}/exports`, { headers, body: {} });
    if (recorded.status !== 201) throw new Error(`export failed: ${recorded.status} ${recorded.body}`);
    const t1 = performance.now();
    bundleEvents = JSON.parse(recorded.body).seq;
    const res = await fetch(new URL(JSON.parse(recorded.body).bundle, running.base), { headers });
    if (res.status !== 200) throw new Error(`bundle download failed: ${res.status} ${await res.text()}`);
    zip = Buffer.from(await res.arrayBuffer());
    const t2 = performance.now();
    exportTimes.push({ total: t2 - t0, record: t1 - t0, bundle: t2 - t1 });
  }
  await running.stop();
  exportTimes.sort((a, b) => a.total - b.total);
  const median = exportTimes[1];
  console.log(
    `  POST exports + GET bundle.zip: median ${(median.total / 1000).toFixed(2)} s (record ${median.record.toFixed(0)} ms, wait for checkpoint + build + download ${median.bundle.toFixed(0)} ms), ` +
      `best ${(exportTimes[0].total / 1000).toFixed(2)} s; ${bundleEvents.toLocaleString('en')} events, ${(zip.length / 2 ** 20).toFixed(1)} MiB zip\n`,
  );

  // 3. The offline verifier on that bundle, on this (one) thread.
  console.log('3. Offline verification (core verifyBundle, one thread)');
  started = performance.now();
  const files = new Map(Object.entries(unzipSync(zip)));
  const unzipMs = performance.now() - started;
  const times = [];
  let report;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    report = verifyBundle(files, { trusted });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (!report.ok) throw new Error(`the bundle did not verify: ${report.failures.slice(0, 3).join('; ')}`);
  }
  times.sort((a, b) => a - b);
  const medianRate = report.events / times[runs >> 1];
  console.log(
    `  ${report.events.toLocaleString('en')} events, tree size ${report.checkpoint.size.toLocaleString('en')}: median ${(times[runs >> 1] * 1000).toFixed(0)} ms = ${rate(medianRate, 1)} events/s ` +
      `(best ${rate(report.events, times[0])} events/s; unzip ${unzipMs.toFixed(0)} ms, not counted) — target 200,000: ${medianRate >= 200_000 ? 'met' : 'NOT met'}`,
  );
} finally {
  await sql.end().catch(() => undefined);
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
