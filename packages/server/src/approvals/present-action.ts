import { describeRequirements, type RequiredStep } from '@latch/core';
import { blockOf, type PluginDirectory } from '../plugin-host/plugin-availability.js';
import type { ActionRow, DecisionRow } from './action-access.js';

/**
 * What a reviewer needs to decide: the exact payload and its hash, what is required, what is done,
 * and, once approved, what keeps it from running (`plugins` undefined: none configured).
 */
export function presentAction(action: ActionRow, plugins: PluginDirectory | undefined, decisions: readonly DecisionRow[] = []) {
  const steps = action.steps as RequiredStep[];
  return {
    id: action.id,
    caseId: action.caseId,
    plugin: action.plugin,
    action: action.action,
    input: action.input as Record<string, unknown>,
    payloadHash: action.payloadHash,
    status: action.status,
    proposedBy: action.proposedBy,
    policy: action.policyKey ? { key: action.policyKey, version: action.policyVersion } : null,
    requirements: { steps: steps.map(presentStep), summary: describeRequirements(steps) },
    currentStep: action.status === 'awaiting_approval' ? action.currentStep : null,
    expiresAt: action.expiresAt?.toISOString() ?? null,
    execution: action.execution,
    attempts: action.attempts,
    result: action.result ?? null,
    blockedBy: blockOf(plugins, action),
    decisions: decisions.map((d) => ({
      id: d.id,
      step: d.stepIndex,
      decision: d.decision,
      decidedBy: d.decidedBy,
      onBehalfOf: d.onBehalfOf,
      payloadHash: d.payloadHash,
      policyVersion: d.policyVersion,
      reason: d.reason,
      at: d.createdAt.toISOString(),
    })),
    version: action.version,
    createdAt: action.createdAt.toISOString(),
    updatedAt: action.updatedAt.toISOString(),
  };
}

export function presentStep(step: RequiredStep) {
  return {
    index: step.index,
    name: step.name,
    ...(step.role !== undefined ? { role: step.role } : {}),
    ...(step.team !== undefined ? { team: step.team } : {}),
    count: step.count,
    expiresInMs: step.expiresInMs,
    ...(step.separation ? { separation: step.separation } : {}),
  };
}
