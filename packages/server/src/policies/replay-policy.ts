import { checkPolicy, PolicyError, readsHistory, requiredSteps, ValidationError, type ApprovalPolicy, type PolicyContext, type PolicyHistory, type RequiredStep } from '@latch/core';
import { and, asc, eq, gte, inArray } from 'drizzle-orm';
import { parse as parseYaml } from 'yaml';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { caseTypeFileSchema } from '../case-types/definition-schema.js';
import type { Db } from '../db/database.js';
import { actionRequests, cases, events } from '../db/schema.js';
import { compileOnFirstUse } from '../http/ajv.js';

const DAY_MS = 86_400_000;
const validatePolicy = compileOnFirstUse(caseTypeFileSchema.properties.policies.items);

export interface ReplayRequest {
  readonly caseType: string;
  /** The new policy version: YAML or JSON text, or the object itself. */
  readonly policy: string | Record<string, unknown>;
  readonly days: number;
}

/** How the new version compares for one action: total approvals needed (a step needing 2 counts 2). */
export type Change = 'more' | 'fewer' | 'same' | 'unknown';

export interface ReplayedAction {
  readonly actionId: string;
  readonly caseId: string;
  readonly plugin: string;
  readonly action: string;
  readonly status: string;
  readonly proposedAt: string;
  readonly old: { readonly policyVersion: number | null; readonly approvals: number; readonly steps: string[] };
  readonly new: { readonly approvals: number | null; readonly steps: string[] | null; readonly error?: string };
  readonly change: Change;
  /** Whether the `history` the action was proposed with is on its record (actions before refund v5 have none). */
  readonly historyRecorded: boolean;
}

export interface ReplayReport {
  readonly caseType: string;
  readonly policy: { readonly key: string; readonly version: number };
  readonly days: number;
  readonly since: string;
  readonly totals: Record<Change, number> & { readonly actions: number };
  readonly actions: ReplayedAction[];
}

/**
 * Evaluates a new version of a policy against the actions proposed under it in the last `days`
 * days, each with its input now, its case's fields now, and the `history` recorded when it was
 * proposed (or last edited). Reads only. An action whose new evaluation needs `history` it did not
 * record is `unknown`; a condition that fails otherwise requires every step, as proposing would.
 */
export async function replayPolicy(db: Db, registry: CaseTypeRegistry, request: ReplayRequest, now = new Date()): Promise<ReplayReport> {
  const policy = parsePolicy(request.policy);
  const versions = registry.list().filter((t) => t.definition.key === request.caseType);
  if (versions.length === 0) throw new ValidationError(`Case type '${request.caseType}' is not defined`, { caseType: request.caseType });
  if (!versions.some((t) => t.definition.policies?.some((p) => p.key === policy.key))) {
    const known = [...new Set(versions.flatMap((t) => (t.definition.policies ?? []).map((p) => p.key)))];
    throw new ValidationError(`Case type '${request.caseType}' has no policy '${policy.key}'`, { policies: known });
  }
  const since = new Date(now.getTime() - request.days * DAY_MS);
  const rows = await db
    .select({ action: actionRequests, case: cases })
    .from(actionRequests)
    .innerJoin(cases, eq(cases.id, actionRequests.caseId))
    .where(and(eq(cases.typeKey, request.caseType), eq(actionRequests.policyKey, policy.key), gte(actionRequests.createdAt, since)))
    .orderBy(asc(actionRequests.id));
  const recorded = await recordedHistory(db, [...new Set(rows.map((r) => r.case.id))]);
  const actions = rows.map(({ action, case: target }) => {
    const history = recorded.get(action.id);
    const context: PolicyContext = {
      input: action.input,
      case: { type: target.typeKey, status: target.status, priority: target.priority, queue: target.queue, fields: target.fields },
      action: { plugin: action.plugin, action: action.action },
      ...(history ? { history } : {}),
    };
    const oldSteps = action.steps as RequiredStep[];
    const old = { policyVersion: action.policyVersion, approvals: approvalsOf(oldSteps), steps: oldSteps.map((s) => s.name) };
    const replayed = evaluate(policy, context, history !== undefined);
    const change: Change = replayed.approvals === null ? 'unknown' : replayed.approvals > old.approvals ? 'more' : replayed.approvals < old.approvals ? 'fewer' : 'same';
    return {
      actionId: action.id,
      caseId: target.id,
      plugin: action.plugin,
      action: action.action,
      status: action.status,
      proposedAt: action.createdAt.toISOString(),
      old,
      new: replayed,
      change,
      historyRecorded: history !== undefined,
    };
  });
  const count = (change: Change) => actions.filter((a) => a.change === change).length;
  return {
    caseType: request.caseType,
    policy: { key: policy.key, version: policy.version },
    days: request.days,
    since: since.toISOString(),
    totals: { actions: actions.length, more: count('more'), fewer: count('fewer'), same: count('same'), unknown: count('unknown') },
    actions,
  };
}

function evaluate(policy: ApprovalPolicy, context: PolicyContext, hasHistory: boolean): ReplayedAction['new'] {
  try {
    const steps = requiredSteps(policy, context);
    return { approvals: approvalsOf(steps), steps: steps.map((s) => s.name) };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    if (!hasHistory && readsHistory(policy)) return { approvals: null, steps: null, error: 'the action was proposed before its history was recorded' };
    const all = policy.steps.map((step) => ({ name: step.name, count: step.count ?? 1 }));
    return { approvals: all.reduce((sum, s) => sum + s.count, 0), steps: all.map((s) => s.name), error: error.message };
  }
}

const approvalsOf = (steps: readonly { count: number }[]) => steps.reduce((sum, step) => sum + step.count, 0);

/** The policy from YAML, JSON or an object, checked as the case type loader checks it. */
function parsePolicy(source: ReplayRequest['policy']): ApprovalPolicy {
  let value: unknown = source;
  if (typeof source === 'string') {
    try {
      value = parseYaml(source, { maxAliasCount: 0 });
    } catch (error) {
      throw new ValidationError(`The policy is not YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  // A whole case type file, or a file with one policy under `policies:`, is accepted too.
  const policies = (value as { policies?: unknown } | null)?.policies;
  if (Array.isArray(policies)) {
    if (policies.length !== 1) throw new ValidationError(`Give one policy to replay, not ${policies.length}`);
    value = policies[0];
  }
  if (!validatePolicy(value)) {
    throw new ValidationError('The policy does not match the policy format', { errors: (validatePolicy.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim()) });
  }
  const policy = value as unknown as ApprovalPolicy;
  const problems = checkPolicy(policy);
  if (problems.length > 0) throw new ValidationError(`The policy has ${problems.length} problem(s)`, { errors: problems });
  return policy;
}

/** The newest `history` each action was evaluated with (action.proposed, then action.updated on edits). */
async function recordedHistory(db: Db, caseIds: string[]): Promise<Map<string, PolicyHistory>> {
  const found = new Map<string, PolicyHistory>();
  if (caseIds.length === 0) return found;
  const rows = await db
    .select({ bytes: events.bytes })
    .from(events)
    .where(and(inArray(events.stream, caseIds), inArray(events.kind, ['action.proposed', 'action.updated'])))
    .orderBy(asc(events.stream), asc(events.seq));
  for (const row of rows) {
    const data = (JSON.parse(row.bytes) as { data?: { actionId?: unknown; history?: PolicyHistory } }).data;
    if (typeof data?.actionId !== 'string') continue;
    if (data.history) found.set(data.actionId, data.history);
    else found.delete(data.actionId);
  }
  return found;
}
