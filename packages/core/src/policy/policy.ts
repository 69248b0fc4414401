import type { SeparationDeclaration, SeparationRules } from './separation.js';

/** One step of an approval policy, as declared in a case type's YAML. */
export interface ApprovalStep {
  readonly name: string;
  /** CEL condition; the step applies only when it is true. Absent = always applies. */
  readonly when?: string;
  /** Who may approve: a role, or a team (exactly one of the two). */
  readonly role?: string;
  readonly team?: string;
  /** How many distinct approvers this step needs (N of M). Default 1. */
  readonly count?: number;
  /** ISO 8601 duration (PT48H, P2D) the step may wait once it becomes active. Default P7D. */
  readonly expiresIn?: string;
  /** API token ids that may approve this step (tokens never approve otherwise). */
  readonly allowTokens?: readonly string[];
  /** Separation-of-duties rules this step adds to the engine's own (separation.ts). */
  readonly separation?: readonly SeparationDeclaration[];
}

/** A named, versioned, ordered list of approval steps. */
export interface ApprovalPolicy {
  /** e.g. refund_threshold */
  readonly key: string;
  /** Recorded with every decision. */
  readonly version: number;
  /** What the `history` variable sums and how far back it looks (policy/history.ts); defaults apply when absent. */
  readonly history?: HistorySettings;
  readonly steps: readonly ApprovalStep[];
}

/** How a policy's `history` variable is computed. */
export interface HistorySettings {
  /** ISO 8601 duration that `samePayment` and `sameRequester` look back over. Default P30D. */
  readonly window?: string;
  /** The input field summed (integer, minor units). Default amount_minor. */
  readonly amount?: string;
  /** The input field naming the currency: only earlier actions in this action's currency count. Default currency. */
  readonly currency?: string;
  /** Input fields naming the payment or counterparty: an earlier action sharing any one is `samePayment`. */
  readonly match?: readonly string[];
}

/** The sum of the amounts, and the number, of earlier actions that count (policy/history.ts). */
export interface HistoryTotals {
  readonly sum: number;
  readonly count: number;
}

/** The `history` variable: earlier actions of the same plugin action, in the same currency, computed by the server. */
export interface PolicyHistory {
  /** Every earlier action on this case. */
  readonly sameCase: HistoryTotals;
  /** Earlier actions on any case sharing a `match` field value with this one, within the window. */
  readonly samePayment: HistoryTotals;
  /** Earlier actions on any case proposed by the same person (or their tokens), within the window. */
  readonly sameRequester: HistoryTotals;
}

/** The variables a `when` condition can read: `input`, `case`, `action` and, when the server gathered it, `history`. */
export interface PolicyContext {
  /** The action's input (JSON). */
  readonly input: unknown;
  readonly case: {
    readonly type: string;
    readonly status: string;
    readonly priority: string;
    readonly queue: string | null;
    /** The case's typed JSON fields (usually an object). */
    readonly fields: unknown;
  };
  readonly action: { readonly plugin: string; readonly action: string };
  /** Absent when not gathered: a condition reading it then fails to evaluate. */
  readonly history?: PolicyHistory;
}

/** A step that applies to one proposed action, with defaults filled in. */
export interface RequiredStep {
  /** Position of the step in the policy's `steps`. */
  index: number;
  name: string;
  role?: string;
  team?: string;
  count: number;
  expiresInMs: number;
  allowTokens: readonly string[];
  /** Present when the step declares separation rules; actions proposed before keep none. */
  separation?: SeparationRules;
}

/** A policy condition that does not compile or cannot be evaluated. */
export class PolicyError extends Error {
  /** The offending CEL expression, if any. */
  readonly expression: string | undefined;

  constructor(message: string, expression?: string) {
    super(message);
    this.name = 'PolicyError';
    this.expression = expression;
  }
}
