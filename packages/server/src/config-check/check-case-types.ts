import { canonicalJson, checkPolicy, compileCondition, durationMillis, escalationProblems, sha256Hex, unknownSeparationFields, type ApprovalPolicy, type CaseTypeDefinition } from '@latch/core';
import type { ErrorObject } from 'ajv';
import { compileCaseType, type CaseType } from '../case-types/registry.js';
import { caseTypeFileSchema } from '../case-types/definition-schema.js';
import { compileOnFirstUse, newAjv } from '../http/ajv.js';
import { conditionTypeProblems, conditionVariables } from './cel-types.js';
import type { ConfigProblem, Severity } from './problem.js';
import { pointerOf, pointerPath, type DocPath, type YamlSource } from './yaml-source.js';

/** A case type file that passed the checks the loader makes, with what later checks need. */
export interface CheckedCaseType {
  readonly definition: CaseTypeDefinition;
  readonly digest: string;
  readonly source: YamlSource;
  /** The loader's compiled case type, when the file has no error. */
  readonly compiled?: CaseType;
  /** Whether it is the highest version of its key in the directory (older versions only warn about what can't be fixed any more). */
  newest: boolean;
}

/** What the other files say, for checks across files. */
export interface Surroundings {
  readonly roles: ReadonlySet<string> | undefined;
  readonly rolesFile: string;
  /** Teams declared in teams.yaml; undefined without the file (any team works its own queue). */
  readonly teams: ReadonlySet<string> | undefined;
  /** Actions offered per configured plugin; undefined without plugins.yaml (proposals are then allowed and wait). */
  readonly plugins: ReadonlyMap<string, ReadonlySet<string> | undefined> | undefined;
}

const ajv = newAjv();
const validateFile = compileOnFirstUse(caseTypeFileSchema, () => ajv);

/** Checks one case type file as the loader would (schema, statuses, policies), reporting each problem where it is. */
export function checkCaseTypeFile(source: YamlSource): { problems: ConfigProblem[]; checked?: CheckedCaseType } {
  const problems: ConfigProblem[] = [...source.problems];
  if (problems.length > 0) return { problems };
  const raw = source.value;
  if (!validateFile(raw)) {
    for (const error of validateFile.errors ?? []) problems.push(schemaProblem(source, error));
    return { problems };
  }
  const definition = raw as unknown as CaseTypeDefinition;
  const error = (path: DocPath, code: string, message: string, hint?: string) => problems.push(source.at(path, 'error', code, message, hint));
  checkSchemas(definition, error);
  checkStatuses(definition, error);
  if (definition.resolveWithin !== undefined && durationMillis(definition.resolveWithin) === undefined) {
    error(['resolveWithin'], 'CASE_TYPE_SCHEMA', `resolveWithin '${definition.resolveWithin}' is not a duration`, 'write an ISO 8601 duration such as PT48H or P2D');
  }
  checkPolicies(definition, error);
  for (const message of escalationProblems(definition.escalations)) {
    const index = /escalations\[(\d+)\]/.exec(message)?.[1];
    error(index === undefined ? ['escalations'] : ['escalations', Number(index)], 'ESCALATION_INVALID', message, 'see README "SLA escalations" for the rule format');
  }
  let compiled: CaseType | undefined;
  if (problems.length === 0) {
    // Whatever else the loader refuses (checks added there later) is refused here too, never passed;
    // and what it compiles is what a start or a reload then loads, so the work is done once.
    try {
      compiled = compileCaseType(structuredClone(raw), source.file);
    } catch (failure) {
      error([], 'CASE_TYPE_INVALID', (failure as Error).message.replace(`${source.file}: `, ''));
    }
  }
  let digest = '';
  try {
    digest = sha256Hex(canonicalJson(definition));
  } catch (failure) {
    error([], 'CASE_TYPE_INVALID', (failure as Error).message, 'amounts and limits are whole numbers');
  }
  // Its shape is right, so the checks across files still run and report what else is wrong.
  return { problems, checked: { definition, digest, source, newest: true, ...(compiled ? { compiled } : {}) } };
}

function schemaProblem(source: YamlSource, error: ErrorObject): ConfigProblem {
  const path = pointerPath(error.instancePath);
  const extra = (error.params as { additionalProperty?: string }).additionalProperty;
  if (extra !== undefined) {
    return source.at([...path, extra], 'error', 'CASE_TYPE_SCHEMA', `${pointerOf([...path, extra])} is not a known setting here`, 'remove it or check its spelling', { key: true });
  }
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  const message = `${pointerOf(path)} ${error.message ?? 'is invalid'}${allowed ? ` (${allowed.join(', ')})` : ''}`;
  return source.at(path, 'error', 'CASE_TYPE_SCHEMA', message, 'see README "Case types" for the file format');
}

type Report = (path: DocPath, code: string, message: string, hint?: string) => void;

function checkSchemas(definition: CaseTypeDefinition, error: Report): void {
  // Against the meta-schema only (cheap); compiling is left to the loader's own pass below.
  const compiles = (schema: unknown, path: DocPath, what: string) => {
    if (ajv.validateSchema(schema as object) !== true) {
      error(path, 'CASE_TYPE_SCHEMA', `${what} is not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}`, 'see https://json-schema.org for the keywords');
    }
  };
  compiles(definition.fields, ['fields'], 'fields');
  (definition.actions ?? []).forEach((a, i) => compiles(a.input, ['actions', i, 'input'], `the input of ${a.plugin}.${a.action}`));
}

function checkStatuses(definition: CaseTypeDefinition, error: Report): void {
  const keys = new Set<string>();
  definition.statuses.forEach((status, i) => {
    if (keys.has(status.key)) error(['statuses', i, 'key'], 'CASE_TYPE_DUPLICATE_STATUS', `status '${status.key}' is declared twice`, 'give each status its own key');
    keys.add(status.key);
  });
  const declared = [...keys].join(', ');
  if (!keys.has(definition.initialStatus)) error(['initialStatus'], 'CASE_TYPE_UNKNOWN_STATUS', `initialStatus '${definition.initialStatus}' is not a declared status`, `use one of: ${declared}`);
  definition.transitions.forEach((t, i) => {
    if (!keys.has(t.from)) error(['transitions', i, 'from'], 'CASE_TYPE_UNKNOWN_STATUS', `transition from unknown status '${t.from}'`, `use one of: ${declared}`);
    t.to.forEach((to, j) => {
      if (!keys.has(to)) error(['transitions', i, 'to', j], 'CASE_TYPE_UNKNOWN_STATUS', `transition to unknown status '${to}'`, `use one of: ${declared}`);
    });
  });
}

function checkPolicies(definition: CaseTypeDefinition, error: Report): void {
  const keys = new Set<string>();
  (definition.policies ?? []).forEach((policy, i) => {
    if (keys.has(policy.key)) error(['policies', i, 'key'], 'POLICY_DUPLICATE', `policy '${policy.key}' is declared twice`, `publish a change as a new version of the policy, in a new version of the case type`);
    keys.add(policy.key);
    for (const message of checkPolicy({ ...policy, steps: [] })) error(['policies', i], 'POLICY_INVALID', `policy ${policy.key}: ${message}`);
    const fieldNames = Object.keys((definition.fields as { properties?: Record<string, unknown> }).properties ?? {});
    policy.steps.forEach((step, j) => {
      const at: DocPath = ['policies', i, 'steps', j];
      const { when, ...rest } = step;
      for (const message of checkPolicy({ ...policy, history: undefined, steps: [rest] })) {
        error(at, 'POLICY_INVALID', `policy ${policy.key}: ${message.replace(/^step 1 /, 'step ')}`, 'a step names exactly one of role or team, a count of at least 1 and an expiresIn such as P2D');
      }
      if (when !== undefined) {
        try {
          compileCondition(when);
        } catch (failure) {
          error([...at, 'when'], 'POLICY_CONDITION_INVALID', `policy ${policy.key}: step '${step.name}': ${(failure as Error).message}`, 'conditions are CEL reading input, case, action and history (README "Approval policies")');
        }
      }
      for (const field of unknownSeparationFields(step.separation, fieldNames)) {
        error([...at, 'separation'], 'SEPARATION_UNKNOWN_FIELD', `policy ${policy.key}: step '${step.name}': notEditorsOf names '${field}', which is not a field of this case type`, `name one of: ${fieldNames.join(', ')}`);
      }
    });
  });
  (definition.actions ?? []).forEach((action, i) => {
    if (action.policy !== undefined && !keys.has(action.policy)) {
      error(['actions', i, 'policy'], 'POLICY_UNKNOWN', `action ${action.plugin}.${action.action} refers to unknown policy '${action.policy}'`, keys.size > 0 ? `use one of: ${[...keys].join(', ')}` : 'declare the policy under policies:');
    }
  });
}

/**
 * What the loader accepts but would not work: statuses no transition reaches, conditions that read
 * fields the input or case does not have, roles and teams not defined, plugins not configured or
 * not offering the action, policies no action uses. Errors for the newest version of a type; for an
 * older one (its cases are in flight and its file can't change) warnings.
 */
export function lintCaseType(type: CheckedCaseType, around: Surroundings): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { definition, source } = type;
  const severity: Severity = type.newest ? 'error' : 'warning';
  const older = type.newest ? '' : ` (in version ${definition.version}, not the newest: its cases in flight keep it)`;
  const report = (path: DocPath, code: string, message: string, hint?: string, level = severity) => problems.push(source.at(path, level, code, `${message}${level === 'warning' ? older : ''}`, hint));
  lintReachability(definition, report);
  const policies = definition.policies ?? [];
  policies.forEach((policy, i) => {
    const users = (definition.actions ?? []).filter((a) => a.policy === policy.key);
    if (users.length === 0) report(['policies', i], 'POLICY_UNUSED', `policy ${policy.key} is used by no action`, `name it in an action's policy: ${policy.key}, or remove it`, 'warning');
    policy.steps.forEach((step, j) => lintStep(definition, policy, i, j, users.length > 0 ? users : [undefined], around, report));
  });
  (definition.actions ?? []).forEach((action, i) => {
    if (!around.plugins) return;
    if (!around.plugins.has(action.plugin)) {
      // A warning, not an error: a deployment may ship a workflow before wiring its plugin. Its
      // actions are offered as blocked (PLUGIN_NOT_CONFIGURED), never proposed into a stall.
      report(
        ['actions', i, 'plugin'],
        'ACTION_PLUGIN_NOT_CONFIGURED',
        `action ${action.plugin}.${action.action}: plugin '${action.plugin}' is not configured in plugins.yaml: the action is shown blocked until it is`,
        `add '${action.plugin}' to plugins.yaml, or remove the action`,
        'warning',
      );
      return;
    }
    const offered = around.plugins.get(action.plugin);
    if (offered && !offered.has(action.action)) {
      // A warning for the same reason: one workflow whose plugin dropped an action (an upgrade) must
      // not stop the others; the action is shown blocked (PLUGIN_ACTION_UNKNOWN) and never proposed.
      report(
        ['actions', i, 'action'],
        'ACTION_UNKNOWN_TO_PLUGIN',
        `plugin '${action.plugin}' does not offer the action '${action.action}': the action is shown blocked until it does`,
        `its manifest offers: ${[...offered].join(', ') || 'nothing'}`,
        'warning',
      );
    }
  });
  return problems;
}

function lintReachability(definition: CaseTypeDefinition, report: Report): void {
  const next = new Map<string, string[]>();
  for (const t of definition.transitions) next.set(t.from, [...(next.get(t.from) ?? []), ...t.to]);
  const reached = new Set([definition.initialStatus]);
  const queue = [definition.initialStatus];
  while (queue.length > 0) {
    for (const to of next.get(queue.shift()!) ?? []) {
      if (reached.has(to)) continue;
      reached.add(to);
      queue.push(to);
    }
  }
  definition.statuses.forEach((status, i) => {
    if (!reached.has(status.key)) report(['statuses', i], 'CASE_TYPE_UNREACHABLE_STATUS', `status '${status.key}' cannot be reached from the initial status '${definition.initialStatus}'`, `add a transition to '${status.key}', or remove the status`);
  });
  if (definition.statuses.some((s) => s.final) && !definition.statuses.some((s) => s.final && reached.has(s.key))) {
    report(['transitions'], 'CASE_TYPE_NO_FINAL_STATUS', `no final status can be reached from '${definition.initialStatus}': a case of this type can never be finished`, 'add a transition into a status marked final: true');
  }
}

function lintStep(definition: CaseTypeDefinition, policy: ApprovalPolicy, i: number, j: number, actions: readonly (CaseTypeDefinition['actions'] & object)[number][] | undefined[], around: Surroundings, report: Report): void {
  const step = policy.steps[j]!;
  const at: DocPath = ['policies', i, 'steps', j];
  const label = `policy ${policy.key}: step '${step.name}'`;
  if (step.when !== undefined) {
    for (const action of actions) {
      const variables = conditionVariables(definition.fields, action?.input);
      const forAction = action && actions.length > 1 ? ` (for ${action.plugin}.${action.action})` : '';
      for (const message of conditionTypeProblems(step.when, variables)) {
        report([...at, 'when'], 'POLICY_CONDITION_TYPE', `${label}: ${message}${forAction}`, "read only the fields the action's input and the case type declare, and compare values of the same type");
      }
    }
  }
  if (step.role !== undefined && around.roles && !around.roles.has(step.role)) {
    report([...at, 'role'], 'POLICY_ROLE_UNDEFINED', `${label} names role '${step.role}', which ${around.rolesFile} does not define`, `define '${step.role}' in roles.yaml, or name one of: ${[...around.roles].join(', ')}`);
  }
  if (step.team !== undefined && around.teams && !around.teams.has(step.team)) {
    report([...at, 'team'], 'POLICY_TEAM_UNDEFINED', `${label} names team '${step.team}', which teams.yaml does not declare`, `declare '${step.team}' in teams.yaml, or name one of: ${[...around.teams].join(', ')}`);
  }
}
