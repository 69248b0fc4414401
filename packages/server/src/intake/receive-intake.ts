import { sha256Hex, uuidv7, type Actor, type CaseVisibility, type Json, type Principal } from '@latch/core';
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { addAttachment } from '../cases/attachments.js';
import type { CaseRow } from '../cases/case-access.js';
import { createCase, subjectOf } from '../cases/create-case.js';
import { linkCases } from '../cases/links.js';
import type { LatchContext } from '../context.js';
import type { ContextSources } from '../context/request-context.js';
import { putBlob } from '../db/blobs.js';
import type { Tx } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { cases, intakeMessages, users } from '../db/schema.js';
import type { IntakeConfig, IntakeTarget } from './intake-config.js';
import { routeIntake } from './route-intake.js';
import { safeText } from './safe-text.js';

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

/**
 * Opens a case from an intake, or threads it into the case it follows when that case's requester
 * sent it, and records `intake.received {channel, source, routing}` with the raw source by hash, in
 * the caller's transaction. A follow-up from anyone else opens a new case flagged as a possible
 * forgery and linked to the one it claimed. Nothing is refused for missing fields.
 */
export async function receiveIntakeIn(tx: Tx, ctx: Pick<LatchContext, 'caseTypes'> & Partial<ContextSources> & { readonly intake: { readonly config: IntakeConfig } }, input: IntakeInput): Promise<IntakeResult> {
  const rawSha256 = sha256Hex(input.raw);
  const ownKey = input.parsed.ownKey ? threadKeyHash(input.parsed.ownKey) : null;
  if (ownKey) {
    // Two deliveries of the same message (a client that lost our 250) serialise here; the second finds the first.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${ownKey}, 0))`);
    const [seen] = await tx
      .select({ caseId: intakeMessages.caseId })
      .from(intakeMessages)
      .where(and(eq(intakeMessages.messageKey, ownKey), eq(intakeMessages.rawSha256, rawSha256), eq(intakeMessages.direction, 'in')))
      .limit(1);
    if (seen) return { caseId: seen.caseId, outcome: 'duplicate' };
  }
  const requesterEmail = safeText(input.parsed.requester?.email ?? '').trim().toLowerCase() || null;
  const followed = await followedCase(tx, input.parsed);
  await putBlob(tx, rawSha256, input.raw);
  const common = { channel: input.channel, source: input.source, rawSha256, rawType: input.rawType, size: input.raw.length, ...input.details };
  const released = input.released ? { releasedFrom: input.released.quarantineId, quarantineReason: input.released.reason } : {};
  const actor = input.released?.by ?? INTAKE_ACTOR;

  if (followed && followed.requesterEmail === requesterEmail) {
    const [event] = await appendEvents(
      tx,
      followed.id,
      [{ kind: 'intake.received', actor, data: { ...common, routing: [], threaded: true, ...released }, blobs: [rawSha256] }],
      { subject: subjectOf(followed) },
    );
    await finish(tx, followed.id, input, ownKey, rawSha256, event!.id);
    return { caseId: followed.id, outcome: 'threaded' };
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
  const created = await createCase(tx, ctx.caseTypes, INTAKE_PRINCIPAL, actor, {
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
    // Where the deployment asks plugins for context on this type, an intake case gets it like any other.
  }, undefined, ctx.scheduler ? { scheduler: ctx.scheduler, plugins: ctx.plugins } : undefined);
  const [event] = await appendEvents(
    tx,
    created.id,
    [
      {
        kind: 'intake.received',
        actor,
        data: {
          ...common,
          routing: [...routing.fired],
          ...(routing.assignee && !assigneeId ? { assigneeNotFound: true } : {}),
          ...(followed ? { possibleForgery: followed.id } : {}),
          ...released,
        },
        blobs: [rawSha256],
      },
    ],
    { subject: subjectOf(created) },
  );
  await finish(tx, created.id, input, ownKey, rawSha256, event!.id);
  if (followed) await linkCases(tx, EVERYTHING, actor, created.id, followed.id, 'relates');
  return { caseId: created.id, outcome: 'created', possibleForgeryOf: followed?.id };
}

/** Attachments (each its own `attachment.added`) and the message's row for threading. */
async function finish(tx: Tx, caseId: string, input: IntakeInput, ownKey: string | null, rawSha256: string, eventId: string): Promise<void> {
  for (const file of input.parsed.attachments ?? []) {
    if (file.data.length === 0) continue;
    await addAttachment(tx, EVERYTHING, INTAKE_ACTOR, SYSTEM_STREAM, caseId, file);
  }
  await tx.insert(intakeMessages).values({ id: uuidv7(), caseId, direction: 'in', channel: input.channel, messageKey: ownKey, rawSha256, eventId });
}

/** The case an intake follows, locked: by the newest message it refers to, else by the case token it names. */
async function followedCase(tx: Tx, parsed: ParsedIntake): Promise<CaseRow | undefined> {
  const keys = [...new Set((parsed.threadKeys ?? []).filter((k) => k.trim() !== '').slice(0, 100).map(threadKeyHash))];
  let caseId: string | undefined;
  if (keys.length > 0) {
    const [row] = await tx
      .select({ caseId: intakeMessages.caseId })
      .from(intakeMessages)
      .where(inArray(intakeMessages.messageKey, keys))
      .orderBy(desc(intakeMessages.id))
      .limit(1);
    caseId = row?.caseId;
  }
  caseId ??= parsed.caseToken;
  if (!caseId) return undefined;
  const [row] = await tx.select().from(cases).where(eq(cases.id, caseId)).for('update');
  return row;
}

async function activeUserId(tx: Tx, email: string): Promise<string | undefined> {
  const [user] = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.email, email.trim().toLowerCase()), isNull(users.disabledAt)));
  return user?.id;
}
