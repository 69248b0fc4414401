import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCaseType, syncCaseTypes } from '../src/case-types/registry.js';
import { readConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import { openLatch, StartupError } from '../src/runtime.js';
import { freshPostgresDatabase, TEST_CONFIG_DIR } from './harness.js';

describe('starting on PostgreSQL', () => {
  let pg: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  beforeAll(async () => {
    pg = await freshPostgresDatabase();
  });
  afterAll(async () => pg?.drop());
  const config = () => readConfig({ LATCH_DATABASE_URL: pg.url, LATCH_CONFIG_DIR: TEST_CONFIG_DIR });

  it('refuses an empty database until `latch migrate` has run', async () => {
    await expect(openLatch(config(), { jobs: false })).rejects.toThrow(/Run `latch migrate` first/);
    const latch = await openLatch(config(), { jobs: false, migrate: true });
    await latch.close();
    const again = await openLatch(config(), { jobs: false });
    await again.close();
  });

  it('refuses a schema written by a Latch it does not know', async () => {
    const database = await openDatabase({ url: pg.url });
    await database.db.execute(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-the-future', 99999999999999)`);
    await database.close();
    const error = await openLatch(config(), { jobs: false, migrate: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toMatch(/does not know/);
  });
});

describe('case type versions', () => {
  it('refuse a changed definition for a version already recorded', async () => {
    const database = await openDatabase({});
    await migrate(database);
    const v1 = { key: 'demo', version: 1, name: 'Demo', defaultQueue: 'q', fields: { type: 'object' }, statuses: [{ key: 'new', name: 'New' }], initialStatus: 'new', transitions: [] };
    await syncCaseTypes(database.db, [compileCaseType(v1, 'demo.v1.yaml')]);
    const edited = compileCaseType({ ...v1, name: 'Demo, edited in place' }, 'demo.v1.yaml');
    await expect(syncCaseTypes(database.db, [edited])).rejects.toThrow(/Publish the change as version 2/);
    // A version removed from disk keeps working from the recorded copy.
    const registry = await syncCaseTypes(database.db, []);
    expect(registry.get('demo', 1).definition.name).toBe('Demo');
    await database.close();
  });

  it('refuse a definition with a broken policy, naming the file', () => {
    const broken = {
      key: 'demo', version: 1, name: 'Demo', defaultQueue: 'q', fields: { type: 'object' }, statuses: [{ key: 'new', name: 'New' }], initialStatus: 'new', transitions: [],
      actions: [{ plugin: 'p', action: 'a', name: 'A', input: { type: 'object' }, policy: 'p1' }],
      policies: [{ key: 'p1', version: 1, steps: [{ name: 's', role: 'r', when: 'input.amount >' }] }],
    };
    expect(() => compileCaseType(broken, 'demo.v1.yaml')).toThrow(/demo\.v1\.yaml: policy p1/);
  });
});
