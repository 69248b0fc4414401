import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer, refundBody, startTestLatch, TEST_LOG_KEY } from './harness.js';
import { exited, latchEnv, runLatch, startServer } from './process.js';

describe('the latch CLI against a running server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates, lists, updates, notes and reads the timeline of a case, then verifies it', async () => {
    const env = latchEnv(dataDir);
    expect(runLatch({ ...env, LATCH_USER_PASSWORD: 'cli test password' }, ['user', 'create', '--email', 'cli@test.example', '--name', 'Cli', '--role', 'operator', '--team', 'refunds']).status).toBe(0);
    const token = runLatch(env, ['token', 'create', '--user', 'cli@test.example', '--name', 'cli']).stdout.trim();
    const server = await startServer(env);
    const client = { ...env, LATCH_URL: server.base, LATCH_TOKEN: token };
    try {
      const created = runLatch(client, ['case', 'create', '--type', 'refund', '--title', 'CLI refund', '--field', 'order_id=77', '--field', 'amount_minor=500', '--field', 'currency=usd']);
      expect(created.status, created.stderr).toBe(0);
      const id = JSON.parse(created.stdout).id as string;
      expect(runLatch(client, ['case', 'list', '--queue', 'refunds']).stdout).toContain(id);
      expect(runLatch(client, ['case', 'update', id, '--version', '1', '--status', 'in_progress', '--reason', 'picked up']).status).toBe(0);
      const stale = runLatch(client, ['case', 'update', id, '--version', '1', '--priority', 'high']);
      expect(stale.status).toBe(2);
      expect(stale.stderr).toMatch(/409 VERSION_CONFLICT/);
      expect(runLatch(client, ['case', 'note', id, 'called the customer']).status).toBe(0);
      const timeline = runLatch(client, ['case', 'timeline', id]).stdout.trim().split('\n');
      expect(timeline).toEqual([
        expect.stringMatching(/ Cli \(API token\) {2}opened a refund case in queue refunds/),
        expect.stringMatching(/ Cli \(API token\) {2}moved the case from new to in_progress$/),
        expect.stringMatching(/ Cli \(API token\) {2}added a note: "called the customer"$/),
      ]);
      const badField = runLatch(client, ['case', 'create', '--type', 'refund', '--title', 'x', '--field', 'amount_minor=-1']);
      expect(badField.status).toBe(2);
      expect(badField.stderr).toMatch(/VALIDATION_FAILED/);
      server.child.kill('SIGTERM');
      expect(await exited(server.child)).toBe(0);
      const verify = runLatch(env, ['verify', '--case', id]);
      expect(verify.stdout).toMatch(/checked 3 events in 1 stream/);
      expect(verify.status).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
    }
    // A dozen CLI processes and a server, each a Node start-up: on a loaded 2-core machine this takes a while.
  }, 180_000);
});

describe('latch verify on PostgreSQL names what a superuser tampered with', () => {
  it('reports a changed byte and a deleted tail, exiting non-zero', async () => {
    const t = await startTestLatch('postgres');
    try {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const id = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id;
        await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/notes`, headers: bearer(t.users.operator), payload: { body: 'first' } });
        await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/notes`, headers: bearer(t.users.operator), payload: { body: 'second' } });
        ids.push(id);
      }
      const env = { ...process.env, LATCH_DATABASE_URL: t.databaseUrl!, LATCH_LOG: 'off', LATCH_LOG_KEY: TEST_LOG_KEY };
      await t.ctx.log.sequencer.drain();
      expect(runLatch(env, ['verify', '--all']).status).toBe(0);
      const db = t.ctx.database.db;
      await db.execute(sql.raw('alter table events disable trigger events_no_update_delete'));
      await db.execute(sql`update events set bytes = replace(bytes, '"note.added"', '"note.addeD"') where stream = ${ids[0]} and seq = 2`);
      await db.execute(sql`delete from events where stream = ${ids[1]} and seq = 3`);
      await db.execute(sql.raw('alter table events enable trigger events_no_update_delete'));
      const verify = runLatch(env, ['verify', '--all']);
      expect(verify.status).toBe(3);
      expect(verify.stdout).toContain(`BROKEN  stream ${ids[0]}: at event 2`);
      expect(verify.stdout).toMatch(new RegExp(`BROKEN  stream ${ids[1]}: at event 3.*missing`));
      // The log names the same events: one changed after it was logged, one deleted.
      expect(verify.stdout).toMatch(/BROKEN {2}log: log leaf \d+: event [0-9a-f-]+ was changed after it was logged/);
      expect(verify.stdout).toMatch(/BROKEN {2}log: log leaf \d+: its event [0-9a-f-]+ was deleted/);
      // Only events changed, under intact leaves: no node or checkpoint is blamed for it.
      expect(verify.stdout).not.toMatch(/log node|does not match the log/);
      expect(verify.stderr).toMatch(/problem\(s\) found/);
    } finally {
      await t.close();
    }
  });
});

describe('latch plugin', () => {
  const echoDir = new URL('../../../plugins/echo', import.meta.url).pathname;
  it('test <dir> runs the conformance suite and says what passed', () => {
    const ok = runLatch({ ...process.env }, ['plugin', 'test', echoDir, '--action', 'echo', '--input', '{"message":"hi"}', '--config', '{"greeting":"Hello"}', '--secrets', '{"token":"x"}']);
    expect(ok.stdout).toMatch(/21 passed, 0 failed/);
    expect(ok.stdout).toContain('case.context answers with valid facts');
    expect(ok.status).toBe(0);
    const classify = runLatch({ ...process.env }, ['plugin', 'test', new URL('../../../plugins/keyword-classify', import.meta.url).pathname]);
    expect(classify.stdout).toMatch(/21 passed, 0 failed/);
    expect(classify.stdout).toContain('case.classify suggests only offered choices (classify v1: ');
    expect(classify.status).toBe(0);
  });

  it('list shows configured plugins with their actions and secret names', () => {
    const configDir = mkdtempSync(join(tmpdir(), 'latch-plugin-list-'));
    try {
      writeFileSync(join(configDir, 'plugins.yaml'), `plugins:\n  echo:\n    path: ${echoDir}\n    secrets: { token: { env: SOME_TOKEN } }\n`);
      const listed = runLatch({ ...process.env, LATCH_CONFIG_DIR: configDir }, ['plugin', 'list']);
      expect(listed.stdout).toMatch(/^echo@\S+ {2}protocol 1/m);
      expect(listed.stdout).toMatch(/actions: echo, noop; .*secrets: token/);
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  });
});
