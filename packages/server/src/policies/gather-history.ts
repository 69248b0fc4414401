import { createHash } from 'node:crypto';
import { findAction, HISTORY_STATUSES, historySettings, matchValues, readsHistory, totalHistory, type PolicyHistory } from '@latch/core';
import { and, eq, gte, inArray, ne, or, sql, type SQL } from 'drizzle-orm';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { CaseRow } from '../cases/case-access.js';
import type { Db } from '../db/database.js';
import { actionRequests } from '../db/schema.js';
import type { Proposal } from '../approvals/evaluate-proposal.js';

export interface HistoryRequest {
  /** Who proposes (a token's user for a token): `sameRequester` is theirs. */
  readonly proposedBy: string;
  /** An action already on record being evaluated again (an edit): it is not its own history. */
  readonly excludeActionId?: string;
  /** Serialize proposals sharing a payment or a requester until commit (proposing; not simulating). */
  readonly lock?: boolean;
}

/**
 * The `history` variable for a proposal, when its policy's conditions read it (undefined otherwise).
 * `sameCase` is safe against concurrent proposals because the caller holds the case row; proposals
 * on other cases are serialized with transaction-scoped advisory locks on the requester and on each
 * payment value, taken in a fixed order so two proposals can't deadlock.
 */
export async function gatherHistory(tx: Db, registry: CaseTypeRegistry, target: CaseRow, proposal: Proposal, request: HistoryRequest): Promise<PolicyHistory | undefined> {
  const definition = registry.get(target.typeKey, target.typeVersion).definition;
  const action = findAction(definition, proposal.plugin, proposal.action);
  const policy = definition.policies?.find((p) => p.key === action?.policy);
  if (!policy || !readsHistory(policy)) return undefined;
  const settings = historySettings(policy);
  const at = new Date();
  const matches = matchValues(settings, proposal.input);
  if (request.lock) {
    const keys = [`requester:${request.proposedBy}`, ...matches.map(([field, value]) => `payment:${proposal.plugin}.${proposal.action}:${field}=${value}`)].sort();
    for (const key of keys) await tx.execute(sql`select pg_advisory_xact_lock(${lockId(key)}::bigint)`);
  }
  const since = new Date(at.getTime() - settings.windowMs);
  const related: SQL[] = [eq(actionRequests.caseId, target.id)];
  const recent: SQL[] = [eq(actionRequests.proposedBy, request.proposedBy), ...matches.map(([field, value]) => sql`${actionRequests.input} ->> ${field} = ${value}`)];
  related.push(and(gte(actionRequests.createdAt, since), or(...recent))!);
  const rows = await tx
    .select({ caseId: actionRequests.caseId, proposedBy: actionRequests.proposedBy, createdAt: actionRequests.createdAt, input: actionRequests.input })
    .from(actionRequests)
    .where(
      and(
        eq(actionRequests.plugin, proposal.plugin),
        eq(actionRequests.action, proposal.action),
        inArray(actionRequests.status, HISTORY_STATUSES),
        request.excludeActionId ? ne(actionRequests.id, request.excludeActionId) : undefined,
        or(...related),
      ),
    );
  return totalHistory(settings, { caseId: target.id, proposedBy: request.proposedBy, at, input: proposal.input }, rows);
}

/** A 64-bit advisory lock id for a key (the first 8 bytes of its SHA-256, signed). */
function lockId(key: string): string {
  return createHash('sha256').update(`latch.policy-history:${key}`).digest().readBigInt64BE(0).toString();
}
