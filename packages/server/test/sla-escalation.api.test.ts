import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.js';
import { openLatch } from '../src/runtime.js';
import { runEscalation } from '../src/sla/run-escalation.js';
import { escalationKey, type EscalationJob } from '../src/sla/schedule-escalations.js';
import { sweepEscalations } from '../src/sla/sweep-escalations.js';
import { bearer, DB_KINDS, freshPostgresDatabase, startTestLatch, TEST_LOG_KEY, type DbKind, type TestLatch } from './harness.js';

const TEAMS = fileURLToPath(new URL('../../../config/teams.yaml', import.meta.url));

/** A case type whose first rule fires a second after opening; its breach is a day away unless a test moves it. */
const DRILL = `
key: sla_drill
version: 1
name: SLA drill
defaultQueue: refunds
defaultPriority: normal
resolveWithin: P1D
fields: { type: object }
statuses:
  - { key: new, name: New }
  - { key: resolved, name: Resolved, final: true }
initialStatus: new
transitions:
  - { from: new, to: [resolved] }
escalations:
  - when: { after: PT1S }
    do: [ { raisePriority: high } ]
  - when: { breached: true }
    do: [ { reassign: { queue: escalations } }, { notify: queue } ]
`;

/** A config directory with the repository's teams and the given case type files. */
function configWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-sla-'));
  mkdirSync(join(dir, 'case-types'));
  copyFileSync(TEAMS, join(dir, 'teams.yaml'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'case-types', name), text);
  return dir;
}

/** Polls until `read` returns something truthy; the bound is generous and no duration is asserted. */
async function eventually<T>(read: () => Promise<T | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await read();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

interface Event {
  kind: string;
  reason?: string;
  actor: { type: string; id: string };
  data: Record<string, unknown>;
}

describe.each(DB_KINDS)('escalation rules (%s)', (kind) => {
  let t: TestLatch;
  const dir = configWith({ 'sla_drill.v1.yaml': DRILL });
  beforeAll(async () => {
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (title: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: { type: 'sla_drill', title } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; version: number; dueAt: string };
  };
  const read = async (id: string) => (await t.app.inject({ url: `/api/v1/cases/${id}`, headers: bearer(t.users.admin) })).json();
  const timeline = async (id: string) => (await t.app.inject({ url: `/api/v1/cases/${id}/timeline`, headers: bearer(t.users.admin) })).json().items as Event[];
  const escalations = async (id: string, rule: number) => (await timeline(id)).filter((e) => e.kind === 'case.escalated' && e.data.rule === rule);
  const run = (job: EscalationJob, now?: Date) => t.ctx.database.write((tx) => runEscalation(tx, t.ctx.caseTypes, t.ctx.scheduler, job, now));
  const jobState = async (job: EscalationJob) => {
    const result = await t.ctx.database.db.execute(sql`select state from pgboss.job where name = 'sla-escalation' and singleton_key = ${escalationKey(job)} order by created_on`);
    return (result as unknown as { rows: { state: string }[] }).rows.map((r) => r.state);
  };

  it('raises the priority after its time, once, however often the job runs', async () => {
    const created = await open('Vendor 17 changes bank');
    const job = { caseId: created.id, rule: 0, dueAt: created.dueAt };
    // Two handlers at once, judged a minute on, racing the queue's own timer: one escalation.
    const later = new Date(Date.now() + 60_000);
    const fired = await Promise.all([run(job, later), run(job, later)]);
    expect(fired.filter(Boolean)).toHaveLength(1);
    await eventually(async () => (await jobState(job)).includes('completed'), "the queue's own timer to run");
    expect(await run(job, later)).toBe(false);

    const events = await escalations(created.id, 0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: { type: 'system', id: 'escalation' },
      reason: 'Escalation rule 0 (after)',
      data: { rule: 0, trigger: { after: 'PT1S' }, actions: [{ raisePriority: 'high' }], dueAt: created.dueAt },
    });
    expect(events[0]!.data.notify).toBeUndefined();
    const changed = (await timeline(created.id)).find((e) => e.kind === 'field.changed');
    expect(changed).toMatchObject({ reason: 'Escalation rule 0 (after)', data: { changes: [{ field: 'priority', old: 'normal', new: 'high' }] } });
    expect(await read(created.id)).toMatchObject({ priority: 'high', version: created.version + 1 });
  });

  it('fires from its own timer, with nothing but the queue driving it', async () => {
    const created = await open('Vendor 18 changes bank');
    const events = await eventually(async () => {
      const found = await escalations(created.id, 0);
      return found.length > 0 && found;
    }, 'the after-PT1S rule');
    expect(events).toHaveLength(1);
    expect((await read(created.id)).priority).toBe('high');
  });

  it('reassigns a breached case to the escalations queue and says whom to notify; the chain still verifies', async () => {
    const created = await open('Vendor 19 changes bank');
    // The due time is the read model's: moved into the past rather than waiting a day. Its timer was
    // scheduled for the old due time, so the sweep is what finds it.
    const dueAt = new Date(Date.now() - 60_000).toISOString();
    await t.ctx.database.db.execute(sql`update cases set due_at = ${dueAt} where id = ${created.id}`);
    const offered = await sweepEscalations(t.ctx.database, t.ctx.caseTypes, t.ctx.scheduler);
    expect(offered).toContainEqual({ caseId: created.id, rule: 1, dueAt });

    const [event] = await eventually(async () => {
      const found = await escalations(created.id, 1);
      return found.length > 0 && found;
    }, 'the breach rule');
    expect(event!.data).toMatchObject({ rule: 1, trigger: { breached: true }, actions: [{ reassign: { queue: 'escalations' } }, { notify: 'queue' }], notify: ['queue'], dueAt });
    expect((await read(created.id)).queue).toBe('escalations');
    // The old due time's job is stale: it does nothing when it comes.
    expect(await run({ caseId: created.id, rule: 1, dueAt: created.dueAt }, new Date(Date.now() + 2 * 86_400_000))).toBe(false);
    expect(await escalations(created.id, 1)).toHaveLength(1);

    const verification = await t.app.inject({ url: `/api/v1/cases/${created.id}/verification`, headers: bearer(t.users.admin) });
    expect(verification.json()).toMatchObject({ ok: true, problems: [] });
  });

  it('leaves a resolved case alone', async () => {
    const created = await open('Vendor 20 changes bank');
    // The after-PT1S rule may fire first (a new version: resolve again at that one); what matters is what comes after.
    const resolved = await eventually(async () => {
      const { version } = await read(created.id);
      const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${created.id}`, headers: bearer(t.users.operator), payload: { version, status: 'resolved' } });
      return res.statusCode !== 409 && res;
    }, 'the resolution');
    expect(resolved.statusCode, resolved.body).toBe(200);
    const dueAt = new Date(Date.now() - 60_000).toISOString();
    await t.ctx.database.db.execute(sql`update cases set due_at = ${dueAt} where id = ${created.id}`);
    const offered = await sweepEscalations(t.ctx.database, t.ctx.caseTypes, t.ctx.scheduler);
    expect(offered.filter((job) => job.caseId === created.id)).toEqual([]);
    expect(await run({ caseId: created.id, rule: 1, dueAt }, new Date(Date.now() + 60_000))).toBe(false);
    expect(await escalations(created.id, 1)).toEqual([]);
    expect((await read(created.id)).queue).toBe('refunds');
  });
});

describe('invalid escalation rules stop the server', () => {
  const refused = async (kind: DbKind, rules: string) => {
    const dir = configWith({ 'sla_drill.v1.yaml': DRILL.replace(/escalations:[\s\S]*$/, rules) });
    const pgdb = kind === 'postgres' ? await freshPostgresDatabase() : undefined;
    const config = readConfig({ LATCH_CONFIG_DIR: dir, LATCH_LOG_KEY: TEST_LOG_KEY, ...(pgdb ? { LATCH_DATABASE_URL: pgdb.url } : {}) });
    try {
      const latch = await openLatch(config, { inMemory: kind === 'pglite', migrate: true, log: () => undefined });
      await latch.close();
      return undefined;
    } catch (error) {
      return (error as Error).message;
    } finally {
      await pgdb?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  };

  // The rules' shape is checked as the files are read, whatever the database: once is enough.
  it('names the file and the rule for an unknown action, a priority the type lacks and a bad duration', async () => {
    const message = await refused('postgres', `escalations:
  - when: { after: soon }
    do: [ { page: oncall } ]
  - when: { breached: true }
    do: [ { raisePriority: critical } ]
`);
    expect(message).toContain('sla_drill.v1.yaml');
    expect(message).toContain("escalations[0].when.after 'soon' is not a duration");
    expect(message).toContain("escalations[0].do[0]: unknown action 'page'");
    expect(message).toContain("escalations[1].do[0].raisePriority 'critical' is not a priority");
  });

  it.each(DB_KINDS)('names the file and the rule for a queue no team works and a person with no account (%s)', async (kind) => {
    const message = await refused(kind, `escalations:
  - when: { breached: true }
    do: [ { reassign: { queue: nowhere } }, { reassign: { user: nobody@test.example } } ]
`);
    expect(message).toContain('sla_drill.v1.yaml: escalations[0].do[0].reassign.queue');
    expect(message).toContain("'nowhere' is not a queue any team in teams.yaml works");
    expect(message).toContain('escalations[0].do[1].reassign.user is not the email of any user');
    expect(message).not.toContain('nobody@test.example');
  });

});
