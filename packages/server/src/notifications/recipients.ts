import type { EventBody, RequiredStep } from '@latch/core';
import { and, arrayContains, eq, gt, inArray, isNull, lte } from 'drizzle-orm';
import type { TeamDirectory } from '../access/teams.js';
import { waitingFor } from '../approvals/waiting-for.js';
import { principalFor } from '../auth/principal.js';
import type { RoleSet } from '../roles/role-set.js';
import type { Queryable } from '../db/database.js';
import { SYSTEM_STREAM } from '../db/event-store.js';
import { actionRequests, cases, delegations, users } from '../db/schema.js';
import type { NotificationKind } from './kinds.js';
import { maySee, queueMembers, responsibleFor } from './responsible-people.js';

/** A notification to write: who, what, and what caused it (the key that makes writing it twice a no-op). */
export interface NotificationDraft {
  readonly recipientId: string;
  readonly kind: NotificationKind;
  readonly source: string;
  readonly caseId: string | null;
  readonly actionId: string | null;
  readonly deadline: Date | null;
}

export interface RecipientRules {
  readonly teams: TeamDirectory;
  /** The deployment's roles: who may decide comes from them. */
  readonly roles: RoleSet;
  readonly adminWindowDays: number;
}

/** A committed event, as the worker reads it from the log. */
export interface LoggedEvent {
  readonly id: string;
  readonly stream: string;
  readonly kind: string;
  readonly body: EventBody;
}

const OUTCOMES: Readonly<Record<string, NotificationKind>> = {
  'action.approved': 'proposal_approved',
  'approval.denied': 'proposal_denied',
  'action.expired': 'proposal_expired',
  'action.succeeded': 'proposal_executed',
  'action.reconciled': 'proposal_executed',
  'action.failed': 'proposal_failed',
};

/** Events after which an action may wait for someone new: proposed, edited (a new round), a step completed. */
const WAITING = new Set(['action.proposed', 'action.updated', 'action.voided', 'approval.granted']);

/**
 * Who is told what about one committed event, decided from the database as it is now: an approval
 * already decided by the time the worker reads its proposal waits for no one, and is not announced.
 */
export async function notificationsFor(db: Queryable, event: LoggedEvent, rules: RecipientRules): Promise<NotificationDraft[]> {
  if (event.stream === SYSTEM_STREAM) return [];
  const data = (event.body.data ?? {}) as Record<string, unknown>;
  const actionId = typeof data.actionId === 'string' ? data.actionId : undefined;
  if (actionId && WAITING.has(event.kind)) return approvalWaiting(db, actionId, rules);
  const outcome = OUTCOMES[event.kind];
  if (actionId && outcome) {
    if (event.kind === 'action.approved' && data.automatic === true) return []; // the proposer just saw it happen
    if (event.kind === 'action.failed' && data.willRetry === true) return []; // not over yet
    return toProposer(db, event, actionId, outcome, rules);
  }
  if (event.kind === 'field.changed' || event.kind === 'case.created') return assigned(db, event, rules);
  if (event.kind === 'case.escalated') return escalated(db, event, rules);
  return [];
}

/** Everyone the action now waits for, directly or through a delegation: one notification per action, round and step. */
async function approvalWaiting(db: Queryable, actionId: string, rules: RecipientRules): Promise<NotificationDraft[]> {
  const [action] = await db.select().from(actionRequests).where(eq(actionRequests.id, actionId));
  if (!action || action.status !== 'awaiting_approval') return [];
  const step = (action.steps as RequiredStep[])[action.currentStep];
  if (!step) return [];
  const now = new Date();
  const conditions = [isNull(users.disabledAt)];
  if (step.role !== undefined) conditions.push(arrayContains(users.roles, [step.role]));
  if (step.team !== undefined) conditions.push(arrayContains(users.teams, [step.team]));
  const holders = await db.select().from(users).where(and(...conditions));
  const delegates = holders.length
    ? await db
        .select({ user: users })
        .from(delegations)
        .innerJoin(users, eq(users.id, delegations.toUserId))
        .where(and(inArray(delegations.fromUserId, holders.map((h) => h.id)), lte(delegations.startsAt, now), gt(delegations.endsAt, now), isNull(delegations.revokedAt), isNull(users.disabledAt)))
    : [];
  const people = new Map([...holders, ...delegates.map((d) => d.user)].map((u) => [u.id, u]));
  const drafts: NotificationDraft[] = [];
  for (const person of people.values()) {
    const principal = principalFor(person, rules.roles);
    if (!principal.permissions.has('action:decide')) continue;
    // The inbox's own rule, so a notification never announces what the inbox would not show.
    const waiting = await waitingFor(db, principal, rules.teams.visibilityOf(principal), { adminWindowDays: rules.adminWindowDays });
    if (!waiting.some((item) => item.action.id === action.id)) continue;
    drafts.push({ recipientId: person.id, kind: 'approval_waiting', source: `approval:${action.id}:${action.round}:${action.currentStep}`, caseId: action.caseId, actionId: action.id, deadline: action.expiresAt });
  }
  return drafts;
}

async function toProposer(db: Queryable, event: LoggedEvent, actionId: string, kind: NotificationKind, rules: RecipientRules): Promise<NotificationDraft[]> {
  const [action] = await db.select({ proposedBy: actionRequests.proposedBy, caseId: actionRequests.caseId }).from(actionRequests).where(eq(actionRequests.id, actionId));
  if (!action || !(await maySee(db, action.proposedBy, action.caseId, rules))) return [];
  return [{ recipientId: action.proposedBy, kind, source: `event:${event.id}`, caseId: action.caseId, actionId, deadline: null }];
}

/** A case assigned (when opened or later) to someone other than the person who assigned it. */
async function assigned(db: Queryable, event: LoggedEvent, rules: RecipientRules): Promise<NotificationDraft[]> {
  const data = event.body.data as { changes?: unknown; assigneeId?: unknown };
  const changes = (data.changes ?? []) as { field?: unknown; new?: unknown }[];
  const change = event.kind === 'case.created' ? { new: data.assigneeId } : changes.find((c) => c.field === 'assigneeId');
  const assignee = typeof change?.new === 'string' ? change.new : undefined;
  const actor = event.body.actor as { id?: string; user?: string };
  if (!assignee || assignee === actor.id || assignee === actor.user) return [];
  if (!(await maySee(db, assignee, event.stream, rules))) return [];
  return [{ recipientId: assignee, kind: 'case_assigned', source: `event:${event.id}`, caseId: event.stream, actionId: null, deadline: null }];
}

/**
 * The people an escalation rule's `notify` names, as the case is now (after the rule's own
 * reassignment): `assignee` (or, unassigned, the queue's members: someone must pick it up) and
 * `queue` (the members of the teams working its queue). Each person once per event.
 */
async function escalated(db: Queryable, event: LoggedEvent, rules: RecipientRules): Promise<NotificationDraft[]> {
  const targets = (event.body.data as { notify?: unknown }).notify;
  if (!Array.isArray(targets) || targets.length === 0) return [];
  const [found] = await db.select({ id: cases.id, queue: cases.queue, assigneeId: cases.assigneeId }).from(cases).where(eq(cases.id, event.stream));
  if (!found) return [];
  const people = new Set<string>();
  if (targets.includes('assignee')) for (const id of await responsibleFor(db, found, rules)) people.add(id);
  if (targets.includes('queue')) for (const id of await queueMembers(db, found, rules)) people.add(id);
  return [...people].map((recipientId) => ({ recipientId, kind: 'sla_escalated', source: `event:${event.id}`, caseId: found.id, actionId: null, deadline: null }));
}
