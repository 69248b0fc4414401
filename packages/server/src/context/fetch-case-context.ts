import { canonicalJson, personal, sha256Hex } from '@latch/core';
import { eq } from 'drizzle-orm';
import type { Scheduler } from '../approvals/scheduler.js';
import { subjectOf } from '../cases/create-case.js';
import { putBlob } from '../db/blobs.js';
import type { Database } from '../db/database.js';
import { appendEvents } from '../db/event-store.js';
import { cases } from '../db/schema.js';
import { scrub } from '../execution/exchange-blobs.js';
import type { PluginHost } from '../plugin-host/plugin-host.js';
import { scheduleContextAsk, type ContextJob } from './request-context.js';

/** A plugin that fails this many times in a row is recorded as unavailable for the case (1 s, 2 s between tries). */
export const CONTEXT_ATTEMPTS = 3;
const FIRST_RETRY_MS = 1_000;

/**
 * Runs one ask: reads the case, sends the plugin only its manifest's caseFields, and records the
 * answer as a blob by SHA-256 with `case.context_attached` (the answer is untrusted text: stored,
 * never acted on). A failure schedules the next try; the last one records `case.context_unavailable`.
 */
export async function fetchCaseContext(database: Database, host: PluginHost, scheduler: Scheduler, job: ContextJob): Promise<'attached' | 'retrying' | 'unavailable' | 'skipped'> {
  const [row] = await database.db.select().from(cases).where(eq(cases.id, job.caseId));
  if (!row || !host.manifest(job.plugin)) return 'skipped';
  const allowed = new Set(host.caseFields(job.plugin) ?? []);
  const fields = Object.fromEntries(Object.entries(row.fields as Record<string, unknown>).filter(([name]) => allowed.has(name)));
  const actor = { type: 'plugin', id: job.plugin } as const;
  const subject = subjectOf(row);
  let answer;
  try {
    answer = await host.fetchContext(job.plugin, { caseId: row.id, caseType: row.typeKey, fields });
  } catch {
    // The plugin's error text is not recorded: it may quote the external system, or the case.
    if (job.attempt < CONTEXT_ATTEMPTS) {
      const next = new Date(Date.now() + FIRST_RETRY_MS * 2 ** (job.attempt - 1));
      await database.write((tx) => scheduleContextAsk(tx, scheduler, { ...job, attempt: job.attempt + 1 }, next));
      return 'retrying';
    }
    await database.write((tx) =>
      appendEvents(tx, row.id, [{ kind: 'case.context_unavailable', actor, outcome: 'failed', data: { plugin: job.plugin, attempts: job.attempt } }], { subject }),
    );
    return 'unavailable';
  }
  const bytes = Buffer.from(scrub(canonicalJson(answer as never), host.secretValues(job.plugin)), 'utf8');
  const sha256 = sha256Hex(bytes);
  await database.write(async (tx) => {
    await putBlob(tx, sha256, bytes);
    await appendEvents(
      tx,
      row.id,
      [
        {
          kind: 'case.context_attached',
          actor,
          data: { plugin: job.plugin, sha256, facts: answer.facts.length, fetchedAt: answer.fetchedAt, ...(answer.summary ? { summary: personal(answer.summary) } : {}) },
          blobs: [sha256],
        },
      ],
      { subject },
    );
  });
  return 'attached';
}
