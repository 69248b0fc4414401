import { celEnv, celType, parse, plan, type CelInput, type CelResult } from '@bufbuild/cel';
import { PolicyError, type PolicyContext } from './policy.js';

/** Longest condition accepted, in characters. */
export const MAX_CONDITION_LENGTH = 2_000;
const MAX_DEPTH = 100;
// Each nested macro (exists, all, map, filter…) multiplies the work; two levels are plenty for approval rules.
const MAX_LOOP_NESTING = 2;
const CACHE_LIMIT = 1_000;

type Bindings = Record<string, CelInput>;
type Expr = ReturnType<typeof parse>['expr'];

/** A parsed and planned CEL condition, reusable across evaluations. */
export interface CompiledCondition {
  readonly source: string;
  readonly run: (bindings: Bindings) => CelResult;
}

// Standard library only: a condition can read its four variables and call CEL functions, nothing else.
const env = celEnv();
const cache = new Map<string, CompiledCondition>();
const VARIABLES = new Set(['input', 'case', 'action', 'history']);
const TYPE_NAMES = new Set(['bool', 'int', 'uint', 'double', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);
// Operators the planner implements itself rather than through the function registry.
const BUILT_IN_CALLS = new Set(['_&&_', '_||_', '_?_:_', '_[_]', '_[?_]', '_?._', '@not_strictly_false', '__not_strictly_false__']);
const BOOL_CALLS = new Set(['_==_', '_!=_', '_<_', '_<=_', '_>_', '_>=_', '_&&_', '_||_', '!_', '@in', '@not_strictly_false', 'matches', 'contains', 'startsWith', 'endsWith', 'bool']);
const NON_BOOL_CALLS = new Set(['_+_', '_-_', '_*_', '_/_', '_%_', '-_', 'size', 'int', 'uint', 'double', 'string', 'bytes', 'type', 'timestamp', 'duration']);

/** Parses and plans a condition (cached by source); throws PolicyError if it is invalid or cannot yield a bool. */
export function compileCondition(source: string): CompiledCondition {
  const cached = cache.get(source);
  if (cached) return cached;
  if (typeof source !== 'string' || source.trim() === '') throw new PolicyError('Condition must be a non-empty string');
  if (source.length > MAX_CONDITION_LENGTH) {
    throw new PolicyError(`Condition ${quote(source)} is ${source.length} characters long; the limit is ${MAX_CONDITION_LENGTH}`, source);
  }
  let run: CompiledCondition['run'];
  try {
    const parsed = parse(source);
    inspect(parsed.expr, [], 0, 0);
    if (resultKind(parsed.expr) === 'other') throw new Error('it does not evaluate to a bool');
    run = plan(env, parsed);
  } catch (error) {
    throw new PolicyError(`Invalid condition ${quote(source)}: ${reason(error)}`, source);
  }
  const compiled: CompiledCondition = { source, run };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value ?? '');
  cache.set(source, compiled);
  return compiled;
}

/** Evaluates a compiled condition; throws PolicyError if evaluation fails or the result is not a bool. */
export function evaluateCondition(compiled: CompiledCondition, context: PolicyContext): boolean {
  let result: CelResult | Error;
  try {
    result = compiled.run(toBindings(context));
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    result = error instanceof Error ? error : new Error(String(error));
  }
  // CelError extends Error, so this covers both failure paths.
  if (result instanceof Error) {
    throw new PolicyError(`Condition ${quote(compiled.source)} could not be evaluated: ${reason(result)}`, compiled.source);
  }
  if (typeof result !== 'boolean') {
    throw new PolicyError(`Condition ${quote(compiled.source)} must evaluate to a bool, not ${celType(result).name}`, compiled.source);
  }
  return result;
}

function toBindings(context: PolicyContext): Bindings {
  const bindings: Bindings = { input: toCel(context.input ?? null, 'input'), case: toCel(context.case, 'case'), action: toCel(context.action, 'action') };
  if (context.history !== undefined) bindings.history = toCel(context.history, 'history');
  return bindings;
}

/** JSON to CEL: integral numbers become `int` (bigint), objects become maps (so no prototype is reachable). */
function toCel(value: unknown, path: string): CelInput {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return value;
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < 2 ** 63 ? BigInt(value) : value;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((item: unknown, i) => toCel(item, `${path}[${i}]`));
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) break;
      const map = new Map<string, CelInput>();
      for (const [key, item] of Object.entries(value)) {
        if (item !== undefined) map.set(key, toCel(item, `${path}.${key}`));
      }
      return map;
    }
  }
  throw new PolicyError(`Conditions cannot read ${path}: it is not JSON`);
}

/** Static checks the library leaves to run time: known variables and functions, nesting depth. */
function inspect(expr: Expr | undefined, bound: readonly string[], depth: number, loops: number): void {
  if (!expr) return;
  if (depth > MAX_DEPTH) throw new Error(`it is nested more than ${MAX_DEPTH} levels deep`);
  const next = depth + 1;
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      if (!VARIABLES.has(kind.value.name) && !TYPE_NAMES.has(kind.value.name) && !bound.includes(kind.value.name)) {
        throw new Error(`unknown variable '${kind.value.name}' (conditions can read input, case, action and history)`);
      }
      return;
    case 'selectExpr':
      return inspect(kind.value.operand, bound, next, loops);
    case 'callExpr':
      if (!BUILT_IN_CALLS.has(kind.value.function) && !env.funcs.find(kind.value.function)) {
        throw new Error(`unknown function '${kind.value.function}'`);
      }
      inspect(kind.value.target, bound, next, loops);
      for (const arg of kind.value.args) inspect(arg, bound, next, loops);
      return;
    case 'listExpr':
      for (const element of kind.value.elements) inspect(element, bound, next, loops);
      return;
    case 'structExpr':
      if (kind.value.messageName !== '') throw new Error(`message '${kind.value.messageName}' cannot be built here`);
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') inspect(entry.keyKind.value, bound, next, loops);
        inspect(entry.value, bound, next, loops);
      }
      return;
    case 'comprehensionExpr': {
      const c = kind.value;
      if (loops >= MAX_LOOP_NESTING) throw new Error(`macros such as exists() nest more than ${MAX_LOOP_NESTING} deep`);
      inspect(c.iterRange, bound, next, loops);
      inspect(c.accuInit, bound, next, loops);
      const inner = [...bound, c.iterVar, c.iterVar2, c.accuVar].filter((name) => name !== '');
      for (const part of [c.loopCondition, c.loopStep, c.result]) inspect(part, inner, next, loops + 1);
      return;
    }
  }
}

/** What a condition yields, as far as can be told without a type checker. */
function resultKind(expr: Expr | undefined): 'bool' | 'other' | 'unknown' {
  const kind = expr?.exprKind;
  switch (kind?.case) {
    case 'constExpr':
      return kind.value.constantKind.case === 'boolValue' ? 'bool' : 'other';
    case 'listExpr':
    case 'structExpr':
      return 'other';
    case 'selectExpr':
      return kind.value.testOnly ? 'bool' : 'unknown';
    case 'callExpr': {
      if (BOOL_CALLS.has(kind.value.function)) return 'bool';
      if (NON_BOOL_CALLS.has(kind.value.function)) return 'other';
      if (kind.value.function !== '_?_:_') return 'unknown';
      const branches = [resultKind(kind.value.args[1]), resultKind(kind.value.args[2])];
      return branches.includes('other') ? 'other' : branches.every((b) => b === 'bool') ? 'bool' : 'unknown';
    }
    case 'comprehensionExpr': {
      const { result, accuVar, accuInit } = kind.value;
      const returnsAccu = result?.exprKind.case === 'identExpr' && result.exprKind.value.name === accuVar;
      return resultKind(returnsAccu ? accuInit : result);
    }
    default:
      return 'unknown';
  }
}

function reason(error: unknown): string {
  if (error instanceof RangeError) return 'it is nested too deeply';
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^<input>:(\d+:\d+): /, 'syntax error at $1: ');
}

function quote(source: string): string {
  return JSON.stringify(source.length > 200 ? `${source.slice(0, 200)}…` : source);
}
