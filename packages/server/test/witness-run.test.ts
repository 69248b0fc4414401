import type { Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSignerKey, parseSignerKeys } from '@latch/core';
import { afterAll, describe, expect, it, vi } from 'vitest';

const servers: Server[] = [];
vi.mock('../src/witness/witness-server.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/witness/witness-server.js')>();
  return {
    ...actual,
    createWitnessServer: (...args: Parameters<typeof actual.createWitnessServer>) => {
      const server = actual.createWitnessServer(...args);
      servers.push(server);
      return server;
    },
  };
});

/**
 * `latch witness serve` in this process, to reach its server: once listening, the startup error
 * listener (which releases the data directory's lock) is gone, and a later server error is logged
 * while the witness keeps its lock and serves on.
 */
describe('latch witness serve after it listens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latch-witness-run-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('logs a later server error and keeps its lock', async () => {
    const logsFile = join(dir, 'logs.txt');
    writeFileSync(logsFile, `${parseSignerKeys(generateSignerKey('log.test/run'))[0]!.verifierKey}\n`);
    const signalListeners = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
    const errors: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation((message: string) => void errors.push(message));
    const { runWitnessServe } = await import('../src/cli/witness-run.js');
    const dataDir = join(dir, 'witness');
    try {
      await runWitnessServe({ dataDir, logs: logsFile, listen: '127.0.0.1:0', json: true });
      const server = servers.at(-1)!;
      expect(server.listening).toBe(true);
      expect(server.listenerCount('error')).toBe(1);
      server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
      server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
      expect(errors.filter((m) => / error witness: the server: accept EMFILE$/.test(m))).toHaveLength(2);
      expect(existsSync(join(dataDir, 'latch.lock'))).toBe(true);
      expect(JSON.parse(readFileSync(join(dataDir, 'latch.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
      expect(server.listening).toBe(true);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    } finally {
      log.mockRestore();
      error.mockRestore();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        for (const listener of process.listeners(signal)) if (!signalListeners[signal].includes(listener)) process.off(signal, listener);
      }
    }
  });
});
