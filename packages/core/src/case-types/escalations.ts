import { durationMillis, PRIORITIES, priorityRank, type Priority } from './definition.js';

/** When a rule fires: a time after the case was opened, when under a fifth of its time is left, or at its due time. */
export type EscalationTrigger = { readonly after: string } | { readonly atRisk: true } | { readonly breached: true };

/** Who a `notify` action is about; the notifications engine reads them from the `case.escalated` event. */
export const NOTIFY_TARGETS = ['assignee', 'queue'] as const;
export type NotifyTarget = (typeof NOTIFY_TARGETS)[number];

export type EscalationAction =
  | { readonly raisePriority: Priority }
  | { readonly notify: NotifyTarget }
  | { readonly reassign: { readonly queue: string } | { readonly user: string } };

/** An escalation rule of a case type: when it fires, and what it does (once per case and due time). */
export interface EscalationRule {
  readonly when: EscalationTrigger;
  readonly do: readonly EscalationAction[];
}

const ACTIONS = ['raisePriority', 'notify', 'reassign'];
const TRIGGERS = ['after', 'atRisk', 'breached'];
const QUEUE = /^[a-z][a-z0-9_-]{0,62}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const onlyKey = (value: Record<string, unknown>) => (Object.keys(value).length === 1 ? Object.keys(value)[0] : undefined);

/**
 * The problems of a case type's `escalations`, each naming its path (`escalations[1].do[0]`):
 * shape, durations, priorities, notify targets, queue names and person emails. Whether the queue
 * and the person exist is the server's to check, against teams and users.
 */
export function escalationProblems(escalations: unknown): string[] {
  if (escalations === undefined) return [];
  if (!Array.isArray(escalations)) return ['escalations must be a list of rules'];
  return escalations.flatMap((rule, index) => ruleProblems(rule, `escalations[${index}]`));
}

function ruleProblems(rule: unknown, path: string): string[] {
  if (!isObject(rule)) return [`${path} must be a rule with 'when' and 'do'`];
  const extra = Object.keys(rule).filter((key) => key !== 'when' && key !== 'do');
  const problems = extra.map((key) => `${path}: unknown key '${key}' (a rule has 'when' and 'do')`);
  problems.push(...triggerProblems(rule.when, `${path}.when`));
  if (!Array.isArray(rule.do) || rule.do.length === 0) problems.push(`${path}.do must list at least one action`);
  else problems.push(...rule.do.flatMap((action, index) => actionProblems(action, `${path}.do[${index}]`)));
  return problems;
}

function triggerProblems(when: unknown, path: string): string[] {
  const key = isObject(when) ? onlyKey(when) : undefined;
  if (!isObject(when) || key === undefined || !TRIGGERS.includes(key)) {
    return [`${path} must be exactly one of { after: <ISO 8601 duration> }, { atRisk: true }, { breached: true }`];
  }
  if (key === 'after') {
    const after = when.after;
    if (typeof after !== 'string' || durationMillis(after) === undefined) return [`${path}.after '${String(after)}' is not a duration like PT4H, P1D or PT30S`];
    return [];
  }
  return when[key] === true ? [] : [`${path}.${key} must be true`];
}

function actionProblems(action: unknown, path: string): string[] {
  const key = isObject(action) ? onlyKey(action) : undefined;
  if (!isObject(action) || key === undefined) return [`${path} must be one action: raisePriority, notify or reassign`];
  if (!ACTIONS.includes(key)) return [`${path}: unknown action '${key}' (raisePriority, notify or reassign)`];
  const value = action[key];
  if (key === 'raisePriority') {
    return PRIORITIES.includes(value as Priority) ? [] : [`${path}.raisePriority '${String(value)}' is not a priority (${PRIORITIES.join(', ')})`];
  }
  if (key === 'notify') {
    return NOTIFY_TARGETS.includes(value as NotifyTarget) ? [] : [`${path}.notify '${String(value)}' is not a target (${NOTIFY_TARGETS.join(', ')})`];
  }
  const target = isObject(value) ? onlyKey(value) : undefined;
  if (!isObject(value) || (target !== 'queue' && target !== 'user')) return [`${path}.reassign must be { queue: <queue> } or { user: <email> }`];
  if (target === 'queue' && (typeof value.queue !== 'string' || !QUEUE.test(value.queue))) return [`${path}.reassign.queue '${String(value.queue)}' is not a queue name`];
  if (target === 'user' && (typeof value.user !== 'string' || !EMAIL.test(value.user))) return [`${path}.reassign.user '${String(value.user)}' is not an email address`];
  return [];
}

/** What a case's escalations are judged by. */
export interface EscalationClock {
  readonly createdAt: Date;
  readonly dueAt: Date | null;
}

/**
 * When a rule fires for a case: `after` from its opening, `atRisk` when four fifths of its time
 * (opened → due) are gone (as `?sla=at_risk`), `breached` at its due time. Undefined when the case
 * has no due time and the rule needs one.
 */
export function escalationTime(rule: EscalationRule, clock: EscalationClock): Date | undefined {
  const created = clock.createdAt.getTime();
  if ('after' in rule.when) return new Date(created + (durationMillis(rule.when.after) ?? 0));
  if (clock.dueAt === null) return undefined;
  const due = clock.dueAt.getTime();
  if ('breached' in rule.when) return new Date(due);
  return new Date(created + Math.ceil((due - created) * 0.8));
}

/** An `atRisk` rule has passed with the due time (as `?sla=at_risk`, which excludes overdue cases): the breach rules take over. */
export function escalationLapsed(rule: EscalationRule, clock: EscalationClock, now: Date): boolean {
  return 'atRisk' in rule.when && clock.dueAt !== null && clock.dueAt.getTime() <= now.getTime();
}

/** The trigger's name as recorded on the `case.escalated` event. */
export function triggerName(when: EscalationTrigger): 'after' | 'atRisk' | 'breached' {
  return 'after' in when ? 'after' : 'atRisk' in when ? 'atRisk' : 'breached';
}

/** `to` when it is more urgent than `current`; escalation never lowers a priority. */
export function raisedPriority(current: Priority, to: Priority): Priority {
  return priorityRank(to) < priorityRank(current) ? to : current;
}
