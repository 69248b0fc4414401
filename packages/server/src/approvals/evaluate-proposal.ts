import {
  findAction,
  LatchError,
  PolicyError,
  requiredSteps,
  ValidationError,
  type ActionDefinition,
  type ApprovalPolicy,
  type Json,
  type PolicyHistory,
  type RequiredStep,
} from '@latch/core';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { CaseRow } from '../cases/case-access.js';
import { describeErrors } from '../cases/fields.js';
import { payloadOf } from './payload.js';

export interface Proposal {
  readonly plugin: string;
  readonly action: string;
  readonly input: Record<string, unknown>;
}

export interface Evaluation {
  readonly definition: ActionDefinition;
  readonly input: Record<string, Json>;
  readonly payload: { canonical: string; hash: string };
  readonly policy: ApprovalPolicy | undefined;
  readonly steps: RequiredStep[];
  /** Set when a policy condition could not be evaluated: every step is then required (fail closed). */
  readonly policyError?: string;
  /** The `history` the policy saw (policies/gather-history.ts), recorded with the action. */
  readonly history?: PolicyHistory;
}

/**
 * Checks a proposal against the case's type (at the version the case runs under) and works out
 * what approval it needs. Writes nothing: proposing and simulating share it.
 */
export function evaluateProposal(registry: CaseTypeRegistry, target: CaseRow, proposal: Proposal, history?: PolicyHistory): Evaluation {
  const type = registry.get(target.typeKey, target.typeVersion);
  const definition = findAction(type.definition, proposal.plugin, proposal.action);
  if (!definition) {
    const allowed = (type.definition.actions ?? []).map((a) => `${a.plugin}.${a.action}`);
    throw new LatchError('ACTION_NOT_ALLOWED', `Case type '${type.definition.key}' v${type.definition.version} does not allow ${proposal.plugin}.${proposal.action}`, { allowed });
  }
  const validate = type.validateInput.get(`${proposal.plugin}.${proposal.action}`)!;
  const input = structuredClone(proposal.input);
  if (!validate(input)) {
    throw new ValidationError(`The input does not match ${proposal.plugin}.${proposal.action}`, { errors: describeErrors(validate.errors ?? []) });
  }
  const policy = type.definition.policies?.find((p) => p.key === definition.policy);
  const payload = payloadOf(target.id, proposal.plugin, proposal.action, input as Json);
  if (!policy) return { definition, input: input as Record<string, Json>, payload, policy, steps: [] };
  const context = {
    input,
    case: { type: target.typeKey, status: target.status, priority: target.priority, queue: target.queue, fields: target.fields as Record<string, unknown> },
    action: { plugin: proposal.plugin, action: proposal.action },
    ...(history ? { history } : {}),
  };
  const facts = history ? { history } : {};
  try {
    return { definition, input: input as Record<string, Json>, payload, policy, steps: requiredSteps(policy, context), ...facts };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    const all = requiredSteps({ ...policy, steps: policy.steps.map(({ when: _when, ...step }) => step) }, context);
    return { definition, input: input as Record<string, Json>, payload, policy, steps: all, policyError: error.message, ...facts };
  }
}
