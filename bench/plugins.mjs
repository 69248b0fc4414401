// bench/plugins: plugin execution.
// 1. Round trip of `action.execute` to a no-op plugin through PluginHost, in TypeScript (plugins/echo)
//    and in Go (sdk/go/examples/echo): sequential calls, then concurrent ones; and a retry's path,
//    `action.reconcile` then `action.execute`.
// 2. Executions per second through the job queue, on PostgreSQL and on PGlite (temp data dir): noop
//    actions of a bench case type without a policy (approved at once, enqueued in the proposing
//    transaction) proposed over the HTTP API (buildApp + inject), timed until every action is
//    `succeeded` in action_requests. Three runs per database:
//      backlog  — N actions proposed while no execution worker runs, then Latch opened with the echo
//                 plugin: time to drain them (the worker alone);
//      live     — N actions proposed by concurrent clients while the worker runs (end to end);
//      tuned    — the same two, executed by a worker the bench registers on the same queue with
//                 batchSize K (what runtime.ts would do with `jobs.work(..., { batchSize: K })`),
//                 then also with a 50 ms polling interval instead of the default 1 s.
// Usage: node bench/plugins.mjs [--calls N] [--concurrency C] [--actions N] [--clients C] [--batch K]
//                               [--only rtt|postgres|pglite]
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { drive, freshPostgres, latch, machine, percentile, root } from './lib.mjs';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '16' },
    actions: { type: 'string', default: '2000' },
    clients: { type: 'string', default: '16' },
    batch: { type: 'string', default: '16' },
    only: { type: 'string' },
  },
});
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);
const actionCount = Number(values.actions);
const clients = Number(values.clients);
const batchSize = Number(values.batch);
const WAIT_LIMIT_MS = 300_000;
const PASSWORD = 'bench password 123';

const { PluginHost } = await import('../packages/server/dist/plugin-host/plugin-host.js');
const { openLatch } = await import('../packages/server/dist/runtime.js');
const { readConfig } = await import('../packages/server/dist/config.js');
const { buildApp } = await import('../packages/server/dist/http/app.js');
const { openJobQueue } = await import('../packages/server/dist/jobs/job-queue.js');
const { runExecution } = await import('../packages/server/dist/execution/run-execution.js');
const { ACTION_EXECUTE_QUEUE } = await import('../packages/server/dist/execution/plugin-runtime.js');

// The echo plugin requires a `token` secret; it is read from the environment, never from a file.
process.env.LATCH_BENCH_ECHO_TOKEN ??= 'bench-echo-token';
const echoSettings = { id: 'echo', dir: join(root, 'plugins/echo'), config: {}, secrets: { token: { env: 'LATCH_BENCH_ECHO_TOKEN' } } };
const goDir = join(root, 'sdk/go/examples/echo');
const goSettings = { id: 'echo-go', dir: goDir, config: {}, secrets: {} };

const pluginLog = [];
const log = (level, message) => {
  if (level !== 'info') pluginLog.push(`${level} ${message}`);
};

/** CPU used by this process (Latch, its HTTP app, the bench clients; not the plugin or PostgreSQL) since `since`, as a share of one core over `wallMs`. */
const cpuShare = (since, wallMs) => {
  const { user, system } = process.cpuUsage(since);
  return `Latch process CPU ${(((user + system) / 1000 / wallMs) * 100).toFixed(0)}% of a core`;
};
const ms = (sorted, p) => `${percentile(sorted, p).toFixed(2)} ms`;


console.log(`bench/plugins on ${machine()}`);

// --- 1. action.execute round trip ---------------------------------------------------------------

if (!values.only || values.only === 'rtt') {
  console.log(`\naction.execute round trip to a no-op plugin (PluginHost, JSON-RPC over stdio): ${calls} sequential calls, ${calls} at concurrency ${concurrency}, after 1000 warm-up calls`);
  const go = spawnSync('go', ['build', '-o', 'examples/echo/echo', './examples/echo'], { cwd: join(root, 'sdk/go'), encoding: 'utf8' });
  const goReady = go.status === 0 && existsSync(join(goDir, 'echo'));
  if (!goReady) console.log(`  (Go plugin not built, skipped: ${go.error?.message ?? go.stderr.trim()})`);
  const subjects = [['TypeScript', echoSettings], ...(goReady ? [['Go', goSettings]] : [])];
  const caseContext = { id: randomUUID(), type: 'bench', typeVersion: 1, status: 'new', priority: 'normal', queue: 'refunds', fields: {} };
  for (const [label, settings] of subjects) {
    const host = await PluginHost.start([settings], log);
    try {
      const call = async () => {
        const id = randomUUID();
        const outcome = await host.execute(settings.id, { requestId: id, idempotencyKey: `latch-${id}-r1-e1`, action: 'noop', input: {}, case: caseContext, attempt: 1 });
        if (outcome.status !== 'succeeded') return `status ${outcome.status}: ${outcome.summary}`;
      };
      await drive(500, 1, call);
      await drive(500, concurrency, call);
      // A retry's path: action.reconcile (nothing found) then action.execute with the same request id.
      const retry = async () => {
        const id = randomUUID();
        const found = await host.reconcile(settings.id, { requestId: id, idempotencyKeys: [`latch-${id}-r1-e1`], action: 'noop', input: {}, case: caseContext });
        if (found.found) return 'reconcile found a request that never ran';
        const outcome = await host.execute(settings.id, { requestId: id, idempotencyKey: `latch-${id}-r1-e1`, action: 'noop', input: {}, case: caseContext, attempt: 2 });
        if (outcome.status !== 'succeeded') return `status ${outcome.status}: ${outcome.summary}`;
      };
      const paths = [['execute', call], ...(host.canReconcile(settings.id, 'noop') ? [['retry', retry]] : [])];
      for (const [path, fn] of paths) {
        for (const c of [1, concurrency]) {
          const r = await drive(calls, c, fn);
          console.log(
            `  ${label.padEnd(10)} ${path.padEnd(7)} concurrency ${String(c).padStart(2)}: p50 ${ms(r.latencies, 50)}, p99 ${ms(r.latencies, 99)}, max ${ms(r.latencies, 100)}, ${(calls / r.seconds).toFixed(0)} calls/s, ${r.failures} failures` +
              (r.firstFailure ? ` (first: ${r.firstFailure})` : ''),
          );
        }
      }
    } finally {
      await host.stop();
    }
  }
  console.log('  target: p99 < 5 ms (execute: one round trip; retry: reconcile + execute, two)');
}

// --- 2. executions per second through the job queue ---------------------------------------------

const BENCH_CASE_TYPE = `# Written by bench/plugins.mjs: a case type whose one action (echo.noop) needs no approval.
key: bench
version: 1
name: Bench
defaultQueue: refunds
fields: { type: object, additionalProperties: false, properties: { n: { type: integer } } }
statuses: [{ key: new, name: New }, { key: closed, name: Closed, final: true }]
initialStatus: new
transitions: [{ from: new, to: [closed] }]
actions:
  - { plugin: echo, action: noop, name: Noop, input: { type: object, additionalProperties: false, properties: {} } }
`;
const PLUGINS_YAML = `plugins:
  echo:
    path: ${JSON.stringify(echoSettings.dir)}
    secrets: { token: { env: LATCH_BENCH_ECHO_TOKEN } }
`;

for (const kind of ['postgres', 'pglite']) {
  if (values.only && values.only !== kind) continue;
  console.log(
    `\n${kind}: executions of echo.noop through the job queue; ${actionCount} actions per run, proposed over HTTP (inject) by ${clients} concurrent clients, one action per case`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-bench-'));
  const configDir = mkdtempSync(join(tmpdir(), 'latch-bench-config-'));
  cpSync(join(root, 'config'), configDir, { recursive: true });
  writeFileSync(join(configDir, 'case-types', 'bench.v1.yaml'), BENCH_CASE_TYPE);
  const pluginsFile = join(configDir, 'plugins.yaml');
  const database = kind === 'postgres' ? await freshPostgres(pg) : undefined;
  const env = { LATCH_DATA_DIR: dataDir, LATCH_CONFIG_DIR: configDir, ...(database ? { LATCH_DATABASE_URL: database.url } : {}) };
  const config = readConfig({ ...process.env, ...env });
  let opened;
  let extraQueue;
  let extraHost;
  let extraApp;
  try {
    latch({ ...env, LATCH_USER_PASSWORD: PASSWORD }, 'migrate');
    latch({ ...env, LATCH_USER_PASSWORD: PASSWORD }, 'user', 'create', '--email', 'bench@latch.example', '--name', 'Bench', '--role', 'operator', '--team', 'refunds');
    const token = latch(env, 'token', 'create', '--user', 'bench@latch.example', '--name', 'bench').trim();
    const headers = { authorization: `Bearer ${token}` };

    /** Opens Latch in this process; with the echo plugin in plugins.yaml (and so the execution worker) or without. */
    const open = async (withPlugins) => {
      if (withPlugins) writeFileSync(pluginsFile, PLUGINS_YAML);
      else rmSync(pluginsFile, { force: true });
      const latchDb = await openLatch(config, { log });
      const app = await buildApp(latchDb.ctx);
      return { ...latchDb, app, close: async () => (await app.close(), await latchDb.close()) };
    };
    let caseSeq = 0;
    const createCases = async (app, n) => {
      const ids = [];
      const r = await drive(n, clients, async (i) => {
        const res = await app.inject({ method: 'POST', url: '/api/v1/cases', headers, payload: { type: 'bench', title: `Bench case ${caseSeq + i}`, fields: { n: caseSeq + i } } });
        if (res.statusCode !== 201) return `${res.statusCode} ${res.body}`;
        ids[i] = res.json().id;
      });
      caseSeq += n;
      if (r.failures) throw new Error(`creating cases failed: ${r.firstFailure}`);
      return ids;
    };
    const propose = async (app, caseIds) => {
      const actionIds = [];
      const r = await drive(caseIds.length, clients, async (i) => {
        const res = await app.inject({ method: 'POST', url: `/api/v1/cases/${caseIds[i]}/actions`, headers, payload: { plugin: 'echo', action: 'noop', input: {} } });
        if (res.statusCode !== 201) return `${res.statusCode} ${res.body}`;
        const action = res.json();
        if (action.status !== 'approved') return `status ${action.status}`;
        actionIds[i] = action.id;
      });
      if (r.failures) throw new Error(`proposing failed: ${r.firstFailure}`);
      return { ...r, actionIds };
    };
    const query = async (ctx, text) => (await ctx.database.db.$client.query(text)).rows;
    /** Polls action_requests until `target` actions in all have succeeded; returns when (performance.now()) or throws. */
    const waitSucceeded = async (ctx, target) => {
      const deadline = performance.now() + WAIT_LIMIT_MS;
      for (;;) {
        const [row] = await query(ctx, `select count(*) filter (where status = 'succeeded')::int as ok, count(*) filter (where status = 'failed')::int as failed from action_requests`);
        const now = performance.now();
        if (row.ok >= target) return now;
        if (row.failed > 0) throw new Error(`${row.failed} actions failed`);
        if (now > deadline) throw new Error(`only ${row.ok}/${target} actions succeeded after ${WAIT_LIMIT_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    /** Proposal → succeeded, from the action rows' own timestamps. */
    const endToEnd = async (ctx, actionIds) => {
      const wanted = new Set(actionIds);
      const rows = await query(ctx, `select id, created_at, updated_at from action_requests where status = 'succeeded'`);
      return rows
        .filter((r) => wanted.has(r.id))
        .map((r) => new Date(r.updated_at).getTime() - new Date(r.created_at).getTime())
        .sort((a, b) => a - b);
    };
    let succeeded = 0;
    const report = (label, n, seconds, extra = '') => console.log(`  ${label.padEnd(32)} ${(n / seconds).toFixed(0).padStart(5)} executions/s (${n} in ${seconds.toFixed(2)} s)${extra}`);

    /** The backlog and live runs against whatever execution worker `startWorker` brings up. */
    const runs = async (label, startWorker) => {
      // Backlog: propose while no execution worker runs (jobs wait in the queue), then start one.
      opened = await open(false);
      await opened.app.inject({ method: 'GET', url: '/readyz' });
      const backlogCases = await createCases(opened.app, actionCount);
      const proposed = await propose(opened.app, backlogCases);
      const liveCases = await createCases(opened.app, actionCount);
      const t0 = performance.now();
      const { ctx, app } = await startWorker();
      const tReady = performance.now();
      const cpuBacklog = process.cpuUsage();
      const [before] = await query(ctx, `select count(*) filter (where status = 'succeeded')::int as ok from action_requests`);
      const drained = await waitSucceeded(ctx, succeeded + actionCount);
      succeeded += actionCount;
      report(
        `${label} backlog`,
        actionCount - (before.ok - (succeeded - actionCount)),
        (drained - tReady) / 1000,
        ` [start-up ${((tReady - t0) / 1000).toFixed(2)} s not counted; proposing them: ${(actionCount / proposed.seconds).toFixed(0)}/s; ${cpuShare(cpuBacklog, drained - tReady)}]`,
      );
      // Live: concurrent clients propose while the worker runs.
      const tLive = performance.now();
      const cpuLive = process.cpuUsage();
      const live = await propose(app, liveCases);
      const proposedAt = performance.now();
      const done = await waitSucceeded(ctx, succeeded + actionCount);
      const cpuLiveShare = cpuShare(cpuLive, done - tLive);
      succeeded += actionCount;
      const latencies = await endToEnd(ctx, live.actionIds);
      report(
        `${label} live`,
        actionCount,
        (done - tLive) / 1000,
        ` [proposals ${(actionCount / live.seconds).toFixed(0)}/s; last done ${((done - proposedAt) / 1000).toFixed(2)} s after the last proposal; proposal→succeeded p50 ${latencies.length ? percentile(latencies, 50) : NaN} ms, p99 ${latencies.length ? percentile(latencies, 99) : NaN} ms; ${cpuLiveShare}]`,
      );
    };

    // As shipped: openLatch registers the execution worker itself (runtime.ts).
    await runs('as shipped', async () => {
      await opened.close();
      opened = await open(true);
      return opened;
    });
    await opened.close();
    opened = undefined;

    // Tuned: Latch opened without plugins (no worker of its own); the bench registers the same
    // handler as runtime.ts on the same queue, with a batch size (and a polling interval).
    for (const options of [{ batchSize }, { batchSize, pollingIntervalSeconds: 0.05 }]) {
      const label = `batchSize ${options.batchSize}${options.pollingIntervalSeconds ? `, poll ${options.pollingIntervalSeconds * 1000} ms` : ''}`;
      await runs(label, async () => {
        extraHost = await PluginHost.start([echoSettings], log);
        extraQueue = await openJobQueue(opened.ctx.database, {});
        const { ctx } = opened;
        const host = extraHost;
        // Enqueue through this queue too, so that on PGlite a proposal wakes this worker as it would Latch's own.
        const queue = extraQueue;
        const scheduler = { schedule: (tx, name, data, startAfter) => queue.sendInTransaction(tx, name, data, { startAfter }) };
        await queue.work(ACTION_EXECUTE_QUEUE, async (job) => void (await runExecution(ctx.database, host, scheduler, job.data)), options);
        extraApp = await buildApp({ ...ctx, scheduler, plugins: host });
        return { ctx, app: extraApp };
      });
      await extraApp.close();
      await extraQueue.stop();
      await extraHost.stop();
      await opened.close();
      extraApp = extraQueue = extraHost = opened = undefined;
    }
  } catch (error) {
    console.log(`  FAILED: ${error.message}`);
    process.exitCode = 1;
  } finally {
    await extraApp?.close();
    await extraQueue?.stop();
    await extraHost?.stop();
    await opened?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  }
}
console.log('\ntarget: 300 executions/s');
if (pluginLog.length > 0) console.log(`\nplugin host warnings/errors (${pluginLog.length}):\n  ${pluginLog.slice(0, 10).join('\n  ')}`);
