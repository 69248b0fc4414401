import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireDataDirLock } from '../src/db/data-dir-lock.js';
import { TEST_NODE_FLAGS } from './node-flags.js';
import { LATCH_BIN, latchEnv } from './process.js';

describe('latch backup on an embedded data directory a server holds', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-backup-held-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses in one line with BACKUP_DATA_DIR_IN_USE, and writes nothing', () => {
    // This process stands in for `latch serve`: a live process holding the lock.
    const lock = acquireDataDirLock(dataDir);
    try {
      const output = join(dataDir, 'held.backup');
      const result = spawnSync(process.execPath, [...TEST_NODE_FLAGS, LATCH_BIN, 'backup', '-o', output], { env: latchEnv(dataDir), encoding: 'utf8', timeout: 120_000 });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^latch: BACKUP_DATA_DIR_IN_USE: Data directory .* is in use by another Latch process \(pid \d+/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(output)).toBe(false);
    } finally {
      lock.release();
    }
  }, 150_000);
});
