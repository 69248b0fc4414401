import { durationMillis } from '../case-types/definition.js';
import { compileCondition, evaluateCondition } from './cel.js';
import { historyProblems } from './history.js';
import { separationProblems, separationRulesOf } from './separation.js';
import { PolicyError, type ApprovalPolicy, type ApprovalStep, type PolicyContext, type RequiredStep } from './policy.js';

const DEFAULT_EXPIRES_IN = 'P7D';

/** Lists what is wrong with a policy (empty when it is usable): approvers, counts, durations, conditions. */
export function checkPolicy(policy: ApprovalPolicy): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(policy.version) || policy.version < 1) problems.push('version must be an integer >= 1');
  problems.push(...historyProblems(policy));
  const names = new Set<string>();
  policy.steps.forEach((step, index) => {
    const label = `step ${index + 1} '${step.name}'`;
    if (names.has(step.name)) problems.push(`${label}: step names must be unique`);
    names.add(step.name);
    problems.push(...stepProblems(step).map((problem) => `${label}: ${problem}`));
    if (step.when === undefined) return;
    try {
      compileCondition(step.when);
    } catch (error) {
      problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return problems;
}

/**
 * The steps whose `when` holds for this action, in order and with defaults applied; empty means no approval is needed.
 * Throws PolicyError when a condition fails to evaluate or an applicable step is malformed (callers should refuse the action).
 */
export function requiredSteps(policy: ApprovalPolicy, context: PolicyContext): RequiredStep[] {
  const required: RequiredStep[] = [];
  policy.steps.forEach((step, index) => {
    if (step.when !== undefined && !evaluateCondition(compileCondition(step.when), context)) return;
    const [problem] = stepProblems(step);
    if (problem !== undefined) throw new PolicyError(`Policy '${policy.key}' step '${step.name}': ${problem}`);
    required.push({
      index,
      name: step.name,
      ...(step.role !== undefined ? { role: step.role } : { team: step.team }),
      count: step.count ?? 1,
      expiresInMs: expiresInMs(step) ?? 0,
      allowTokens: step.allowTokens ?? [],
      ...withSeparation(step),
    });
  });
  return required;
}

function stepProblems(step: ApprovalStep): string[] {
  const problems: string[] = [];
  if ((step.role === undefined) === (step.team === undefined)) problems.push('name exactly one of role or team');
  const count = step.count ?? 1;
  if (!Number.isInteger(count) || count < 1) problems.push(`count must be an integer >= 1, not ${count}`);
  if (!expiresInMs(step)) problems.push(`expiresIn '${step.expiresIn}' is not a positive ISO 8601 duration such as PT48H or P2D`);
  problems.push(...separationProblems(step.separation));
  return problems;
}

function withSeparation(step: ApprovalStep): { separation?: RequiredStep['separation'] } {
  const separation = separationRulesOf(step.separation);
  return separation ? { separation } : {};
}

function expiresInMs(step: ApprovalStep): number | undefined {
  return durationMillis(step.expiresIn ?? DEFAULT_EXPIRES_IN);
}
