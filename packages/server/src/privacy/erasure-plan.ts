import { collectCommitments, type EventBody } from '@latch/core';
import { and, asc, eq, inArray, isNull, not, or, sql } from 'drizzle-orm';
import type { ActionRow } from '../approvals/action-access.js';
import { normaliseEmail, type UserRow } from '../auth/users.js';
import { quarantinedOf, type QuarantinedOfSubject } from './scrub-quarantine.js';
import type { CaseRow } from '../cases/case-access.js';
import type { Queryable } from '../db/database.js';
import { SYSTEM_STREAM } from '../db/event-store.js';
import { actionRequests, blobs, cases, events, idempotencyKeys, personalData, users } from '../db/schema.js';

/** Everything held about one subject, found before anything is changed (and all a dry run shows). */
export interface ErasurePlan {
  /** The subjects personal_data is filed under: the one asked for, and `user:<id>` for an account with that email. */
  readonly subjects: readonly string[];
  readonly user: UserRow | undefined;
  readonly cases: readonly CaseRow[];
  /** Disclosures (salt and value behind a commitment) per stream. */
  readonly valuesByStream: ReadonlyMap<string, number>;
  readonly actions: readonly ActionRow[];
  /** Blobs only the subject's cases refer to (erased), and the streams referring to each. */
  readonly blobsToErase: ReadonlyMap<string, readonly string[]>;
  /** Blobs the subject's cases share with data that stays (another subject's case or action). */
  readonly blobsKept: readonly string[];
  /** Stored idempotent responses that hold the subject's data. */
  readonly storedResponses: number;
  /** Quarantined intakes the subject sent (their sender and raw bytes). */
  readonly quarantined: readonly QuarantinedOfSubject[];
}

/** Emails are subjects in lower case, as cases and users store them; `case:` and `user:` subjects are taken as given. */
export function normaliseSubject(subject: string): string {
  return subject.includes('@') ? normaliseEmail(subject) : subject.trim();
}

/**
 * Finds what belongs to a subject: the cases whose personal data is theirs (requester email, or
 * disclosures filed under them), their actions, the blobs only those cases refer to, the user
 * account with that email. With `lock`, the cases and blobs are locked for the transaction.
 */
export async function planErasure(db: Queryable, subject: string, lock: boolean): Promise<ErasurePlan> {
  const user = await findSubjectUser(db, subject);
  const subjects = user ? [...new Set([subject, user.email, `user:${user.id}`])] : [subject];
  const counted = await db
    .select({ stream: personalData.stream, n: sql<number>`count(*)::int` })
    .from(personalData)
    .where(inArray(personalData.subject, subjects))
    .groupBy(personalData.stream);
  const valuesByStream = new Map(counted.map((row) => [row.stream, Number(row.n)]));
  const streams = [...valuesByStream.keys()].filter((s) => s !== SYSTEM_STREAM);
  const caseQuery = db
    .select()
    .from(cases)
    .where(
      or(
        streams.length > 0 ? inArray(cases.id, streams) : undefined,
        inArray(cases.requesterEmail, subjects),
        and(isNull(cases.requesterEmail), sql`'case:' || ${cases.id}::text = ${subject}`),
      ),
    )
    .orderBy(asc(cases.id));
  const found = lock ? await caseQuery.for('update') : await caseQuery;
  const caseIds = found.map((c) => c.id);
  const actions = caseIds.length > 0 ? await db.select().from(actionRequests).where(inArray(actionRequests.caseId, caseIds)).orderBy(asc(actionRequests.id)) : [];
  const { erase, kept } = await blobsOf(db, caseIds, lock);
  const quarantined = await quarantinedOf(db, subjects, lock);
  return { subjects, user, cases: found, valuesByStream, actions, blobsToErase: erase, blobsKept: kept, storedResponses: await countStoredResponses(db, subjects, caseIds), quarantined };
}

async function findSubjectUser(db: Queryable, subject: string): Promise<UserRow | undefined> {
  const byId = /^user:([0-9a-f-]{36})$/.exec(subject)?.[1];
  const [row] = await db.select().from(users).where(byId ? eq(users.id, byId) : eq(users.email, subject));
  return row;
}

/**
 * The blobs the given cases' events refer to (attachments, external requests and responses), split
 * into those no one else refers to and those another stream still refers to with data that stays.
 * A reference from an event whose personal data was all erased earlier does not keep a blob.
 */
async function blobsOf(db: Queryable, caseIds: readonly string[], lock: boolean) {
  const erase = new Map<string, string[]>();
  const kept: string[] = [];
  if (caseIds.length === 0) return { erase, kept };
  const own = await db
    .select({ stream: events.stream, bytes: events.bytes })
    .from(events)
    .where(and(inArray(events.stream, [...caseIds]), sql`${events.bytes} like '%"blobs":[%'`));
  const streamsOf = new Map<string, Set<string>>();
  for (const row of own) {
    for (const sha of (JSON.parse(row.bytes) as EventBody).blobs ?? []) streamsOf.set(sha, (streamsOf.get(sha) ?? new Set()).add(row.stream));
  }
  if (streamsOf.size === 0) return { erase, kept };
  // Locked before the references are read, so an upload of the same bytes elsewhere waits, or is seen.
  const present = db
    .select({ sha256: blobs.sha256 })
    .from(blobs)
    .where(and(inArray(blobs.sha256, [...streamsOf.keys()]), sql`octet_length(${blobs.data}) = ${blobs.size}`))
    .orderBy(asc(blobs.sha256));
  const candidates = (lock ? await present.for('update') : await present).map((b) => b.sha256);
  const live = await liveReferences(db, candidates, caseIds);
  for (const sha of candidates) {
    if (live.has(sha)) kept.push(sha);
    else erase.set(sha, [...streamsOf.get(sha)!]);
  }
  return { erase, kept };
}

/** Which of the blobs are referred to by an event outside `caseIds` whose personal data (if any) is still held. */
async function liveReferences(db: Queryable, shas: readonly string[], caseIds: readonly string[]): Promise<Set<string>> {
  const live = new Set<string>();
  if (shas.length === 0) return live;
  const others = await db
    .select({ bytes: events.bytes })
    .from(events)
    .where(and(not(inArray(events.stream, [...caseIds])), sql`${events.bytes} like any(${sql.param(shas.map((s) => `%${s}%`))}::text[])`));
  for (const row of others) {
    const body = JSON.parse(row.bytes) as EventBody;
    const refs = (body.blobs ?? []).filter((sha) => shas.includes(sha) && !live.has(sha));
    if (refs.length === 0) continue;
    const commitments = collectCommitments(body.data);
    const held = commitments.length === 0 || (await db.select({ c: personalData.commitment }).from(personalData).where(inArray(personalData.commitment, commitments)).limit(1)).length > 0;
    if (held) refs.forEach((sha) => live.add(sha));
  }
  return live;
}

/** Idempotent responses stored for replay that mention the subject or one of their cases. */
async function countStoredResponses(db: Queryable, subjects: readonly string[], caseIds: readonly string[]): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(idempotencyKeys).where(storedResponsesOf(subjects, caseIds));
  return Number(row?.n ?? 0);
}

/** The condition for stored responses holding the subject's data: their body or path names the email or a case. */
export function storedResponsesOf(subjects: readonly string[], caseIds: readonly string[]) {
  const text = sql`lower(${idempotencyKeys.body}::text || ' ' || ${idempotencyKeys.path})`;
  const needles = [...subjects.filter((s) => s.includes('@')), ...caseIds];
  return needles.length === 0 ? sql`false` : or(...needles.map((needle) => sql`strpos(${text}, ${needle.toLowerCase()}) > 0`));
}
