import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { intakeConfigDir } from './intake-support.js';
import { exited, freePort, latchEnv, runLatch, startServer } from './process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'latch-smtp-crash-'));
const configDir = intakeConfigDir('addresses:\n  refunds@latch.test: { type: refund, queue: refunds }\nemail:\n  limits: { perSenderPerHour: 1000000 }\n');
const env = latchEnv(dataDir, { LATCH_CONFIG_DIR: configDir });
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

describe('SMTP intake under kill -9 (embedded)', () => {
  it('loses no message that was answered 250', { timeout: 150_000 }, async () => {
    const created = runLatch({ ...env, LATCH_USER_PASSWORD: 'crash test password' }, ['user', 'create', '--email', 'crash@test.example', '--name', 'Crash', '--role', 'admin']);
    expect(created.status, created.stderr).toBe(0);
    const minted = runLatch(env, ['token', 'create', '--user', 'crash@test.example', '--name', 'crash']);
    expect(minted.status, minted.stderr).toBe(0);
    const token = minted.stdout.trim();

    const smtpPort = await freePort();
    const server = await startServer({ ...env, LATCH_SMTP_PORT: String(smtpPort) });
    const acknowledged: string[] = [];
    let stop = false;
    let n = 0;
    const senders = Array.from({ length: 6 }, async (_, s) => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, connectionTimeout: 5000, socketTimeout: 5000 });
      while (!stop) {
        const marker = `crashmark${++n}x${s}`;
        try {
          const info = await transport.sendMail({ from: `sender${s}@customer.example`, to: 'refunds@latch.test', subject: `Refund ${marker}`, text: `Body of ${marker}` });
          if (/^250/.test(info.response)) acknowledged.push(marker);
        } catch {
          return; // the server died mid-message: that one was never acknowledged
        }
      }
      transport.close();
    });
    await new Promise((r) => setTimeout(r, 2500));
    server.child.kill('SIGKILL');
    stop = true;
    await Promise.all(senders);
    await exited(server.child);
    expect(acknowledged.length).toBeGreaterThan(10);

    const again = await startServer(env);
    try {
      const missing: string[] = [];
      for (const marker of acknowledged) {
        const res = await fetch(`${again.base}/api/v1/cases?q=${marker}`, { headers: { authorization: `Bearer ${token}` } });
        const items = ((await res.json()) as { items: unknown[] }).items;
        if (items.length !== 1) missing.push(marker);
      }
      expect(missing).toEqual([]);
    } finally {
      again.child.kill('SIGTERM');
      await exited(again.child);
    }
  });
});
