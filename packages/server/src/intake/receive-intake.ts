import { sha256Hex, uuidv7, type Actor, type CaseVisibility, type EventDraft, type Json, type Principal, type SealedEvent, type StreamHead } from '@latch/core';
import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { addAttachment } from '../cases/attachments.js';
import type { CaseRow } from '../cases/case-access.js';
import { createCase, subjectOf } from '../cases/create-case.js';
import { linkCases } from '../cases/links.js';
import type { LatchContext } from '../context.js';
import type { ContextSources } from '../context/request-context.js';
import { blobUpsert } from '../db/blobs.js';
import { resultRows, type Tx } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { cases, intakeMessages, streamHeads, users } from '../db/schema.js';
import type { IntakeConfig, IntakeTarget } from './intake-config.js';
import { routeIntake } from './route-intake.js';
import { safeText } from './safe-text.js';
import { recordIntake } from '../metrics/metrics.js';

/** Who records what intake opened: the system, never a person (a person who releases a quarantined item is named instead). */
export const INTAKE_ACTOR: Actor = { type: 'system', id: 'intake' };
const INTAKE_PRINCIPAL: Principal = { userId: SYSTEM_STREAM, roles: [], teams: [], permissions: new Set(['case:update']) };
const EVERYTHING: CaseVisibility = { all: true, queues: [], userId: SYSTEM_STREAM };

export interface IntakeAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly data: Buffer;
}

/** What a channel understood of what it received. Text is untrusted: it is stored, never interpreted. */
export interface ParsedIntake {
  readonly title: string;
  readonly body: string;
  readonly requester?: { readonly email?: string | undefined; readonly name?: string | undefined } | undefined;
  /** Typed fields for the case (a form's); the type's required fields may be missing. */
  readonly fields?: Record<string, unknown> | undefined;
  readonly attachments?: readonly IntakeAttachment[] | undefined;
  /** Keys of earlier intakes this one follows (email: In-Reply-To and References; alerts: a fingerprint). */
  readonly threadKeys?: readonly string[] | undefined;
  /** A case this one names (email: the case token in the subject). */
  readonly caseToken?: string | undefined;
  /** The key later intakes may follow (email: its Message-ID). Receiving the same bytes under it twice opens one case. */
  readonly ownKey?: string | undefined;
}

export interface IntakeInput {
  readonly channel: string;
  /** Where on the channel it came: the address, the form, the alert source. Not personal data. */
  readonly source: string;
  /** The exact bytes received: stored by SHA-256 and referred to by `intake.received`. */
  readonly raw: Buffer;
  readonly rawType: string;
  /** Where the channel puts it before the routing rules. */
  readonly target: IntakeTarget;
  readonly parsed: ParsedIntake;
  /** Channel facts for the event, never personal data (e.g. attachments left out over a limit). */
  readonly details?: Readonly<Record<string, Json>> | undefined;
  /** A quarantined item an admin released. */
  readonly released?: { readonly quarantineId: string; readonly reason: string; readonly by: Actor } | undefined;
}

export type IntakeOutcome = 'created' | 'threaded' | 'duplicate';

export interface IntakeResult {
  readonly caseId: string;
  readonly outcome: IntakeOutcome;
  /** A reply from someone other than the case's requester: the case it claimed to follow. */
  readonly possibleForgeryOf?: string | undefined;
}

/** A thread key as stored: SHA-256 of the trimmed, lower-cased key, so no address is kept in the clear. */
export function threadKeyHash(key: string): string {
  return sha256Hex(Buffer.from(key.trim().toLowerCase(), 'utf8'));
}

/** Receives one intake in its own durable transaction: committed when this returns. */
export async function receiveIntake(ctx: Pick<LatchContext, 'database' | 'caseTypes'> & Partial<ContextSources> & { readonly intake: { readonly config: IntakeConfig } }, input: IntakeInput): Promise<IntakeResult> {
  return ctx.database.write((tx) => receiveIntakeIn(tx, ctx, input));
}

/** How a channel steers receiveIntakeIn beyond the intake itself (alerts). */
export interface IntakeOptions {
  /** Whether the case the intake refers to is followed (default: yes); else the intake opens a case. */
  readonly follow?: ((followed: CaseRow) => boolean) | undefined;
  /** Events recorded on the case right after `intake.received`, in the same append. */
  readonly events?: readonly EventDraft[] | undefined;
  /** The caller already holds lockIntakeKey(ownKey) in this transaction. */
  readonly keyLocked?: boolean | undefined;
  /** What the caller looked up for it under that lock (a batch of new messages: email/receive-email-batch.ts). */
  readonly lookedUp?: { readonly duplicateOf: string | undefined; readonly followedId: string | undefined } | undefined;
}

/**
 * Serialises the intakes of one key (a Message-ID, an alert's fingerprint) across transactions and
 * servers until the transaction ends: the second of two finds what the first committed.
 */
export function intakeKeyLock(key: string): SQL {
  return sql`pg_advisory_xact_lock(hashtextextended(${threadKeyHash(key)}, 0))`;
}

/**
 * Opens a case from an intake, or threads it into the case it follows when that case's requester
 * sent it, and records `intake.received {channel, source, routing}` with the raw source by hash, in
 * the caller's transaction. A follow-up from anyone else opens a new case flagged as a possible
 * forgery and linked to the one it claimed. Nothing is refused for missing fields.
 *
 * Round trips (intake's cost is mostly these): the key's lock, one look-up (an earlier delivery of
 * the same bytes, the case it follows), the followed case and its stream head locked together, and
 * one statement that appends the events with the raw source and the message's row.
 */
export async function receiveIntakeIn(
  tx: Tx,
  ctx: Pick<LatchContext, 'caseTypes'> & Partial<ContextSources> & { readonly intake: { readonly config: IntakeConfig } },
  input: IntakeInput,
  options: IntakeOptions = {},
): Promise<IntakeResult> {
  const rawSha256 = sha256Hex(input.raw);
  const ownKey = input.parsed.ownKey ? threadKeyHash(input.parsed.ownKey) : null;
  // Two deliveries of the same message (a client that lost our 250) serialise here; the second finds the first.
  if (input.parsed.ownKey && !options.keyLocked) await tx.execute(sql`select ${intakeKeyLock(input.parsed.ownKey)}`);
  const { duplicateOf, followedId } = options.lookedUp ?? (await lookUp(tx, input.parsed, ownKey, rawSha256));
  if (duplicateOf) {
    recordIntake(input.channel, 'duplicate');
    return { caseId: duplicateOf, outcome: 'duplicate' };
  }
  const requesterEmail = safeText(input.parsed.requester?.email ?? '').trim().toLowerCase() || null;
  const locked = followedId ? await lockCase(tx, followedId) : undefined;
  const followed = locked && (options.follow?.(locked.row) ?? true) ? locked : undefined;
  const common = commonFacts(input, rawSha256);
  const released = releasedFacts(input);
  const actor = input.released?.by ?? INTAKE_ACTOR;
  // The raw source and the message's row (by the sealed intake.received's id) go in the same statement as the events.
  const rows = (caseId: string, eventAt: number) => (sealed: readonly SealedEvent[]) => [
    blobUpsert(tx, rawSha256, input.raw),
    tx.insert(intakeMessages).values({ id: uuidv7(), caseId, direction: 'in', channel: input.channel, messageKey: ownKey, rawSha256, eventId: sealed[eventAt]!.id }),
  ];

  if (followed && followed.row.requesterEmail === requesterEmail) {
    await appendEvents(
      tx,
      followed.row.id,
      [threadedReceived(input, rawSha256), ...(options.events ?? [])],
      { subject: subjectOf(followed.row), head: followed.head, alongside: rows(followed.row.id, 0) },
    );
    await addAttachments(tx, followed.row.id, input);
    recordIntake(input.channel, 'threaded');
    return { caseId: followed.row.id, outcome: 'threaded' };
  }

  const title = safeText(input.parsed.title).replace(/\s+/g, ' ').trim().slice(0, 200) || '(no subject)';
  const routing = routeIntake(input.target, ctx.intake.config.routes, {
    channel: input.channel,
    source: input.source,
    title,
    body: input.parsed.body,
    requesterEmail: requesterEmail ?? undefined,
  });
  const assigneeId = routing.assignee ? await activeUserId(tx, routing.assignee) : undefined;
  const received: EventDraft = {
    kind: 'intake.received',
    actor,
    data: {
      ...common,
      routing: [...routing.fired],
      ...(routing.assignee && !assigneeId ? { assigneeNotFound: true } : {}),
      ...(followed ? { possibleForgery: followed.row.id } : {}),
      ...released,
    },
    blobs: [rawSha256],
  };
  const created = await createCase(
    tx,
    ctx.caseTypes,
    INTAKE_PRINCIPAL,
    actor,
    {
      type: routing.type,
      title,
      // The search index (tsvector) has a size limit; the whole text stays in the raw source.
      description: safeText(input.parsed.body).slice(0, 60_000),
      priority: routing.priority,
      queue: routing.queue,
      assigneeId: assigneeId ?? null,
      requester: requesterEmail ? { email: requesterEmail, name: safeText(input.parsed.requester?.name ?? '').slice(0, 200) || undefined } : undefined,
      fields: input.parsed.fields,
      partialFields: true,
    },
    undefined,
    // Where the deployment asks plugins for context on this type, an intake case gets it like any other.
    ctx.scheduler ? { scheduler: ctx.scheduler, plugins: ctx.plugins } : undefined,
    // case.created, then intake.received (sealed[1]) and the channel's events, in one append.
    (row) => ({ events: [received, ...(options.events ?? [])], alongside: rows(row.id, 1) }),
  );
  await addAttachments(tx, created.id, input);
  if (followed) await linkCases(tx, EVERYTHING, actor, created.id, followed.row.id, 'relates');
  recordIntake(input.channel, 'created');
  return { caseId: created.id, outcome: 'created', possibleForgeryOf: followed?.row.id };
}

/** What `intake.received` says of any intake: where it came and its raw source by hash. */
function commonFacts(input: IntakeInput, rawSha256: string) {
  return { channel: input.channel, source: input.source, rawSha256, rawType: input.rawType, size: input.raw.length, ...input.details };
}

function releasedFacts(input: IntakeInput) {
  return input.released ? { releasedFrom: input.released.quarantineId, quarantineReason: input.released.reason } : {};
}

/** `intake.received` for an intake that follows its case (the requester's own): no routing, `threaded`. */
export function threadedReceived(input: IntakeInput, rawSha256: string): EventDraft {
  const actor = input.released?.by ?? INTAKE_ACTOR;
  return { kind: 'intake.received', actor, data: { ...commonFacts(input, rawSha256), routing: [], threaded: true, ...releasedFacts(input) }, blobs: [rawSha256] };
}

/** Attachments, each its own `attachment.added`. */
async function addAttachments(tx: Tx, caseId: string, input: IntakeInput): Promise<void> {
  for (const file of input.parsed.attachments ?? []) {
    if (file.data.length === 0) continue;
    await addAttachment(tx, EVERYTHING, INTAKE_ACTOR, SYSTEM_STREAM, caseId, file);
  }
}

/**
 * In one query: the case an earlier delivery of the same bytes under the same key went to (a
 * duplicate), and the case this intake follows: by the newest message it refers to, else by the
 * case token it names.
 */
async function lookUp(tx: Tx, parsed: ParsedIntake, ownKey: string | null, rawSha256: string): Promise<{ duplicateOf: string | undefined; followedId: string | undefined }> {
  const keys = [...new Set((parsed.threadKeys ?? []).filter((k) => k.trim() !== '').slice(0, 100).map(threadKeyHash))];
  if (!ownKey && keys.length === 0) return { duplicateOf: undefined, followedId: parsed.caseToken };
  // Each by index (migration 0014): the same bytes under the key, one probe of (raw_sha256, message_key);
  // the newest message of any of the keys, the newest of each key's last entry of (message_key, id).
  const duplicate = ownKey
    ? sql`(select ${intakeMessages.caseId} from ${intakeMessages} where ${intakeMessages.rawSha256} = ${rawSha256} and ${intakeMessages.messageKey} = ${ownKey} and ${intakeMessages.direction} = 'in' limit 1)`
    : sql`null::uuid`;
  const followed =
    keys.length > 0
      ? sql`(select m.case_id from unnest(${sql.param(keys)}::text[]) as k cross join lateral (select ${intakeMessages.id} as id, ${intakeMessages.caseId} as case_id from ${intakeMessages} where ${intakeMessages.messageKey} = k order by ${intakeMessages.id} desc limit 1) as m order by m.id desc limit 1)`
      : sql`null::uuid`;
  const [row] = resultRows<{ duplicate_of: string | null; followed: string | null }>(await tx.execute(sql`select ${duplicate} as duplicate_of, ${followed} as followed`));
  return { duplicateOf: row?.duplicate_of ?? undefined, followedId: row?.followed ?? parsed.caseToken };
}

/** The followed case's row and its stream head, locked together (the lock order: the case's row, then its head). */
async function lockCase(tx: Tx, caseId: string): Promise<{ row: CaseRow; head: StreamHead } | undefined> {
  const [found] = await tx
    .select({ row: cases, seq: streamHeads.seq, hash: streamHeads.hash })
    .from(cases)
    .innerJoin(streamHeads, eq(streamHeads.stream, cases.id))
    .where(eq(cases.id, caseId))
    .for('update');
  return found ? { row: found.row, head: { stream: caseId, seq: found.seq, hash: found.hash } } : undefined;
}

async function activeUserId(tx: Tx, email: string): Promise<string | undefined> {
  const [user] = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.email, email.trim().toLowerCase()), isNull(users.disabledAt)));
  return user?.id;
}
