import { durationMillis } from '../case-types/definition.js';
import type { ApprovalPolicy, HistoryTotals, PolicyHistory } from './policy.js';

/**
 * Statuses of an earlier action that count towards `history`: everything that is paying or may
 * still pay. A failed action counts too: it can be retried by hand without a new proposal, and a
 * failure may have taken effect. Denied, voided, expired and cancelled actions never ran.
 */
export const HISTORY_STATUSES: readonly string[] = ['awaiting_approval', 'approved', 'queued', 'running', 'succeeded', 'failed'];

/** A policy's history settings with the defaults filled in. */
export interface ResolvedHistorySettings {
  readonly window: string;
  readonly windowMs: number;
  readonly amount: string;
  readonly currency: string;
  readonly match: readonly string[];
}

/** An earlier action as the server found it: what `history` is computed from. */
export interface EarlierAction {
  readonly caseId: string;
  readonly proposedBy: string;
  readonly createdAt: Date;
  readonly input: unknown;
}

/** The action being proposed, as `history` sees it. */
export interface CurrentAction {
  readonly caseId: string;
  readonly proposedBy: string;
  readonly at: Date;
  readonly input: unknown;
}

const DEFAULT_WINDOW = 'P30D';
const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The settings a policy declares, or the defaults (P30D, amount_minor, currency, no match fields). */
export function historySettings(policy: ApprovalPolicy): ResolvedHistorySettings {
  const window = policy.history?.window ?? DEFAULT_WINDOW;
  return {
    window,
    windowMs: durationMillis(window) ?? 0,
    amount: policy.history?.amount ?? 'amount_minor',
    currency: policy.history?.currency ?? 'currency',
    match: policy.history?.match ?? [],
  };
}

/** Lists what is wrong with a policy's history settings. */
export function historyProblems(policy: ApprovalPolicy): string[] {
  if (policy.history === undefined) return [];
  const settings = historySettings(policy);
  const problems: string[] = [];
  if (!settings.windowMs) problems.push(`history.window '${settings.window}' is not a positive ISO 8601 duration such as P30D`);
  for (const field of [settings.amount, settings.currency, ...settings.match]) {
    if (!FIELD.test(field)) problems.push(`history names '${field}', which is not an input field name`);
  }
  return problems;
}

/** Whether any condition of the policy reads `history` (the server gathers it only then). */
export function readsHistory(policy: ApprovalPolicy): boolean {
  return policy.steps.some((step) => step.when !== undefined && /\bhistory\b/.test(step.when));
}

/** The values of the match fields this action names, as `[field, value]` pairs (strings and integers only). */
export function matchValues(settings: ResolvedHistorySettings, input: unknown): [string, string][] {
  return settings.match.flatMap((field) => {
    const value = fieldOf(input, field);
    return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)) ? [[field, String(value)] as [string, string]] : [];
  });
}

/**
 * Totals the earlier actions into the `history` variable. Only actions in the current action's
 * currency are counted or summed (amounts in different currencies don't add up); an amount that
 * is not an integer counts but adds nothing. `sameCase` looks at the case's whole life,
 * `samePayment` and `sameRequester` at the window before `current.at`.
 */
export function totalHistory(settings: ResolvedHistorySettings, current: CurrentAction, earlier: readonly EarlierAction[]): PolicyHistory {
  const currency = fieldOf(current.input, settings.currency);
  const since = current.at.getTime() - settings.windowMs;
  const matches = matchValues(settings, current.input);
  const sameCase = new Totals();
  const samePayment = new Totals();
  const sameRequester = new Totals();
  for (const action of earlier) {
    if (fieldOf(action.input, settings.currency) !== currency) continue;
    const amount = fieldOf(action.input, settings.amount);
    const add = typeof amount === 'number' && Number.isInteger(amount) ? amount : 0;
    if (action.caseId === current.caseId) sameCase.add(add);
    if (action.createdAt.getTime() < since) continue;
    const theirs = matchValues(settings, action.input);
    if (matches.some(([field, value]) => theirs.some(([f, v]) => f === field && v === value))) samePayment.add(add);
    if (action.proposedBy === current.proposedBy) sameRequester.add(add);
  }
  return { sameCase: sameCase.value(), samePayment: samePayment.value(), sameRequester: sameRequester.value() };
}

class Totals {
  private sum = 0;
  private count = 0;

  add(amount: number): void {
    this.sum += amount;
    this.count += 1;
  }

  value(): HistoryTotals {
    return { sum: this.sum, count: this.count };
  }
}

function fieldOf(input: unknown, field: string): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  return Object.hasOwn(input, field) ? (input as Record<string, unknown>)[field] : undefined;
}
