import { durationMillis, type ActionDefinition } from './definition.js';

/**
 * What undoes a time-bounded action (a temporary access grant) when its time is up: the same
 * plugin's `action`, with an input built from the grant's input, run by the system at expiry.
 */
export interface RevokeDefinition {
  /** Where the grant's input holds its duration (an ISO 8601 duration such as PT4H), e.g. `body.duration`. */
  readonly durationFrom: string;
  /** The longest a grant may last, whatever it asks for (ISO 8601, e.g. PT8H). */
  readonly maxDuration: string;
  readonly name: string;
  readonly action: string;
  /**
   * The revoke's input. `{$input: "body.user"}` is replaced by that value of the grant's input,
   * `{$grant: "actionId"}` by the grant action's id; everything else is taken as written.
   */
  readonly input: Record<string, unknown>;
}

/** Mistakes in a revoke declaration that the file's JSON Schema can't see. */
export function revokeProblems(action: ActionDefinition): string[] {
  const revoke = action.revokeAfter;
  if (!revoke) return [];
  const where = `action ${action.plugin}.${action.action}: revokeAfter`;
  const problems: string[] = [];
  if (durationMillis(revoke.maxDuration) === undefined) problems.push(`${where}: maxDuration '${revoke.maxDuration}' is not a duration like PT8H`);
  if (valueAt(schemaAt(action.input, revoke.durationFrom), 'type') !== 'string') problems.push(`${where}: durationFrom '${revoke.durationFrom}' is not a string property of the input`);
  for (const ref of inputReferences(revoke.input)) {
    if (schemaAt(action.input, ref) === undefined) problems.push(`${where}: {$input: ${ref}} is not a property of the input`);
  }
  return problems;
}

/** How long the grant lasts: what it asked for, capped by the type; undefined when the input holds no duration. */
export function grantDurationMs(revoke: RevokeDefinition, input: unknown): number | undefined {
  const asked = valueAt(input, revoke.durationFrom);
  const ms = typeof asked === 'string' ? durationMillis(asked) : undefined;
  if (ms === undefined) return undefined;
  return Math.min(ms, durationMillis(revoke.maxDuration) ?? 0);
}

/** Whether a grant asks for longer than its type allows (refused at proposal rather than silently shortened). */
export function durationProblem(revoke: RevokeDefinition, input: unknown): string | undefined {
  const asked = valueAt(input, revoke.durationFrom);
  const ms = typeof asked === 'string' ? durationMillis(asked) : undefined;
  if (ms === undefined || ms <= 0) return `${revoke.durationFrom} must be a duration like PT4H`;
  if (ms > (durationMillis(revoke.maxDuration) ?? 0)) return `${revoke.durationFrom} ${asked} is longer than this case type allows (${revoke.maxDuration})`;
  return undefined;
}

/** The revoke's input for one grant. */
export function revokeInput(revoke: RevokeDefinition, grantInput: unknown, grantActionId: string): Record<string, unknown> {
  const fill = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(fill);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === '$input') return valueAt(grantInput, String(entries[0]![1]));
    if (entries.length === 1 && entries[0]![0] === '$grant') return grantActionId;
    return Object.fromEntries(entries.map(([k, v]) => [k, fill(v)]));
  };
  return fill(revoke.input) as Record<string, unknown>;
}

function inputReferences(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(inputReferences);
  if (value === null || typeof value !== 'object') return [];
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]![0] === '$input') return [String(entries[0]![1])];
  return entries.flatMap(([, v]) => inputReferences(v));
}

function valueAt(value: unknown, path: string): unknown {
  let at = value;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function schemaAt(schema: unknown, path: string): unknown {
  let at = schema;
  for (const part of path.split('.')) at = valueAt(valueAt(at, 'properties'), part);
  return at;
}
