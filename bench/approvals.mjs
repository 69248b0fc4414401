// bench/approvals: governed approvals over HTTP against a real `latch serve` on PostgreSQL. One
// operator (API token) proposes N refunds above the approval threshold with concurrent clients;
// reviewers (refund_approver, logged in with sessions, since API tokens cannot decide) approve them
// all; then every action is read back and must be approved.
// Usage: node bench/approvals.mjs [--actions N] [--concurrency C] [--reviewers R] [--per-case K]
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { drive, freshPostgres, latch, machine, percentile, request, root, serve } from './lib.mjs';

const { values } = parseArgs({
  options: {
    actions: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    reviewers: { type: 'string', default: '8' },
    'per-case': { type: 'string', default: '10' },
    warmup: { type: 'string', default: '200' },
  },
});
const total = Number(values.actions);
const concurrency = Number(values.concurrency);
const reviewerCount = Number(values.reviewers);
const perCase = Number(values['per-case']);
const warmup = Number(values.warmup);
const PASSWORD = 'bench password 123';
// Action i goes on case i % caseCount (warm-up actions included), so concurrent requests rarely
// share a case's timeline lock.
const caseCount = Math.ceil((total + warmup) / perCase);

console.log(`bench/approvals on ${machine()}`);
console.log(
  `${total} refund actions above the threshold (+${warmup} warm-up) on ${caseCount} cases (${perCase} per case, interleaved), ${concurrency} concurrent clients, ${reviewerCount} reviewers\n`,
);


const ms = (latencies, p) => `${percentile(latencies, p).toFixed(1)} ms`;

/** Logs in; lib's request() does not expose headers, and the session comes back as a Set-Cookie. */
function login(base, email) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify({ email, password: PASSWORD }));
    const req = http.request(
      new URL('/api/v1/auth/login', base),
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': payload.length } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).find((c) => c.startsWith('latch_session='));
          if (res.statusCode !== 200 || !cookie) return reject(new Error(`login failed for ${email}: ${res.statusCode} ${body}`));
          resolve({ cookie, 'x-csrf-token': JSON.parse(body).csrfToken });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const kind = 'postgres';
const dataDir = mkdtempSync(join(tmpdir(), 'latch-bench-'));
const database = await freshPostgres(pg);
const env = { LATCH_DATA_DIR: dataDir, LATCH_CONFIG_DIR: join(root, 'config'), LATCH_DATABASE_URL: database.url };
let server;
try {
  const withPassword = { ...env, LATCH_USER_PASSWORD: PASSWORD };
  latch(withPassword, 'migrate');
  latch(withPassword, 'user', 'create', '--email', 'proposer@latch.example', '--name', 'Proposer', '--role', 'operator', '--team', 'refunds');
  const reviewerEmails = Array.from({ length: reviewerCount }, (_, r) => `reviewer${r}@latch.example`);
  for (const [r, email] of reviewerEmails.entries()) {
    latch(withPassword, 'user', 'create', '--email', email, '--name', `Reviewer ${r}`, '--role', 'refund_approver', '--team', 'refunds');
  }
  const token = latch(env, 'token', 'create', '--user', 'proposer@latch.example', '--name', 'bench').trim();
  server = await serve(env, 3920);
  const base = server.base;
  const operator = { authorization: `Bearer ${token}` };
  const reviewers = [];
  for (const email of reviewerEmails) reviewers.push(await login(base, email));

  const caseIds = [];
  const created = await drive(caseCount, concurrency, async (i) => {
    const res = await request(base, 'POST', '/api/v1/cases', {
      headers: operator,
      body: { type: 'refund', title: `Refund for order ${i}`, fields: { order_id: String(i), amount_minor: 60000 + i, currency: 'usd' } },
    });
    if (res.status !== 201) return `${res.status} ${res.body}`;
    caseIds[i] = JSON.parse(res.body).id;
  });
  if (created.failures) throw new Error(`creating cases failed: ${created.firstFailure}`);

  const actions = []; // [i] = {id, payloadHash}
  const propose = async (i) => {
    const res = await request(base, 'POST', `/api/v1/cases/${caseIds[i % caseCount]}/actions`, {
      headers: operator,
      body: { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_x', amount_minor: 60000 + i, currency: 'usd', reason: 'requested_by_customer' } },
    });
    if (res.status !== 201) return `${res.status} ${res.body}`;
    const action = JSON.parse(res.body);
    if (action.status !== 'awaiting_approval') return `status ${action.status}`;
    actions[i] = { id: action.id, payloadHash: action.payloadHash };
  };
  const decide = async (i, client) => {
    const { id, payloadHash } = actions[i];
    const res = await request(base, 'POST', `/api/v1/actions/${id}/decisions`, { headers: reviewers[client % reviewers.length], body: { decision: 'approve', payloadHash } });
    if (res.status !== 201) return `${res.status} ${res.body}`;
  };
  const readBack = async (i) => {
    const res = await request(base, 'GET', `/api/v1/actions/${actions[i].id}`, { headers: operator });
    if (res.status !== 200) return `${res.status} ${res.body}`;
    const status = JSON.parse(res.body).status;
    if (status !== 'approved') return `status ${status}`;
  };

  // Warm-up on the last `warmup` indices (JIT, connection pool, plans); not measured.
  const offset = total;
  for (const step of [propose, decide]) {
    const w = await drive(warmup, concurrency, (i, client) => step(offset + i, client));
    if (w.failures) throw new Error(`warm-up failed: ${w.firstFailure}`);
  }

  const proposed = await drive(total, concurrency, propose);
  console.log(
    `${kind} propose: ${(total / proposed.seconds).toFixed(0)} proposals/s, p50 ${ms(proposed.latencies, 50)}, p99 ${ms(proposed.latencies, 99)}, ${proposed.failures} failures`,
  );
  if (proposed.failures) throw new Error(`proposals failed: ${proposed.firstFailure}`);

  const decided = await drive(total, concurrency, decide);
  console.log(
    `${kind} decide: ${(total / decided.seconds).toFixed(0)} decisions/s, p50 ${ms(decided.latencies, 50)}, p99 ${ms(decided.latencies, 99)}, ${decided.failures} refused` +
      (decided.firstFailure ? ` (first: ${decided.firstFailure.slice(0, 200)})` : ''),
  );

  const read = await drive(total, concurrency, readBack);
  console.log(
    `${kind} read back: ${(total / read.seconds).toFixed(0)} reads/s, p50 ${ms(read.latencies, 50)}, p99 ${ms(read.latencies, 99)}, ${total - read.failures}/${total} approved` +
      (read.firstFailure ? ` (first: ${read.firstFailure.slice(0, 200)})` : ''),
  );
  console.log(`\ntarget: 500 decisions/s at p99 < 50 ms — ${total / decided.seconds >= 500 && percentile(decided.latencies, 99) < 50 && decided.failures === 0 ? 'met' : 'NOT met'}`);
  if (decided.failures || read.failures) process.exitCode = 1;
} finally {
  await server?.stop();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
