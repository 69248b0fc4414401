// bench/intake-alerts: signed Alertmanager deliveries per second into a real `latch serve`, on PGlite and on
// PostgreSQL, with p50/p99 latency. Each delivery is one alert, signed per Standard Webhooks; fingerprints
// cycle through --fingerprints, so most deliveries follow an open case and the rest open one.
// Usage: node bench/intake-alerts.mjs [--posts N] [--concurrency C] [--fingerprints F] [--only pglite|postgres] [--profile DIR]
// (--profile: the server writes a V8 CPU profile into DIR when it stops, for `node --cpu-prof`'s readers)
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { backendCpu, backendCpuBetween, cpuSeconds, drive, freshPostgres, latch, latchBin, load, machine, percentile, request, root } from './lib.mjs';

const { values } = parseArgs({
  options: { posts: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '16' }, fingerprints: { type: 'string', default: '200' }, only: { type: 'string' }, profile: { type: 'string' } },
});
const total = Number(values.posts);
const concurrency = Number(values.concurrency);
const fingerprints = Number(values.fingerprints);
const SECRET = `whsec_${Buffer.from('bench alert secret, 32 bytes long').toString('base64')}`;
const signer = new Webhook(SECRET);

console.log(`bench/intake-alerts on ${machine()}`);
console.log(`${total} signed alert posts with ${concurrency} concurrent clients over ${fingerprints} fingerprints (target 1,000/s)\n`);

/** A port free right now (asked of the OS with port 0), so this bench never collides with another. */
const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

/** `latch serve` on a free port, waited for up to three minutes (a loaded machine starts slowly). */
async function serve(env) {
  const port = await freePort();
  const logKey = latch({}, 'log', 'key', '--generate', 'latch.bench/log').trim();
  const child = spawn(process.execPath, [...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []), latchBin, 'serve'], { env: { ...process.env, LATCH_LOG_KEY: logKey, ...env, LATCH_PORT: String(port), LATCH_LOG: 'off' }, stdio: ['ignore', 'ignore', 'ignore'] });
  const base = `http://127.0.0.1:${port}`;
  const stop = () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')));
  for (let i = 0; i < 1800; i++) {
    if ((await request(base, 'GET', '/readyz').catch(() => undefined))?.status === 200) return { base, pid: child.pid, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('latch serve did not become ready');
}

const delivery = (i) => ({
  version: '4',
  status: 'firing',
  receiver: 'latch',
  groupKey: `{}:{alertname="BenchAlert${i % fingerprints}"}`,
  alerts: [
    {
      status: i % 7 === 6 ? 'resolved' : 'firing',
      labels: { alertname: `BenchAlert${i % fingerprints}`, severity: 'warning', instance: `host-${i % fingerprints}` },
      annotations: { summary: 'Error rate above 5%', description: `delivery ${i}` },
      startsAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      fingerprint: `fp${(i % fingerprints).toString(16).padStart(6, '0')}`,
    },
  ],
});

for (const kind of ['pglite', 'postgres']) {
  if (values.only && values.only !== kind) continue;
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-bench-'));
  const configDir = mkdtempSync(join(tmpdir(), 'latch-bench-config-'));
  cpSync(join(root, 'config'), configDir, { recursive: true });
  writeFileSync(join(configDir, 'intake.yaml'), 'alerts:\n  bench: { secret: { env: LATCH_BENCH_ALERT_SECRET }, type: refund, queue: refunds }\n');
  const database = kind === 'postgres' ? await freshPostgres(pg) : undefined;
  const env = { LATCH_DATA_DIR: dataDir, LATCH_CONFIG_DIR: configDir, LATCH_BENCH_ALERT_SECRET: SECRET, ...(database ? { LATCH_DATABASE_URL: database.url } : {}) };
  try {
    latch(env, 'migrate');
    const server = await serve(env);
    const post = async (i) => {
      const body = delivery(i);
      const id = `bench_${kind}_${i}`;
      const at = new Date();
      const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signer.sign(id, at, JSON.stringify(body)) };
      const res = await request(server.base, 'POST', '/api/v1/intake/alerts/bench', { headers, body });
      return res.status === 200 ? undefined : `${res.status} ${res.body.slice(0, 200)}`;
    };
    for (let i = 0; i < 200; i++) await post(total + i); // warm-up (its own ids)
    const loadBefore = load();
    // CPU per alert (the server's, and on PostgreSQL its backends'): a figure a busy machine disturbs less than the rate.
    const cpuBefore = [cpuSeconds(server.pid), database ? await backendCpu(pg, database.name) : undefined];
    const run = await drive(total, concurrency, (i) => post(i));
    const cpuAfter = [cpuSeconds(server.pid), database ? await backendCpu(pg, database.name) : undefined];
    await server.stop();
    const rate = total / run.seconds;
    const perAlert = (seconds) => `${((seconds * 1000) / total).toFixed(2)} ms`;
    const cpu = `CPU per alert: latch ${perAlert(cpuAfter[0] - cpuBefore[0])}${database ? `, PostgreSQL ${perAlert(backendCpuBetween(cpuBefore[1], cpuAfter[1]))}` : ''}`;
    console.log(
      `${kind.padEnd(8)} ${rate.toFixed(0).padStart(6)} alerts/s   p50 ${percentile(run.latencies, 50).toFixed(1)} ms   p99 ${percentile(run.latencies, 99).toFixed(1)} ms   failures ${run.failures}${run.firstFailure ? ` (first: ${run.firstFailure})` : ''}   ${rate >= 1000 ? 'meets' : 'below'} the 1,000/s target; ${cpu}; ${loadBefore} before, ${load()} after`,
    );
  } finally {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  }
}
