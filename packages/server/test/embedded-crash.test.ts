import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, freePort, latchEnv, runLatch, startServer } from './process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'latch-crash-'));
const env = latchEnv(dataDir);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function refund(i: number) {
  return { type: 'refund', title: `Crash test ${i}`, fields: { order_id: String(i), amount_minor: 100 + i, currency: 'usd' } };
}

describe('embedded mode under kill -9', () => {
  let token = '';

  it('prepares a user and token with the CLI', () => {
    const created = runLatch({ ...env, LATCH_USER_PASSWORD: 'crash test password' }, ['user', 'create', '--email', 'crash@test.example', '--name', 'Crash', '--role', 'operator', '--team', 'refunds']);
    expect(created.status, created.stderr).toBe(0);
    const minted = runLatch(env, ['token', 'create', '--user', 'crash@test.example', '--name', 'crash']);
    expect(minted.status, minted.stderr).toBe(0);
    token = minted.stdout.trim();
    expect(token).toMatch(/^latch_/);
  });

  it('refuses a second server on the same data directory with a clear message', async () => {
    const first = await startServer(env);
    const second = runLatch({ ...env, LATCH_PORT: String(await freePort()) }, ['serve']);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/in use by another Latch process/);
    expect(second.stderr).not.toMatch(/\n\s+at /);
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
  });

  it('keeps every acknowledged write across kill -9 during a burst, and the chains verify', async () => {
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round++) {
      const server = await startServer(env);
      let stop = false;
      const writers = Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          try {
            const res = await fetch(`${server.base}/api/v1/cases`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify(refund(round * 100_000 + w * 10_000 + i)),
            });
            if (res.status === 201) acknowledged.push(((await res.json()) as { id: string }).id);
          } catch {
            return; // the server died mid-request: that write was never acknowledged
          }
        }
      });
      await new Promise((r) => setTimeout(r, 700 + round * 400));
      server.child.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await exited(server.child);
    }
    expect(acknowledged.length).toBeGreaterThan(30);

    const server = await startServer(env);
    const missing: string[] = [];
    for (const id of acknowledged) {
      const res = await fetch(`${server.base}/api/v1/cases/${id}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) missing.push(id);
    }
    server.child.kill('SIGTERM');
    await exited(server.child);
    expect(missing).toEqual([]);

    const verify = runLatch(env, ['verify', '--all']);
    expect(verify.stdout + verify.stderr).toMatch(/OK: every chain verifies/);
    expect(verify.status).toBe(0);
  });
});
