import { findAction, personalFields, personalProperties, type Json } from '@latch/core';
import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { ActionRow } from '../approvals/action-access.js';
import { payloadOf } from '../approvals/payload.js';
import type { UserRow } from '../auth/users.js';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { CaseRow } from '../cases/case-access.js';
import type { Tx } from '../db/database.js';
import { actionRequests, apiTokens, approvalDecisions, attachments, blobs, cases, delegations, idempotencyKeys, notes, savedViews, scimUsers, sessions, userIdentities, users } from '../db/schema.js';
import { storedResponsesOf } from './erasure-plan.js';

/** What erased free text reads as in the tables people browse. */
export const ERASED_TEXT = '[erased]';

/**
 * The mutable tables keep copies of what events hold only as commitments. These functions remove
 * the subject's copies; the events, their hashes and the case structure (status, amounts, ids) stay.
 */

/** Title, description, requester and `x-personal` fields of each case; its notes' bodies and attachments' names. */
export async function scrubCases(tx: Tx, registry: CaseTypeRegistry, rows: readonly CaseRow[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  for (const row of rows) {
    const personal = personalFields(registry.get(row.typeKey, row.typeVersion).definition);
    // Removed rather than set to null: the fields must still validate against the schema when the case is next edited.
    const fields = Object.fromEntries(Object.entries(row.fields as Record<string, Json>).filter(([key]) => !personal.has(key)));
    await tx
      .update(cases)
      .set({ title: ERASED_TEXT, description: '', requesterEmail: null, requesterName: null, fields, version: sql`${cases.version} + 1`, updatedAt: now })
      .where(eq(cases.id, row.id));
  }
  const ids = rows.map((r) => r.id);
  await tx.update(notes).set({ body: ERASED_TEXT }).where(inArray(notes.caseId, ids));
  await tx.update(attachments).set({ filename: ERASED_TEXT }).where(inArray(attachments.caseId, ids));
}

/**
 * Finished actions: input properties the action's schema marks personal become null (and the stored
 * canonical payload follows; the payload hash in the events stays as approved), the plugin's summary
 * and output go, and so do the reasons given with decisions on them.
 */
export async function scrubActions(tx: Tx, registry: CaseTypeRegistry, rows: readonly ActionRow[], ofCases: readonly CaseRow[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  const typeOf = new Map(ofCases.map((c) => [c.id, c.typeKey]));
  for (const action of rows) {
    const definition = findAction(registry.get(typeOf.get(action.caseId)!, action.caseTypeVersion).definition, action.plugin, action.action);
    const input = action.input as Record<string, Json>;
    // An action its case type no longer describes: every input value may be personal.
    const personal = definition ? personalProperties(definition.input) : new Set(Object.keys(input));
    const scrubbed = Object.fromEntries(Object.entries(input).map(([key, value]) => [key, personal.has(key) ? null : value]));
    const result = action.result === null ? null : { ...(action.result as Record<string, Json>), summary: ERASED_TEXT, output: null };
    await tx
      .update(actionRequests)
      .set({ input: scrubbed, inputCanonical: payloadOf(action.caseId, action.plugin, action.action, scrubbed).canonical, result, updatedAt: now })
      .where(eq(actionRequests.id, action.id));
  }
  const ids = rows.map((a) => a.id);
  await tx.update(approvalDecisions).set({ reason: ERASED_TEXT }).where(and(inArray(approvalDecisions.actionId, ids), isNotNull(approvalDecisions.reason)));
}

/** Empties the bytes of blobs no one else refers to; the row stays for the attachments' foreign key (see db/blobs.ts). */
export async function eraseBlobs(tx: Tx, shas: readonly string[]): Promise<void> {
  if (shas.length > 0) await tx.update(blobs).set({ data: Buffer.alloc(0) }).where(inArray(blobs.sha256, [...shas]));
}

/**
 * Stored idempotent responses that hold the subject's data now replay as 410 ERASED: a retried
 * request still does not act twice, and the response no longer discloses anything.
 */
export async function scrubStoredResponses(tx: Tx, subjects: readonly string[], caseIds: readonly string[]): Promise<void> {
  await tx
    .update(idempotencyKeys)
    .set({
      statusCode: 410,
      body: { error: { code: 'ERASED', message: 'The stored response held personal data that has been erased' } },
      path: sql`split_part(${idempotencyKeys.path}, '?', 1)`,
    })
    .where(storedResponsesOf(subjects, caseIds));
}

/**
 * A user account with the subject's email: its email and name are replaced, it is disabled, its
 * sessions end, its tokens are revoked and its saved views (names and searches they typed) go.
 * The id stays: events and approvals refer to it.
 */
export async function scrubUser(tx: Tx, user: UserRow, now: Date): Promise<void> {
  await tx
    .update(users)
    .set({ email: `erased-${user.id}@erased.invalid`, name: ERASED_TEXT, passwordHash: null, disabledAt: user.disabledAt ?? now })
    .where(eq(users.id, user.id));
  await tx.delete(sessions).where(eq(sessions.userId, user.id));
  await tx.update(apiTokens).set({ revokedAt: now }).where(and(eq(apiTokens.userId, user.id), isNull(apiTokens.revokedAt)));
  await tx.update(delegations).set({ reason: null }).where(eq(delegations.fromUserId, user.id));
  await tx.delete(savedViews).where(eq(savedViews.userId, user.id));
  // The identity provider's id for the person (SCIM's externalId) goes too.
  await tx.update(scimUsers).set({ externalId: null }).where(eq(scimUsers.userId, user.id));
  // And its single sign-on links (issuer, subject): a later sign-in of that person is a new account.
  await tx.delete(userIdentities).where(eq(userIdentities.userId, user.id));
}
