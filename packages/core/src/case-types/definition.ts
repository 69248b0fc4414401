import { InvalidTransitionError } from '../errors.js';
import type { ApprovalPolicy } from '../policy/policy.js';
import type { ChecklistItem } from './checklist.js';
import type { EscalationRule } from './escalations.js';
import type { RevokeDefinition } from './scheduled-revoke.js';

export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Sort rank of a priority: urgent first. */
export function priorityRank(priority: Priority): number {
  return PRIORITIES.indexOf(priority);
}

export interface StatusDefinition {
  readonly key: string;
  readonly name: string;
  /** A final status ends the work on the case (resolved, closed, rejected). */
  readonly final?: boolean;
}

export interface TransitionDefinition {
  readonly from: string;
  readonly to: readonly string[];
}

/** An action the case type allows to be proposed, until plugins declare their own. */
export interface ActionDefinition {
  readonly plugin: string;
  readonly action: string;
  readonly name: string;
  /** JSON Schema of the input; `x-personal: true` marks personal data, as in fields. */
  readonly input: Record<string, unknown>;
  /** Key of the approval policy that governs it; absent means no approval is needed. */
  readonly policy?: string;
  /** A time-bounded action: undone by the system when its duration is up (scheduled-revoke.ts). */
  readonly revokeAfter?: RevokeDefinition;
}

/**
 * A case type, as declared in a versioned file under LATCH_CONFIG_DIR/case-types. A case records the
 * (key, version) it was created under and keeps running under it when a newer version appears.
 */
export interface CaseTypeDefinition {
  readonly key: string;
  readonly version: number;
  readonly name: string;
  readonly description?: string;
  /** JSON Schema (draft 2020-12 subset Ajv understands) for the case's typed fields. */
  readonly fields: Record<string, unknown>;
  readonly statuses: readonly StatusDefinition[];
  readonly initialStatus: string;
  readonly transitions: readonly TransitionDefinition[];
  readonly defaultQueue: string;
  readonly defaultPriority: Priority;
  /** ISO 8601 duration (e.g. PT48H) within which a case should reach a final status. */
  readonly resolveWithin?: string;
  readonly actions?: readonly ActionDefinition[];
  readonly policies?: readonly ApprovalPolicy[];
  /** Rules that act on open cases as time passes (escalations.ts); each fires once per case and due time. */
  readonly escalations?: readonly EscalationRule[];
  /** Steps a person confirms by hand, some required before named actions (checklist.ts). */
  readonly checklist?: readonly ChecklistItem[];
}

/** The action definition for `plugin.action` on this case type, if it allows one. */
export function findAction(definition: CaseTypeDefinition, plugin: string, action: string): ActionDefinition | undefined {
  return definition.actions?.find((a) => a.plugin === plugin && a.action === action);
}

/** The statuses a case may move to from `from`. */
export function allowedTransitions(definition: CaseTypeDefinition, from: string): readonly string[] {
  return definition.transitions.filter((t) => t.from === from).flatMap((t) => t.to);
}

/** Throws INVALID_TRANSITION unless the case type allows `from → to`. */
export function assertTransition(definition: CaseTypeDefinition, from: string, to: string): void {
  const allowed = allowedTransitions(definition, from);
  if (!allowed.includes(to)) throw new InvalidTransitionError(from, to, allowed);
}

/** Field names the case type marks as personal data (`x-personal: true`). */
export function personalFields(definition: CaseTypeDefinition): ReadonlySet<string> {
  return personalProperties(definition.fields);
}

/** Top-level properties an object schema marks as personal data (`x-personal: true`). */
export function personalProperties(schema: Record<string, unknown>): ReadonlySet<string> {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return new Set(Object.entries(properties).filter(([, schema]) => schema['x-personal'] === true).map(([name]) => name));
}

/** Checks the parts of a definition a JSON Schema can't: references between statuses and transitions. */
export function definitionProblems(definition: CaseTypeDefinition): string[] {
  const problems: string[] = [];
  const keys = new Set(definition.statuses.map((s) => s.key));
  if (keys.size !== definition.statuses.length) problems.push('status keys must be unique');
  if (!keys.has(definition.initialStatus)) problems.push(`initialStatus '${definition.initialStatus}' is not a declared status`);
  for (const transition of definition.transitions) {
    for (const status of [transition.from, ...transition.to]) {
      if (!keys.has(status)) problems.push(`transition refers to unknown status '${status}'`);
    }
  }
  const policies = new Set((definition.policies ?? []).map((p) => p.key));
  if (policies.size !== (definition.policies ?? []).length) problems.push('policy keys must be unique');
  for (const action of definition.actions ?? []) {
    if (action.policy !== undefined && !policies.has(action.policy)) problems.push(`action ${action.plugin}.${action.action} refers to unknown policy '${action.policy}'`);
  }
  return problems;
}

/** Parses an ISO 8601 duration of days, hours, minutes and seconds (P2D, PT48H, P1DT12H30M, PT30S) into milliseconds. */
export function durationMillis(iso: string): number | undefined {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!match || iso === 'P' || iso.endsWith('T')) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}
