// Shared helpers for the benchmarks: machine description, a keep-alive HTTP client, percentiles,
// and starting a real `latch serve` process on PGlite or PostgreSQL.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const latchBin = `${root}packages/server/dist/cli/main.js`;
export const POSTGRES_URL = process.env.LATCH_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function machine() {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform}`;
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One HTTP request; resolves {status, body}. */
export function request(base, method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      new URL(path, base),
      { method, agent, headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** A fresh PostgreSQL database; returns its URL and a drop function. */
export async function freshPostgres(pg) {
  const name = `latch_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** Runs a `latch` CLI command synchronously with the given environment; returns stdout. */
export function latch(env, ...args) {
  const result = spawnSync(process.execPath, [latchBin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', input: '' });
  if (result.status !== 0) throw new Error(`latch ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

let benchLogKey;
/** One log signing key for the benches' servers: they sign checkpoints as production does. */
function logKey() {
  benchLogKey ??= latch({}, 'log', 'key', '--generate', 'latch.bench/log').trim();
  return benchLogKey;
}

/** Starts `latch serve` and resolves once it answers /readyz. */
export async function serve(env, port) {
  const child = spawn(process.execPath, [latchBin, 'serve'], {
    env: { ...process.env, LATCH_LOG_KEY: logKey(), ...env, LATCH_PORT: String(port), LATCH_LOG: 'off' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  // Up to three minutes: a machine shared with other work starts a server slowly.
  for (let i = 0; i < 1800; i++) {
    try {
      if ((await request(base, 'GET', '/readyz')).status === 200) return { base, pid: child.pid, stop: () => stop(child) };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('latch serve did not become ready');
}

function stop(child) {
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/**
 * Runs `work(i, client)` for i in [0, n) with `concurrency` clients. `work` returns a problem
 * string (or throws) on failure. Returns {seconds, latencies (sorted), failures, firstFailure}.
 */
export async function drive(n, concurrency, work) {
  const latencies = [];
  let next = 0;
  let failures = 0;
  let firstFailure;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        let problem;
        try {
          problem = await work(i, client);
        } catch (error) {
          problem = error.message;
        }
        latencies.push(performance.now() - t0);
        if (problem) {
          failures++;
          firstFailure ??= problem;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds, latencies, failures, firstFailure };
}

/** CPU seconds (user + system) process `pid` has used so far, read from /proc (Linux); 0 once it is gone. */
export function cpuSeconds(pid) {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by the PostgreSQL backends serving database `name`, by pid (the server runs
 * on this machine): the difference of two readings is the database's share of a run.
 */
export async function backendCpu(pg, name) {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  const { rows } = await c.query('select pid from pg_stat_activity where datname = $1', [name]);
  await c.end();
  return new Map(rows.map(({ pid }) => [pid, cpuSeconds(pid)]));
}

/** CPU seconds the backends used between two readings of backendCpu (a backend new in the second counts whole). */
export function backendCpuBetween(before, after) {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** The machine's load averages (1, 5, 15 min) and core count: figures on a shared machine are read with these. */
export function load() {
  return `load average ${loadavg().map((l) => l.toFixed(1)).join(', ')} on ${cpus().length} cores`;
}
