// bench/intake-smtp: messages accepted per second through SMTP against a real `latch serve` (on
// PGlite and on PostgreSQL), sent by nodemailer with a pool of connections. A message counts once
// it is answered 250, which Latch gives only after the case and its raw source are committed; a
// sample is then read back through the API (one case per message, its raw MIME stored by hash).
// Usage: node bench/intake-smtp.mjs [--messages N] [--concurrency C] [--sample K] [--only pglite|postgres] [--config DIR (default: config/)]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { backendCpu, backendCpuBetween, cpuSeconds, drive, freshPostgres, latch, load, machine, percentile, request, root, serve } from './lib.mjs';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '16' }, sample: { type: 'string', default: '50' }, only: { type: 'string' }, config: { type: 'string' } },
});
const total = Number(values.messages);
const concurrency = Number(values.concurrency);
const sample = Number(values.sample);
const TARGET = 200;

console.log(`bench/intake-smtp on ${machine()}`);
console.log(`sending ${total} messages over a pool of ${concurrency} SMTP connections; target ${TARGET} messages/s\n`);

for (const [index, kind] of ['pglite', 'postgres'].entries()) {
  if (values.only && values.only !== kind) continue;
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-bench-'));
  const database = kind === 'postgres' ? await freshPostgres(pg) : undefined;
  const smtpPort = 3925 + index;
  // The shipped config: mail to refunds@latch.localhost opens a refund case. One sender per message,
  // so the per-sender flood limit (30 an hour) is not what is measured.
  const env = { LATCH_DATA_DIR: dataDir, LATCH_CONFIG_DIR: values.config ?? join(root, 'config'), ...(database ? { LATCH_DATABASE_URL: database.url } : {}) };
  const run = Date.now().toString(36);
  const marker = (i) => `m${run}x${i}`;
  try {
    latch({ ...env, LATCH_USER_PASSWORD: 'bench password 123' }, 'migrate');
    latch({ ...env, LATCH_USER_PASSWORD: 'bench password 123' }, 'user', 'create', '--email', 'bench@latch.example', '--name', 'Bench', '--role', 'operator', '--team', 'refunds');
    const token = latch(env, 'token', 'create', '--user', 'bench@latch.example', '--name', 'bench').trim();
    const server = await serve({ ...env, LATCH_SMTP_PORT: String(smtpPort) }, 3920 + index);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, pool: true, maxConnections: concurrency, maxMessages: Infinity });
    const send = async (i) => {
      const info = await transport.sendMail({
        from: `Customer ${i} <customer${i}@example.com>`,
        to: 'refunds@latch.localhost',
        subject: `Refund for order ${i} ${marker(i)}`,
        text: `Hello,\n\norder ${i} arrived broken (${marker(i)}). Please refund it.\n\nThanks`,
        messageId: `<${marker(i)}@customer.example>`,
      });
      return /^250/.test(info.response) ? undefined : info.response;
    };
    // warm-up
    await drive(100, concurrency, (i) => send(total + i));
    const loadBefore = load();
    // CPU per message (the server's, and on PostgreSQL its backends'): a figure a busy machine disturbs less than the rate.
    const cpuBefore = [cpuSeconds(server.pid), database ? await backendCpu(pg, database.name) : undefined];
    const { seconds, latencies, failures, firstFailure } = await drive(total, concurrency, send);
    const cpuAfter = [cpuSeconds(server.pid), database ? await backendCpu(pg, database.name) : undefined];
    transport.close();
    const perMessage = (s) => `${((s * 1000) / total).toFixed(2)} ms`;
    const cpu = `CPU per message: latch ${perMessage(cpuAfter[0] - cpuBefore[0])}${database ? `, PostgreSQL ${perMessage(backendCpuBetween(cpuBefore[1], cpuAfter[1]))}` : ''}`;

    const headers = { authorization: `Bearer ${token}` };
    let verified = 0;
    for (let k = 0; k < sample; k++) {
      const i = Math.floor((k * total) / sample);
      const found = JSON.parse((await request(server.base, 'GET', `/api/v1/cases?q=${marker(i)}`, { headers })).body).items ?? [];
      if (found.length !== 1) continue;
      const intake = JSON.parse((await request(server.base, 'GET', `/api/v1/cases/${found[0].id}/intake`, { headers })).body).items ?? [];
      if (intake.length === 1 && intake[0].rawSha256 && !intake[0].erased && intake[0].text.includes(marker(i))) verified++;
    }
    await server.stop();
    const rate = total / seconds;
    console.log(
      `${kind.padEnd(8)} ${rate.toFixed(0)} messages/s (${rate >= TARGET ? 'meets' : 'below'} ${TARGET}/s), p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ` +
        `${failures} failures${firstFailure ? ` (first: ${firstFailure})` : ''}; read back ${verified}/${sample} sampled: one case each with its raw source; ${cpu}; ${loadBefore} before, ${load()} after`,
    );
  } finally {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
