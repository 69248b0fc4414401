// bench/load: three `latch serve` processes on one PostgreSQL database, behind a round-robin client,
// under concurrent mixed load: intake (cases over the API, signed alerts), case updates, notes,
// refund proposals through the Stripe plugin (small ones execute at once, large ones wait for a
// second reviewer), decisions (some by the proposer: must be refused; some on a payload edited since:
// must be refused), and executions of a chaos test plugin. The Stripe plugin talks to the local
// Stripe-speaking test server (packages/server/test/fakes/stripe-server.ts) through a proxy this bench
// controls. Prints throughput and p50/p99 per operation, failures by code, then checks invariants:
// every acknowledged write present, `latch verify --all` passes (every chain and the log), no action
// refunded twice at Stripe, no approval by its proposer, no approval of a stale payload.
// With --faults, a schedule of faults follows the steady run, the load going on throughout; each
// fault is followed by a recovery measure (seconds from the fault's end until requests succeed
// again through every live process, and, for the plugin and Stripe faults, until a new action
// executes) and the same invariant check: kill -9 of the sequencer's leader (then restarted), the
// chaos plugin crashing, then hanging, Stripe answering 500s, 429s, then taking the refund and never
// answering (timeouts), and pg_terminate_backend of Latch's connections every second.
// Usage: node bench/load.mjs [--duration S] [--clients C] [--faults] [--fault-seconds S]
//                            [--only kill-leader,plugin-crash,plugin-hang,stripe-500,stripe-429,stripe-timeout,pg-terminate]
// (--only runs the named fault phases and implies --faults)
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { tsImport } from 'tsx/esm/api';
import { freshPostgres, latch, latchBin, load, machine, percentile, request, root } from './lib.mjs';

const PHASES = ['kill-leader', 'plugin-crash', 'plugin-hang', 'stripe-500', 'stripe-429', 'stripe-timeout', 'pg-terminate'];
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '180' },
    clients: { type: 'string', default: '24' },
    faults: { type: 'boolean', default: false },
    'fault-seconds': { type: 'string', default: '15' },
    only: { type: 'string' },
  },
});
const duration = Number(values.duration);
const clients = Number(values.clients);
const faultSeconds = Number(values['fault-seconds']);
const phases = values.only ? values.only.split(',') : values.faults ? PHASES : [];
for (const p of phases) if (!PHASES.includes(p)) throw new Error(`unknown fault phase ${p} (known: ${PHASES.join(', ')})`);
const PASSWORD = 'load bench password 123';
const ALERT_SECRET = `whsec_${Buffer.from('load bench alert secret, 32 bytes').toString('base64')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { startStripeServer } = await tsImport('../packages/server/test/fakes/stripe-server.ts', import.meta.url);

console.log(`bench/load on ${machine()}; ${load()}`);
console.log(`3 latch processes on PostgreSQL, ${clients} clients, steady ${duration} s${phases.length ? `, then faults (${faultSeconds} s each): ${phases.join(', ')}` : ''}\n`);

// --- Stripe, behind a proxy that can fail on demand ---------------------------------------------

const stripe = await startStripeServer();
let stripeMode = 'ok'; // ok | 500 | 429 | timeout (the refund is made, the answer never comes)
const held = new Set();
const proxy = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const mode = stripeMode;
    if (mode === '500' || mode === '429') {
      const error = mode === '500' ? { type: 'api_error', message: 'An unknown error occurred while processing your request.' } : { type: 'invalid_request_error', code: 'rate_limit', message: 'Request rate limit exceeded.' };
      res.writeHead(Number(mode), { 'content-type': 'application/json', ...(mode === '429' ? { 'retry-after': '1' } : {}) }).end(JSON.stringify({ error }));
      return;
    }
    const upstream = http.request(new URL(req.url, stripe.url), { method: req.method, headers: req.headers }, (answer) => {
      if (mode === 'timeout') {
        answer.resume();
        held.add(res); // carried out at Stripe; the answer never leaves
        return;
      }
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    upstream.end(Buffer.concat(chunks));
  });
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const stripeBase = `http://127.0.0.1:${proxy.address().port}`;

// --- Configuration, database, users -------------------------------------------------------------

const configDir = mkdtempSync(join(tmpdir(), 'latch-load-config-'));
const dataDir = mkdtempSync(join(tmpdir(), 'latch-load-data-'));
const chaosControl = join(configDir, 'chaos-control');
writeFileSync(chaosControl, 'ok');
cpSync(join(root, 'config'), configDir, { recursive: true });
writeFileSync(
  join(configDir, 'plugins.yaml'),
  `plugins:
  stripe:
    path: ${JSON.stringify(join(root, 'plugins/stripe'))}
    config: { apiBase: "${stripeBase}" }
    secrets: { apiKey: { env: LATCH_LOAD_STRIPE_KEY } }
    retry: { attempts: 5, firstDelayMs: 500 }
  chaos:
    path: ${JSON.stringify(join(root, 'test-fixtures/plugins/chaos'))}
    config: { controlFile: ${JSON.stringify(chaosControl)} }
    retry: { attempts: 3, firstDelayMs: 500 }
`,
);
writeFileSync(join(configDir, 'intake.yaml'), 'alerts:\n  load: { secret: { env: LATCH_LOAD_ALERT_SECRET }, type: refund, queue: refunds }\n');
writeFileSync(
  join(configDir, 'case-types', 'load_chaos.v1.yaml'),
  `# Written by bench/load.mjs: a case type whose one action (chaos.work) needs no approval.
key: load_chaos
version: 1
name: Load chaos
defaultQueue: refunds
fields: { type: object, additionalProperties: false, properties: {} }
statuses: [{ key: new, name: New }, { key: closed, name: Closed, final: true }]
initialStatus: new
transitions: [{ from: new, to: [closed] }]
actions:
  - { plugin: chaos, action: work, name: Work, input: { type: object, additionalProperties: false, properties: { n: { type: integer } } } }
`,
);
const database = await freshPostgres(pg);
const logKey = latch({}, 'log', 'key', '--generate', 'latch.load/log').trim();
const env = {
  LATCH_DATA_DIR: dataDir,
  LATCH_CONFIG_DIR: configDir,
  LATCH_DATABASE_URL: database.url,
  LATCH_LOG_KEY: logKey,
  LATCH_LOAD_STRIPE_KEY: 'sk_test_load_1234',
  LATCH_LOAD_ALERT_SECRET: ALERT_SECRET,
};
latch(env, 'migrate');
const makeUser = (email, roles) => latch({ ...env, LATCH_USER_PASSWORD: PASSWORD }, 'user', 'create', '--email', email, '--name', email.split('@')[0], ...roles.flatMap((r) => ['--role', r]), '--team', 'refunds');
makeUser('operator@load.example', ['operator']);
makeUser('proposer@load.example', ['operator', 'refund_approver']);
makeUser('approver@load.example', ['refund_approver']);
const operatorToken = latch(env, 'token', 'create', '--user', 'operator@load.example', '--name', 'load').trim();
const db = new pg.Client({ connectionString: database.url, application_name: 'latch-load-bench' });
await db.connect();
const rows = async (text, params) => (await db.query(text, params)).rows;

// --- Three processes ----------------------------------------------------------------------------

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
const processes = [];
/** Starts (or restarts) process i on its port, trying three times (a plugin's start-up can time out on a loaded machine). */
async function start(i) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(i);
    } catch (error) {
      if (attempt === 3) throw error;
      console.log(`  (process ${i} did not start, trying again: ${error.message.split('\n').at(-1)})`);
    }
  }
}
/** Starts process i; its stderr goes to a file, printed if the bench fails. */
async function startOnce(i) {
  const port = processes[i]?.port ?? (await freePort());
  const logFile = join(dataDir, `latch-${i}.log`);
  const child = spawn(process.execPath, [latchBin, 'serve'], {
    env: { ...process.env, ...env, LATCH_PORT: String(port), PGAPPNAME: `latch-load-${i}`, LATCH_LOG: 'warn' },
    stdio: ['ignore', 'ignore', openSync(logFile, 'a')],
  });
  const base = `http://127.0.0.1:${port}`;
  processes[i] = { port, base, child, up: false, logFile };
  for (let k = 0; k < 1800; k++) {
    if ((await request(base, 'GET', '/readyz').catch(() => undefined))?.status === 200) return (processes[i].up = true);
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`latch process ${i} did not become ready: ${readFileSync(logFile, 'utf8').trim().slice(-2000)}`);
}
/** Stops what the bench started and removes what it made; exits with `code`. */
async function cleanup(code) {
  for (const p of processes) if (p?.child.exitCode === null) p.child.kill('SIGTERM');
  await Promise.all(processes.map((p) => p && p.child.exitCode === null && new Promise((r) => p.child.once('exit', r))));
  if (code) for (const p of processes) if (p) appendFileSync(1, `\n--- ${p.logFile} (tail)\n${readFileSync(p.logFile, 'utf8').slice(-1500)}`);
  await db.end();
  await database.drop();
  for (const res of held) res.destroy();
  proxy.close();
  await stripe.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
  process.exit(code);
}
let turn = 0;
/** The next live process, round-robin (a killed one is out of the rotation until it is back). */
const next = () => {
  const live = processes.filter((p) => p.up);
  return live[turn++ % live.length].base;
};

/** Logs in (at any process: sessions live in the database); returns the session headers. */
async function login(email) {
  const res = await new Promise((resolve, reject) => {
    const body = Buffer.from(JSON.stringify({ email, password: PASSWORD }));
    const req = http.request(new URL('/api/v1/auth/login', next()), { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).find((c) => c.startsWith('latch_session='));
  if (res.status !== 200 || !cookie) throw new Error(`login failed for ${email}: ${res.status} ${res.body}`);
  return { cookie, 'x-csrf-token': JSON.parse(res.body).csrfToken };
}
const operator = { authorization: `Bearer ${operatorToken}` };
let proposer, approver, approverId;
try {
  await Promise.all([0, 1, 2].map(start));
  proposer = await login('proposer@load.example');
  approver = await login('approver@load.example');
  [{ id: approverId }] = await rows(`select id from users where email = 'approver@load.example'`);
} catch (error) {
  console.log(`FAILED to start: ${error.message}`);
  await cleanup(1);
}

// --- The load -----------------------------------------------------------------------------------

const stats = new Map(); // op -> { latencies, ok, failures: Map<code, n> }
const acked = { cases: [], notes: [], updates: new Map(), actions: [], decisions: [], alertCases: [] };
const violations = [];
const world = { cases: [], pending: [], chaosCases: [], seq: 0 };
const signer = new Webhook(ALERT_SECRET);

/**
 * One request through the rotation; records latency and outcome under `op` (anything but `expected`
 * counts as a failure, by code); resolves {status, json}, or {status: 0} on a transport error.
 */
async function call(op, method, path, headers, body, expected = [200, 201]) {
  const t0 = performance.now();
  let res;
  try {
    res = await request(next(), method, path, { headers, body });
  } catch (error) {
    res = { status: 0, body: '', code: error.code ?? 'TRANSPORT' };
  }
  const s = stats.get(op) ?? stats.set(op, { latencies: [], ok: 0, failures: new Map() }).get(op);
  s.latencies.push(performance.now() - t0);
  let json;
  try {
    json = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    json = undefined;
  }
  // An expected answer is a status (200) or a status and code ('403 SELF_APPROVAL_FORBIDDEN').
  if (expected.includes(res.status) || expected.includes(`${res.status} ${json?.error?.code}`)) s.ok++;
  else {
    const code = res.status === 0 ? res.code : `${res.status} ${json?.error?.code ?? ''}`.trim();
    s.failures.set(code, (s.failures.get(code) ?? 0) + 1);
  }
  return { status: res.status, json };
}
const pick = (list) => list[Math.floor(Math.random() * list.length)];

async function createCase() {
  const n = ++world.seq;
  const pi = `pi_load${n}`;
  stripe.addPaymentIntent(500_000, 'usd', pi);
  const title = `Refund ${n}`;
  const r = await call('case.create', 'POST', '/api/v1/cases', operator, { type: 'refund', title, fields: { order_id: String(n), amount_minor: 100_000, currency: 'usd', payment_intent: pi } });
  if (r.status !== 201) return;
  acked.cases.push(r.json.id);
  world.cases.push({ id: r.json.id, version: r.json.version, title, pi, proposed: false, busy: false });
}
async function alert() {
  const n = ++world.seq;
  const body = { version: '4', status: 'firing', receiver: 'latch', groupKey: `{}:{alertname="Load${n}"}`, alerts: [{ status: 'firing', labels: { alertname: `Load${n}`, severity: 'warning' }, annotations: { summary: `Load alert ${n}` }, startsAt: new Date().toISOString(), fingerprint: `fp${n.toString(16).padStart(8, '0')}` }] };
  const id = `load_${n}`;
  const at = new Date();
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signer.sign(id, at, JSON.stringify(body)) };
  const r = await call('intake.alert', 'POST', '/api/v1/intake/alerts/load', headers, body);
  if (r.status === 200) for (const c of r.json.cases ?? []) acked.alertCases.push(c.caseId ?? c.id);
}
async function note() {
  const c = pick(world.cases);
  if (!c) return;
  const r = await call('case.note', 'POST', `/api/v1/cases/${c.id}/notes`, operator, { body: `Checked order ${c.id.slice(0, 8)} at ${new Date().toISOString()}` });
  if (r.status === 201) acked.notes.push(r.json.id);
}
async function update() {
  const c = pick(world.cases.filter((x) => !x.busy));
  if (!c) return;
  c.busy = true;
  const title = `${c.title.split(' (')[0]} (edit ${++world.seq})`;
  const r = await call('case.update', 'PATCH', `/api/v1/cases/${c.id}`, { ...operator, 'if-match': `"${c.version}"` }, { title }, [200]);
  if (r.status === 200) {
    c.version = r.json.version;
    const prior = acked.updates.get(c.id);
    if (!prior || prior.version < c.version) acked.updates.set(c.id, { version: c.version, title });
  } else if (r.status === 409) {
    const fresh = await rows('select version from cases where id = $1', [c.id]);
    c.version = fresh[0]?.version ?? c.version;
  }
  c.busy = false;
}
async function propose() {
  const c = pick(world.cases.filter((x) => !x.proposed && !x.busy));
  if (!c) return;
  c.proposed = true;
  const large = Math.random() < 0.4;
  const amount = large ? 60_000 + Math.floor(Math.random() * 90_000) : 1_000 + Math.floor(Math.random() * 40_000);
  const r = await call(large ? 'action.propose (awaits approval)' : 'action.propose (executes)', 'POST', `/api/v1/cases/${c.id}/actions`, proposer, { plugin: 'stripe', action: 'refund', input: { payment_intent: c.pi, amount_minor: amount, currency: 'usd', reason: 'requested_by_customer' } });
  if (r.status !== 201) return;
  acked.actions.push(r.json.id);
  if (r.json.status === 'awaiting_approval') world.pending.push({ id: r.json.id, hash: r.json.payloadHash, version: r.json.version, pi: c.pi });
}
async function decide() {
  const a = world.pending.shift();
  if (!a) return;
  const path = `/api/v1/actions/${a.id}/decisions`;
  if (Math.random() < 0.25) {
    const r = await call('decide.self (must be refused)', 'POST', path, proposer, { decision: 'approve', payloadHash: a.hash }, ['403 SELF_APPROVAL_FORBIDDEN']);
    if (r.status >= 200 && r.status < 300) violations.push(`self-approval accepted: action ${a.id}`);
  }
  if (Math.random() < 0.25) {
    const stale = a.hash;
    const input = { payment_intent: a.pi, amount_minor: 55_000 + Math.floor(Math.random() * 90_000), currency: 'usd', reason: 'duplicate' };
    const edit = await call('action.edit', 'PATCH', `/api/v1/actions/${a.id}`, proposer, { input, version: a.version }, [200]);
    if (edit.status === 200) {
      a.hash = edit.json.payloadHash;
      const r = await call('decide.stale (must be refused)', 'POST', path, approver, { decision: 'approve', payloadHash: stale }, ['409 PAYLOAD_CHANGED', '400 PAYLOAD_HASH_MISMATCH']);
      if (r.status >= 200 && r.status < 300) violations.push(`approval of a stale payload accepted: action ${a.id}`);
    }
  }
  const r = await call('decide.approve', 'POST', path, approver, { decision: 'approve', payloadHash: a.hash });
  if (r.status === 200 || r.status === 201) acked.decisions.push(a.id);
}
async function chaos() {
  if (world.chaosCases.length < 20) {
    const r = await call('case.create (chaos)', 'POST', '/api/v1/cases', operator, { type: 'load_chaos', title: `Chaos ${++world.seq}`, fields: {} });
    if (r.status === 201) world.chaosCases.push(r.json.id);
    return;
  }
  const r = await call('action.propose (chaos plugin)', 'POST', `/api/v1/cases/${pick(world.chaosCases)}/actions`, operator, { plugin: 'chaos', action: 'work', input: { n: ++world.seq } });
  if (r.status === 201) acked.actions.push(r.json.id);
}
const MIX = [[createCase, 18], [alert, 8], [note, 16], [update, 16], [propose, 16], [decide, 14], [chaos, 12]];
const weightTotal = MIX.reduce((s, [, w]) => s + w, 0);
const operation = () => {
  let x = Math.random() * weightTotal;
  for (const [fn, w] of MIX) if ((x -= w) < 0) return fn;
  return createCase;
};

let loadRunning = true;
let paused; // a promise while the invariants are read: the load waits, so in-flight work can settle
const loadStarted = performance.now();
const workers = Array.from({ length: clients }, async () => {
  while (loadRunning) {
    await paused;
    await operation()().catch((e) => violations.push(`bench error: ${e.message}`));
  }
});

// --- Recovery and invariants --------------------------------------------------------------------

/** Seconds from now until a case is created through every live process and `extra` (if any) holds. */
async function recovery(extra) {
  const t0 = performance.now();
  for (;;) {
    const oks = await Promise.all(
      processes.filter((p) => p.up).map((p) => request(p.base, 'POST', '/api/v1/cases', { headers: operator, body: { type: 'load_chaos', title: 'Probe', fields: {} } }).then((r) => r.status === 201, () => false)),
    );
    if (oks.every(Boolean) && (!extra || (await extra().catch(() => false)))) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > 300_000) return Infinity;
    await sleep(200);
  }
}
/** A case created now has its events in the log within 10 s (the sequencer's leader integrates them). */
async function logged() {
  const r = await request(next(), 'POST', '/api/v1/cases', { headers: operator, body: { type: 'load_chaos', title: 'Log probe', fields: {} } });
  if (r.status !== 201) return false;
  const id = JSON.parse(r.body).id;
  for (let k = 0; k < 100; k++) {
    const [{ n }] = await rows('select count(*)::int as n from log_pending p join events e on e.id = p.event_id where e.stream = $1', [id]);
    if (n === 0) return true;
    await sleep(100);
  }
  return false;
}
/** Proposes `plugin`'s action and waits for it to succeed (a fresh payment for Stripe). */
const executes = (plugin) => async () => {
  let caseId = world.chaosCases[0];
  let body = { plugin: 'chaos', action: 'work', input: { n: ++world.seq } };
  if (plugin === 'stripe') {
    const pi = `pi_probe${++world.seq}`;
    stripe.addPaymentIntent(10_000, 'usd', pi);
    const c = await request(next(), 'POST', '/api/v1/cases', { headers: operator, body: { type: 'refund', title: 'Probe refund', fields: { order_id: 'probe', amount_minor: 1_000, currency: 'usd', payment_intent: pi } } });
    if (c.status !== 201) return false;
    caseId = JSON.parse(c.body).id;
    body = { plugin: 'stripe', action: 'refund', input: { payment_intent: pi, amount_minor: 1_000, currency: 'usd', reason: 'duplicate' } };
  }
  const r = await request(next(), 'POST', `/api/v1/cases/${caseId}/actions`, { headers: plugin === 'stripe' ? proposer : operator, body });
  if (r.status !== 201) return false;
  const id = JSON.parse(r.body).id;
  for (let k = 0; k < 100; k++) {
    const [row] = await rows('select status from action_requests where id = $1', [id]);
    if (row?.status === 'succeeded') return true;
    if (row?.status === 'failed') return false;
    await sleep(100);
  }
  return false;
};

/** Every invariant, the load paused meanwhile; returns the problems found (an empty list: all hold). */
async function invariants() {
  let resume;
  paused = new Promise((r) => (resume = r));
  try {
    return await check();
  } finally {
    paused = undefined;
    resume();
  }
}
async function check() {
  const problems = [...violations.splice(0)];
  // Executions in flight settle first (retries back off for a few seconds at most).
  for (let k = 0; k < 1200; k++) {
    const [{ n }] = await rows(`select count(*)::int as n from action_requests where status in ('approved', 'queued', 'running')`);
    if (n === 0) break;
    if (k === 1199) problems.push(`${n} actions still approved/queued/running after 120 s without load`);
    await sleep(100);
  }
  const missing = async (what, table, ids) => {
    if (ids.length === 0) return;
    const found = new Set((await rows(`select id from ${table} where id = any($1::uuid[])`, [ids])).map((r) => r.id));
    const lost = ids.filter((id) => !found.has(id));
    if (lost.length) problems.push(`${lost.length} acknowledged ${what} missing (first ${lost[0]})`);
  };
  await missing('cases', 'cases', acked.cases);
  await missing('alert cases', 'cases', acked.alertCases);
  await missing('notes', 'notes', acked.notes);
  await missing('proposals', 'action_requests', acked.actions);
  const updates = [...acked.updates];
  const now = new Map((await rows('select id, version, title from cases where id = any($1::uuid[])', [updates.map(([id]) => id)])).map((r) => [r.id, r]));
  for (const [id, u] of updates) {
    const row = now.get(id);
    if (!row || row.version < u.version || (row.version === u.version && row.title !== u.title)) problems.push(`acknowledged update lost: case ${id} v${u.version} '${u.title}', now v${row?.version} '${row?.title}'`);
  }
  const decided = new Set((await rows('select action_id from approval_decisions where decided_by = $1', [approverId])).map((r) => r.action_id));
  const lostDecisions = acked.decisions.filter((id) => !decided.has(id));
  if (lostDecisions.length) problems.push(`${lostDecisions.length} acknowledged approvals missing`);
  const [self] = await rows(`select count(*)::int as n from approval_decisions d join action_requests a on a.id = d.action_id where d.decided_by = a.proposed_by or d.on_behalf_of = a.proposed_by`);
  if (self.n) problems.push(`${self.n} decisions by the action's own proposer`);
  const [stale] = await rows(`select count(*)::int as n from approval_decisions d join action_requests a on a.id = d.action_id where d.decision = 'approve' and d.round = a.round and d.payload_hash <> a.payload_hash`);
  if (stale.n) problems.push(`${stale.n} approvals of a payload other than the action's`);
  // Stripe: one refund per action at most; every succeeded refund action has its refund.
  const byAction = new Map();
  for (const refund of stripe.refunds.values()) {
    const action = refund.metadata?.latch_action;
    byAction.set(action, (byAction.get(action) ?? 0) + 1);
  }
  const twice = [...byAction].filter(([, n]) => n > 1);
  if (twice.length) problems.push(`${twice.length} actions refunded more than once at Stripe (first ${twice[0][0]})`);
  const succeeded = await rows(`select id from action_requests where plugin = 'stripe' and status = 'succeeded'`);
  const without = succeeded.filter((r) => !byAction.has(r.id));
  if (without.length) problems.push(`${without.length} refund actions succeeded with no refund at Stripe`);
  try {
    latch(env, 'verify', '--all');
  } catch (error) {
    problems.push(`latch verify --all failed: ${error.message.slice(0, 500)}`);
  }
  return problems;
}
const report = (label, problems) => console.log(`  invariants after ${label}: ${problems.length === 0 ? 'all hold' : `VIOLATED\n    ${problems.join('\n    ')}`}`);

// --- Faults -------------------------------------------------------------------------------------

/** The process holding the sequencer's leader lock (by the application name each process connects with). */
async function leader() {
  const found = await rows(
    `select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid where l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database where datname = current_database()) and ((l.classid::bigint << 32) | l.objid::bigint) = $1 and l.objsubid = 1`,
    [String(0x4c41_5443_4801n)],
  );
  const name = found[0]?.application_name ?? '';
  return /^latch-load-(\d)$/.test(name) ? Number(name.slice(-1)) : undefined;
}
const terminate = () => rows(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name like 'latch-load-%' and application_name <> 'latch-load-bench'`);
const recoveries = [];

async function phase(name) {
  const t0 = performance.now();
  let extra;
  let note = '';
  if (name === 'kill-leader') {
    // Measured from the kill: the two others must carry on (and one take the log over) without
    // waiting for the dead one; it is restarted after the fault time.
    const found = await leader();
    if (found === undefined) violations.push('no process holds the sequencer leader lock before the kill');
    const i = found ?? 0;
    const [{ n: backlog }] = await rows('select count(*)::int as n from log_pending');
    processes[i].up = false;
    processes[i].child.kill('SIGKILL');
    const killedAt = performance.now();
    const since = () => ((performance.now() - killedAt) / 1000).toFixed(1);
    let led;
    const seconds = await recovery(async () => {
      const l = await leader();
      if (l === undefined || l === i) return false;
      led ??= `process ${l} took the leader lock ${since()} s after the kill`;
      return logged();
    });
    const waited = performance.now() - killedAt;
    await sleep(Math.max(0, faultSeconds * 1000 - waited));
    const restart = performance.now();
    await start(i);
    recoveries.push({ name, seconds });
    console.log(
      `\n${name}: kill -9 of process ${i}, the leader; ${led}; requests succeed through the others and a new case reaches the log (${backlog} events were waiting for it at the kill) ${seconds.toFixed(1)} s after the kill (target ≤ 10 s); restarted after ${faultSeconds} s, ready in ${((performance.now() - restart) / 1000).toFixed(1)} s`,
    );
    report(name, await invariants());
    return;
  }
  if (name === 'plugin-crash' || name === 'plugin-hang') {
    writeFileSync(chaosControl, name === 'plugin-crash' ? 'crash' : 'hang');
    await sleep(faultSeconds * 1000);
    writeFileSync(chaosControl, 'ok');
    extra = executes('chaos');
  } else if (name.startsWith('stripe-')) {
    stripeMode = name.slice('stripe-'.length);
    await sleep(faultSeconds * 1000);
    stripeMode = 'ok';
    for (const res of held) res.destroy();
    held.clear();
    extra = executes('stripe');
  } else if (name === 'pg-terminate') {
    const until = performance.now() + faultSeconds * 1000;
    let killed = 0;
    while (performance.now() < until) {
      killed += (await terminate()).length;
      await sleep(1000);
    }
    note = `${killed} connections terminated`;
  }
  const seconds = await recovery(extra);
  recoveries.push({ name, seconds });
  console.log(`\n${name}: fault for ${((performance.now() - t0) / 1000 - seconds).toFixed(0)} s${note ? ` (${note})` : ''}; service back ${seconds.toFixed(1)} s after the fault ended (target ≤ 10 s)`);
  report(name, await invariants());
}

// --- Run ----------------------------------------------------------------------------------------

let exitCode = 0;
try {
  await sleep(duration * 1000);
  const steadySeconds = (performance.now() - loadStarted) / 1000;
  console.log(`steady load, ${steadySeconds.toFixed(0)} s:`);
  for (const [op, s] of [...stats].sort()) {
    const sorted = [...s.latencies].sort((a, b) => a - b);
    console.log(`  ${op.padEnd(34)} ${(s.ok / steadySeconds).toFixed(1).padStart(7)}/s ok   p50 ${percentile(sorted, 50).toFixed(1).padStart(7)} ms   p99 ${percentile(sorted, 99).toFixed(1).padStart(7)} ms   ${s.latencies.length} sent`);
  }
  const steadyProblems = await invariants();
  report('the steady load', steadyProblems);
  for (const name of phases) await phase(name);
  loadRunning = false;
  await Promise.all(workers);
  const problems = await invariants();
  report('the whole run (load stopped)', problems);
  console.log('\nfailures by operation and code (expected refusals not counted):');
  for (const [op, s] of [...stats].sort()) if (s.failures.size) console.log(`  ${op.padEnd(34)} ${[...s.failures].map(([c, n]) => `${c} × ${n}`).join(', ')}`);
  const refunded = [...new Set([...stripe.refunds.values()].map((r) => r.metadata?.latch_action))];
  const unsure = await rows(`select count(*)::int as n from action_requests where id = any($1::uuid[]) and status <> 'succeeded'`, [refunded.filter(Boolean)]);
  console.log(`\nrefunds made at Stripe for actions Latch shows as not succeeded (outcome for a person to check): ${unsure[0].n}`);
  if (phases.length) console.log(`\nrecovery (s): ${recoveries.map((r) => `${r.name} ${r.seconds.toFixed(1)}`).join(', ')}`);
  console.log(`\nacknowledged: ${acked.cases.length} cases, ${acked.alertCases.length} alert cases, ${acked.notes.length} notes, ${acked.updates.size} cases updated, ${acked.actions.length} proposals, ${acked.decisions.length} approvals; Stripe refunds ${stripe.refunds.size}; ${load()}`);
  if (problems.length || steadyProblems.length || recoveries.some((r) => r.seconds > 10)) exitCode = 1;
} catch (error) {
  console.log(`FAILED: ${error.stack}`);
  exitCode = 1;
} finally {
  loadRunning = false;
  await cleanup(exitCode);
}
