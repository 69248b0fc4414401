import { sha256Hex } from '@latch/core';
import { sql } from 'drizzle-orm';
import type { Scheduler } from '../../approvals/scheduler.js';
import { resultRows, type Tx } from '../../db/database.js';
import { intakeMessages } from '../../db/schema.js';
import { CollectedTimers } from '../collected-timers.js';
import { threadKeyHash, type IntakeInput, type IntakeOptions, type IntakeResult } from '../receive-intake.js';
import type { EmailOutcome } from './receive-email.js';

/** One message as receiveEmail read it, waiting in a group commit batch. */
export interface EmailDelivery {
  /** The intake of a message that passed the checks; undefined for one that is held. */
  readonly input: IntakeInput | undefined;
  /** The message on its own path, in the caller's transaction (a held one is quarantined there). */
  readonly alone: (tx: Tx) => Promise<EmailOutcome>;
  /** receiveIntakeIn in the deployment's context, with `scheduler` for the timers a new case asks for. */
  readonly receive: (tx: Tx, input: IntakeInput, options: IntakeOptions, scheduler: Scheduler | undefined) => Promise<IntakeResult>;
  /** The deployment's scheduler (the batch's timers are added through it, together). */
  readonly scheduler: Scheduler | undefined;
}

/**
 * A batch of messages received together in the group commit's transaction, each with what it would
 * have had alone (its case, thread, duplicate or quarantine, and its record), in order. Shared by
 * the batch: every message's own key (Message-ID) locked in one statement, in sorted order; the
 * earlier deliveries of the same bytes under those keys looked up in one; and the timers its new
 * cases ask for (triage, plugin context) added in one per queue. A new message's case is still
 * opened by createCase, with its raw source and message row, in one statement; a reply (thread keys
 * or a case token) still looks up the case it follows on its own.
 */
export async function receiveEmailBatch(tx: Tx, deliveries: readonly EmailDelivery[]): Promise<EmailOutcome[]> {
  const ownKey = (input: IntakeInput) => (input.parsed.ownKey ? threadKeyHash(input.parsed.ownKey) : undefined);
  const inputs = deliveries.flatMap((d) => (d.input ? [d.input] : []));
  const keys = [...new Set(inputs.flatMap((input) => ownKey(input) ?? []))].sort();
  // Earlier deliveries of the same bytes under the same key: `${key}\n${sha}` → the case they went to.
  const received = new Map<string, string>();
  if (keys.length > 0) {
    // The locks first, in a statement of their own: the look-up must see what each lock's previous holder committed.
    await tx.execute(sql`select count(*) from (select pg_advisory_xact_lock(hashtextextended(h, 0)) from (select unnest(${sql.param(keys)}::text[]) as h order by 1) as sorted) as taken`);
    const shas = [...new Set(inputs.map((input) => sha256Hex(input.raw)))];
    const rows = resultRows<{ message_key: string; raw_sha256: string; case_id: string }>(
      await tx.execute(
        sql`select ${intakeMessages.messageKey} as message_key, ${intakeMessages.rawSha256} as raw_sha256, ${intakeMessages.caseId} as case_id from ${intakeMessages}
          where ${intakeMessages.rawSha256} = any(${sql.param(shas)}::text[]) and ${intakeMessages.messageKey} = any(${sql.param(keys)}::text[]) and ${intakeMessages.direction} = 'in'
          order by ${intakeMessages.id}`,
      ),
    );
    for (const row of rows) if (!received.has(`${row.message_key}\n${row.raw_sha256}`)) received.set(`${row.message_key}\n${row.raw_sha256}`, row.case_id);
  }

  const scheduler = deliveries.find((d) => d.scheduler)?.scheduler;
  const timers = scheduler ? new CollectedTimers(scheduler) : undefined;
  const answers: EmailOutcome[] = [];
  for (const delivery of deliveries) {
    const input = delivery.input;
    if (!input) {
      answers.push(await delivery.alone(tx));
      continue;
    }
    const key = ownKey(input);
    const pair = key ? `${key}\n${sha256Hex(input.raw)}` : undefined;
    // A new message (no thread keys, no case token) follows no case: its look-up is the duplicates' above.
    const follows = (input.parsed.threadKeys ?? []).some((k) => k.trim() !== '') || input.parsed.caseToken !== undefined;
    const lookedUp = follows ? undefined : { duplicateOf: pair ? received.get(pair) : undefined, followedId: undefined };
    const result = await delivery.receive(tx, input, { keyLocked: true, lookedUp }, timers);
    if (pair && result.outcome !== 'duplicate' && !received.has(pair)) received.set(pair, result.caseId);
    answers.push(result);
  }
  await timers?.flush(tx);
  return answers;
}
