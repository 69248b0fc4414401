import { describeRequirements, formatAmount, PolicyError, requiredSteps, type RequiredStep } from '@latch/core';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import { presentStep } from '../approvals/present-action.js';
import type { CaseRow } from '../cases/case-access.js';
import type { Queryable } from '../db/database.js';
import { gatherHistory } from '../policies/gather-history.js';

/** What one action the type allows would require, for this case's fields. */
export interface ApplicableRule {
  readonly plugin: string;
  readonly action: string;
  readonly name: string;
  /** The input as the case's fields prefill it (the operator completes it when proposing). */
  readonly input: Record<string, unknown>;
  readonly amount: string | null;
  readonly policy: { readonly key: string; readonly version: number } | null;
  readonly steps: ReturnType<typeof presentStep>[];
  /** "refund USD 600.00: 1 approval by role refund_approver, not the proposer, within 48 h". */
  readonly summary: string;
  /** A condition could not be read from what the case holds: every step counts (the policy fails closed). */
  readonly failedClosed: boolean;
}

/**
 * The rule that will apply: for a case type (the suggested one) and the case's fields, each action
 * the type allows and what the policy would require, by the same evaluation a proposal gets
 * (policy conditions, earlier actions' history). Reads only.
 */
export async function rulesThatApply(db: Queryable, registry: CaseTypeRegistry, row: CaseRow, typeKey: string, proposedBy: string): Promise<ApplicableRule[]> {
  const definition = registry.latest(typeKey).definition;
  const target: CaseRow = { ...row, typeKey: definition.key, typeVersion: definition.version };
  const fields = row.fields as Record<string, unknown>;
  const rules: ApplicableRule[] = [];
  for (const action of definition.actions ?? []) {
    const properties = Object.keys((action.input.properties ?? {}) as Record<string, unknown>);
    const input = Object.fromEntries(properties.filter((name) => fields[name] !== undefined).map((name) => [name, fields[name]]));
    const policy = definition.policies?.find((p) => p.key === action.policy);
    const amount = typeof input.amount_minor === 'number' && typeof input.currency === 'string' ? (formatAmount(input.amount_minor, input.currency) ?? null) : null;
    let steps: RequiredStep[] = [];
    let failedClosed = false;
    if (policy) {
      const history = await gatherHistory(db, registry, target, { plugin: action.plugin, action: action.action, input }, { proposedBy });
      const context = {
        input,
        case: { type: definition.key, status: row.status, priority: row.priority, queue: row.queue, fields },
        action: { plugin: action.plugin, action: action.action },
        ...(history ? { history } : {}),
      };
      try {
        steps = requiredSteps(policy, context);
      } catch (error) {
        if (!(error instanceof PolicyError)) throw error;
        steps = requiredSteps({ ...policy, steps: policy.steps.map(({ when: _when, ...step }) => step) }, context);
        failedClosed = true;
      }
    }
    const label = `${action.action}${amount ? ` ${amount}` : ''}`;
    rules.push({
      plugin: action.plugin,
      action: action.action,
      name: action.name,
      input,
      amount,
      policy: policy ? { key: policy.key, version: policy.version } : null,
      steps: steps.map(presentStep),
      summary: `${label}: ${describeRequirements(steps)}${failedClosed ? ' (the case does not hold everything the policy reads, so every step is counted)' : ''}`,
      failedClosed,
    });
  }
  return rules;
}
