import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, latchEnv, startServer } from './process.js';

// `latch serve` stops on SIGTERM within its grace period even when a client holds a connection open
// without sending a request (a browser's preconnect): it used to wait for the headers timeout, a
// minute, before it even closed the database.

const dataDir = mkdtempSync(join(tmpdir(), 'latch-shutdown-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('latch serve shutdown', () => {
  it('ends on SIGTERM within the grace period although a connection never sent a request', async () => {
    const server = await startServer(latchEnv(dataDir));
    const socket = connect(Number(new URL(server.base).port), '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    try {
      const started = Date.now();
      server.child.kill('SIGTERM');
      expect(await exited(server.child)).toBe(0);
      // 10 s of grace, then every connection is closed; a minute without it.
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      socket.destroy();
      server.child.kill('SIGKILL');
    }
  });
});
