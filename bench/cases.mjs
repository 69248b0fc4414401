// bench/cases: create cases over HTTP with concurrent clients against a real `latch serve`, on PGlite
// and on PostgreSQL; then the time to list the first page of a filtered queue with 100,000 cases.
// Usage: node bench/cases.mjs [--cases N] [--concurrency C] [--seed N] [--only pglite|postgres]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freshPostgres, latch, machine, percentile, request, root, serve } from './lib.mjs';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '12' }, seed: { type: 'string', default: '100000' }, only: { type: 'string' } },
});
const total = Number(values.cases);
const concurrency = Number(values.concurrency);
const seedCount = Number(values.seed);

console.log(`bench/cases on ${machine()}`);
console.log(`creating ${total} cases with ${concurrency} concurrent clients; listing with ${seedCount} cases in the database\n`);

for (const kind of ['pglite', 'postgres']) {
  if (values.only && values.only !== kind) continue;
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-bench-'));
  const database = kind === 'postgres' ? await freshPostgres(pg) : undefined;
  const env = {
    LATCH_DATA_DIR: dataDir,
    LATCH_CONFIG_DIR: join(root, 'config'),
    ...(database ? { LATCH_DATABASE_URL: database.url } : {}),
  };
  try {
    latch({ ...env, LATCH_USER_PASSWORD: 'bench password 123' }, 'migrate');
    latch({ ...env, LATCH_USER_PASSWORD: 'bench password 123' }, 'user', 'create', '--email', 'bench@latch.example', '--name', 'Bench', '--role', 'operator', '--team', 'refunds');
    const token = latch(env, 'token', 'create', '--user', 'bench@latch.example', '--name', 'bench').trim();
    const server = await serve(env, 3900 + (kind === 'postgres' ? 1 : 0));
    const headers = { authorization: `Bearer ${token}` };
    const body = (i) => ({
      type: 'refund',
      title: `Refund for order ${i}`,
      requester: { email: `customer${i}@example.com`, name: `Customer ${i}` },
      fields: { order_id: String(i), amount_minor: 1000 + i, currency: 'usd', customer_email: `customer${i}@example.com` },
    });

    // warm-up
    for (let i = 0; i < 200; i++) await request(server.base, 'POST', '/api/v1/cases', { headers, body: body(i) });
    const latencies = [];
    let next = 0;
    let failures = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          const t0 = performance.now();
          const res = await request(server.base, 'POST', '/api/v1/cases', { headers, body: body(i) });
          latencies.push(performance.now() - t0);
          if (res.status !== 201) failures++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(
      `${kind.padEnd(8)} create: ${(total / seconds).toFixed(0)} cases/s, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ${failures} failures`,
    );
    await server.stop();

    // Listing: bulk-load cases straight into the database (the listing does not read events), then time the API.
    await bulkLoad(env, seedCount);
    const lister = await serve(env, 3910 + (kind === 'postgres' ? 1 : 0));
    const url = '/api/v1/cases?queue=refunds&status=new&priority=high,urgent&limit=50';
    const listTimes = [];
    for (let i = 0; i < 220; i++) {
      const t0 = performance.now();
      const res = await request(lister.base, 'GET', url, { headers });
      if (i >= 20) listTimes.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`list failed: ${res.status} ${res.body}`);
    }
    listTimes.sort((a, b) => a - b);
    console.log(
      `${kind.padEnd(8)} list first page (queue+status+priority filter, ${seedCount + total + 200} cases): p50 ${percentile(listTimes, 50).toFixed(1)} ms, p95 ${percentile(listTimes, 95).toFixed(1)} ms`,
    );
    await lister.stop();
  } finally {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function bulkLoad(env, n) {
  const { openLatch } = await import('../packages/server/dist/runtime.js');
  const { readConfig } = await import('../packages/server/dist/config.js');
  const latchDb = await openLatch(readConfig({ ...process.env, ...env }), { migrate: true });
  await latchDb.ctx.database.exec(`
    insert into cases (id, type_key, type_version, title, description, status, priority, priority_rank, queue, fields, version, created_at, updated_at)
    select (lpad(to_hex((extract(epoch from now()) * 1000)::bigint - 10000000 + g), 12, '0') || '7000' || '8000' || lpad(to_hex(g), 12, '0'))::uuid,
           'refund', 1, 'Bulk refund ' || g, '', (array['new','in_progress','resolved','closed'])[1 + g % 4],
           (array['urgent','high','normal','low'])[1 + g % 4], g % 4, (array['refunds','billing','vendor-management'])[1 + g % 3],
           jsonb_build_object('order_id', g::text, 'amount_minor', g, 'currency', 'usd'), 1, now(), now()
    from generate_series(1, ${n}) g;
    analyze cases;`);
  await latchDb.close();
}
