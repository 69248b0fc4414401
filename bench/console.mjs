// bench/console: the web console in headless Chromium against a real `latch serve` on PostgreSQL.
// Times (1) the case page with 1,000 and 10,000 timeline events until it is interactive, (2) the
// first queue page with 100,000 cases, and measures (3) the JavaScript shipped for the first page,
// gzipped. Seeds a database it creates and drops. Not a test: it prints numbers.
// Usage: npm run bench:console [-- --cases 100000 --runs 5]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { freshPostgres, latch, machine, percentile, request, root, serve } from './lib.mjs';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '100000' }, runs: { type: 'string', default: '5' } } });
const caseCount = Number(values.cases);
const runs = Number(values.runs);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'bench password 123';
const EMAIL = 'operator@bench.example';

if (!existsSync(join(root, 'packages/web/dist/index.html'))) throw new Error('The console is not built: run npm run build first');
console.log(`bench/console on ${machine()}, ${CHROMIUM}`);

const database = await freshPostgres(pg);
const env = { LATCH_CONFIG_DIR: join(root, 'config'), LATCH_DATABASE_URL: database.url };
let server;
let browser;
try {
  latch({ ...env, LATCH_USER_PASSWORD: PASSWORD }, 'migrate');
  latch({ ...env, LATCH_USER_PASSWORD: PASSWORD }, 'user', 'create', '--email', EMAIL, '--name', 'Operator', '--role', 'operator', '--team', 'refunds');
  const token = latch(env, 'token', 'create', '--user', EMAIL, '--name', 'bench').trim();
  const headers = { authorization: `Bearer ${token}` };
  server = await serve(env, 3950);

  // Two cases with long timelines: notes appended through the real event store (sealed, chained,
  // personal data beside them), 200 to a transaction; the API would take minutes for 11,000.
  const me = JSON.parse((await request(server.base, 'GET', '/api/v1/me', { headers })).body);
  const longCases = {};
  for (const events of [1_000, 10_000]) {
    const created = await request(server.base, 'POST', '/api/v1/cases', { headers, body: refundCase(`Long timeline ${events}`, 1) });
    if (created.status !== 201) throw new Error(`create failed: ${created.body}`);
    const id = JSON.parse(created.body).id;
    const t0 = performance.now();
    await appendNotes(database.url, id, me.user?.id ?? me.id, events - 1);
    console.log(`seeded a case with ${events} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    longCases[events] = id;
  }
  const t0 = performance.now();
  await bulkLoadCases(database.url, caseCount);
  console.log(`bulk-loaded ${caseCount} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const context = await browser.newContext({ baseURL: server.base, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();

  // The JavaScript for the first page: what a fresh browser downloads to show the login page and the queue.
  const scripts = new Map();
  page.on('response', async (res) => {
    if (res.request().resourceType() === 'script' && res.ok()) scripts.set(res.url(), (await res.body()).length);
  });
  await page.goto('/login');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('table.cases tbody tr').first().waitFor();
  let raw = 0;
  let gzipped = 0;
  for (const url of scripts.keys()) {
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    raw += body.length;
    gzipped += gzipSync(body, { level: 9 }).length;
  }
  page.removeAllListeners('response');

  // Time from navigation start until the page shows its content and answers input (a long task
  // would delay the evaluate that reads the clock). Warm: the assets are cached, as for a user.
  const timeUntil = async (path, ready) => {
    const times = [];
    for (let i = 0; i < runs; i++) {
      await page.goto('about:blank');
      await page.goto(path, { waitUntil: 'commit' });
      await ready();
      times.push(await page.evaluate(() => new Promise((resolve) => globalThis.requestAnimationFrame(() => resolve(performance.now())))));
    }
    return times.sort((a, b) => a - b);
  };
  const report = (label, times, target) =>
    console.log(`${label.padEnd(52)} median ${percentile(times, 50).toFixed(0).padStart(5)} ms, max ${times[times.length - 1].toFixed(0).padStart(5)} ms${target ? ` (target < ${target} ms)` : ''}`);

  for (const [events, id] of Object.entries(longCases)) {
    const times = await timeUntil(`/cases/${id}`, async () => {
      await page.locator('li.event').first().waitFor();
      await page.getByRole('button', { name: 'Edit fields' }).waitFor();
    });
    const rendered = await page.locator('li.event').count();
    report(`case page with ${events} timeline events, interactive`, times, events === '1000' ? 1000 : undefined);
    console.log(`${''.padEnd(52)} (${rendered} timeline rows in the DOM)`);
  }
  // Scrolling to the end of the 10,000: pages load as the reader goes; the DOM stays small.
  await page.goto(`/cases/${longCases[10_000]}`);
  await page.locator('li.event').first().waitFor();
  const scrollStart = performance.now();
  for (let seen = 0; seen < 10_000; ) {
    await page.locator('.timeline-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForTimeout(50);
    seen = Number(await page.locator('li.event').last().getAttribute('data-seq'));
    if (performance.now() - scrollStart > 120_000) throw new Error(`scrolled only to #${seen}`);
  }
  console.log(`${'scroll the 10,000-event timeline to its end'.padEnd(52)} ${(performance.now() - scrollStart).toFixed(0).padStart(12)} ms, ${await page.locator('li.event').count()} rows in the DOM`);

  const queue = await timeUntil('/', () => page.locator('table.cases tbody tr').first().waitFor());
  report(`first queue page with ${caseCount + 2} cases`, queue, 500);
  console.log(`${'JavaScript for the first page'.padEnd(52)} ${(gzipped / 1024).toFixed(1)} KB gzipped (${(raw / 1024).toFixed(1)} KB raw, ${scripts.size} files; target < 300 KB)`);
  const api = [];
  for (let i = 0; i < 50; i++) {
    const started = performance.now();
    await request(server.base, 'GET', '/api/v1/cases?limit=50', { headers });
    api.push(performance.now() - started);
  }
  report('  of which GET /api/v1/cases?limit=50 (the API alone)', api.sort((a, b) => a - b));
} finally {
  await browser?.close();
  await server?.stop();
  await database.drop();
}

function refundCase(title, i) {
  return {
    type: 'refund',
    title,
    requester: { email: `customer${i}@example.com`, name: `Customer ${i}` },
    fields: { order_id: String(i), amount_minor: 1000 + i, currency: 'usd', customer_email: `customer${i}@example.com` },
  };
}

/** `count` notes on a case, each a `note.added` event sealed onto its chain by the server's own event store. */
async function appendNotes(url, caseId, userId, count) {
  const { openDatabase } = await import('../packages/server/dist/db/database.js');
  const { appendEvents } = await import('../packages/server/dist/db/event-store.js');
  const { cases, notes } = await import('../packages/server/dist/db/schema.js');
  const { subjectOf } = await import('../packages/server/dist/cases/create-case.js');
  const { personal, uuidv7 } = await import('@latch/core');
  const { eq } = await import('drizzle-orm');
  const database = await openDatabase({ url, poolSize: 2 });
  const actor = { type: 'user', id: userId };
  try {
    for (let done = 0; done < count; ) {
      const n = Math.min(200, count - done);
      await database.write(async (tx) => {
        // The case row before its stream head: the lock order every writer keeps (db/event-store.ts).
        const [row] = await tx.select().from(cases).where(eq(cases.id, caseId)).for('update');
        const bodies = Array.from({ length: n }, (_, i) => ({ id: uuidv7(), body: `Checked the ledger, step ${done + i}` }));
        const drafts = bodies.map((b) => ({ kind: 'note.added', actor, data: { noteId: b.id, body: personal(b.body) } }));
        await appendEvents(tx, caseId, drafts, {
          subject: subjectOf(row),
          alongside: (sealed) => [tx.insert(notes).values(bodies.map((b, i) => ({ id: b.id, caseId, authorId: userId, body: b.body, eventId: sealed[i].id })))],
        });
      });
      done += n;
    }
  } finally {
    await database.close();
  }
}

/** Cases straight into the table (the queue reads only cases), older than the ones made through the API. */
async function bulkLoadCases(url, n) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`
    insert into cases (id, type_key, type_version, title, description, status, priority, priority_rank, queue, fields, version, created_at, updated_at)
    select (lpad(to_hex((extract(epoch from now()) * 1000)::bigint - 10000000 + g), 12, '0') || '7000' || '8000' || lpad(to_hex(g), 12, '0'))::uuid,
           'refund', 1, 'Bulk refund ' || g, '', (array['new','in_progress','resolved','closed'])[1 + g % 4],
           (array['urgent','high','normal','low'])[1 + g % 4], g % 4, (array['refunds','billing','vendor-management'])[1 + g % 3],
           jsonb_build_object('order_id', g::text, 'amount_minor', g, 'currency', 'usd'), 1, now(), now()
    from generate_series(1, ${Number(n)}) g`);
  await client.query('analyze cases');
  await client.end();
}
