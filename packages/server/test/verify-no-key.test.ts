import { describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from './harness.js';
import { runLatch } from './process.js';

describe('latch verify --all on PostgreSQL with no signing key configured', () => {
  it('verifies every chain and the tree, and says plainly that no checkpoint is signed and how to configure a key', async () => {
    const db = await freshPostgresDatabase();
    try {
      const { LATCH_LOG_KEY: _k, LATCH_LOG_KEY_FILE: _f, LATCH_LOG_PUBLISH_DIR: _p, ...rest } = process.env;
      const env = { ...rest, LATCH_DATABASE_URL: db.url, LATCH_LOG: 'off' };
      expect(runLatch(env, ['migrate']).status).toBe(0);
      expect(runLatch({ ...env, LATCH_USER_PASSWORD: 'a long enough password' }, ['user', 'create', '--email', 'a@test.example', '--name', 'A', '--role', 'admin']).status).toBe(0);
      const verify = runLatch(env, ['verify', '--all']);
      expect(verify.stderr).not.toMatch(/TrustFileError|at .*\.js:\d+/);
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(/checked \d+ events in 1 stream/);
      expect(verify.stdout).toContain('keys trusted from nowhere: no signing key is configured');
      expect(verify.stdout).toContain('No checkpoint is signed');
      expect(verify.stdout).toContain('LATCH_LOG_KEY or LATCH_LOG_KEY_FILE');
    } finally {
      await db.drop();
    }
  }, 60_000);
});
