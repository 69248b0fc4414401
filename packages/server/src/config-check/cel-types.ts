import { parse } from '@bufbuild/cel';

type Expr = NonNullable<ReturnType<typeof parse>['expr']>;
type JsonSchema = Record<string, unknown>;

/**
 * A CEL value's type as far as the configuration tells: scalars, lists, maps, and objects whose
 * fields come from a JSON Schema (the action's input, the case's fields) or are fixed (case, action,
 * history). `dyn` is "not known here" and is never reported.
 */
export type CelShape =
  | { readonly kind: 'int' | 'uint' | 'double' | 'string' | 'bool' | 'bytes' | 'null' | 'dyn' | 'list' }
  | { readonly kind: 'map'; readonly values: CelShape }
  | { readonly kind: 'object'; readonly name: string; readonly fields: ReadonlyMap<string, CelShape>; readonly closed: boolean };

const DYN: CelShape = { kind: 'dyn' };
const INT: CelShape = { kind: 'int' };
const STRING: CelShape = { kind: 'string' };
const BOOL: CelShape = { kind: 'bool' };

const object = (name: string, fields: Record<string, CelShape>, closed = true): CelShape => ({ kind: 'object', name, fields: new Map(Object.entries(fields)), closed });

/** The shape of a JSON Schema's values, as the server hands them to CEL (integral numbers are ints). */
export function shapeOfSchema(schema: unknown, name: string): CelShape {
  if (typeof schema !== 'object' || schema === null) return DYN;
  const s = schema as JsonSchema;
  switch (s.type) {
    case 'integer':
      return INT;
    case 'string':
      return STRING;
    case 'boolean':
      return BOOL;
    case 'array':
      return { kind: 'list' };
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const fields = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, shapeOfSchema(value, `${name}.${key}`)]));
      return object(name, fields, s.additionalProperties === false);
    }
    default:
      return DYN; // number (an int or a double), several types, or no type at all
  }
}

const TOTALS = object('history totals', { sum: INT, count: INT });

/** The variables a policy condition reads, typed for one action of one case type. */
export function conditionVariables(fieldsSchema: unknown, inputSchema: unknown): ReadonlyMap<string, CelShape> {
  return new Map<string, CelShape>([
    ['input', inputSchema === undefined ? DYN : shapeOfSchema(inputSchema, 'input')],
    ['case', object('case', { type: STRING, status: STRING, priority: STRING, queue: DYN, fields: shapeOfSchema(fieldsSchema, 'case.fields') })],
    ['action', object('action', { plugin: STRING, action: STRING })],
    ['history', object('history', { sameCase: TOTALS, samePayment: TOTALS, sameRequester: TOTALS })],
  ]);
}

const NUMERIC = new Set(['int', 'uint', 'double']);
const ARITHMETIC = new Set(['_+_', '_-_', '_*_', '_/_', '_%_']);
const ORDERING = new Set(['_<_', '_<=_', '_>_', '_>=_']);
const RESULT: Readonly<Record<string, CelShape>> = {
  size: INT,
  int: INT,
  uint: { kind: 'uint' },
  double: { kind: 'double' },
  string: STRING,
  bool: BOOL,
  contains: BOOL,
  startsWith: BOOL,
  endsWith: BOOL,
  matches: BOOL,
  '@in': BOOL,
  '!_': BOOL,
};

/**
 * Type-checks a condition that already compiles (core's compileCondition) against the variables'
 * shapes: fields that do not exist, operands CEL can't combine (a string compared with an int, an
 * int added to a double), and a result that is not a bool. Returns one message per problem.
 */
export function conditionTypeProblems(source: string, variables: ReadonlyMap<string, CelShape>): string[] {
  const problems: string[] = [];
  let expr: Expr | undefined;
  try {
    expr = parse(source).expr;
  } catch {
    return []; // a syntax error is reported by compileCondition
  }
  const result = shapeOf(expr, variables, problems);
  if (result.kind !== 'bool' && result.kind !== 'dyn') problems.push(`the condition evaluates to ${describe(result)}, not bool`);
  return [...new Set(problems)];
}

function shapeOf(expr: Expr | undefined, scope: ReadonlyMap<string, CelShape>, problems: string[]): CelShape {
  const kind = expr?.exprKind;
  switch (kind?.case) {
    case 'constExpr':
      switch (kind.value.constantKind.case) {
        case 'int64Value':
          return INT;
        case 'uint64Value':
          return { kind: 'uint' };
        case 'doubleValue':
          return { kind: 'double' };
        case 'stringValue':
          return STRING;
        case 'boolValue':
          return BOOL;
        case 'bytesValue':
          return { kind: 'bytes' };
        case 'nullValue':
          return { kind: 'null' };
        default:
          return DYN;
      }
    case 'identExpr':
      return scope.get(kind.value.name) ?? DYN;
    case 'selectExpr': {
      const operand = shapeOf(kind.value.operand, scope, problems);
      const field = fieldOf(operand, kind.value.field, problems);
      return kind.value.testOnly ? BOOL : field;
    }
    case 'listExpr':
      for (const element of kind.value.elements) shapeOf(element, scope, problems);
      return { kind: 'list' };
    case 'structExpr': {
      const values = kind.value.entries.map((entry) => {
        if (entry.keyKind.case === 'mapKey') shapeOf(entry.keyKind.value, scope, problems);
        return shapeOf(entry.value, scope, problems);
      });
      const first = values[0];
      const same = first !== undefined && values.every((v) => v.kind === first.kind);
      return { kind: 'map', values: same ? first : DYN };
    }
    case 'comprehensionExpr': {
      const c = kind.value;
      shapeOf(c.iterRange, scope, problems);
      const inner = new Map(scope);
      for (const name of [c.iterVar, c.iterVar2, c.accuVar]) if (name) inner.set(name, DYN);
      for (const part of [c.accuInit, c.loopCondition, c.loopStep, c.result]) shapeOf(part, inner, problems);
      return DYN;
    }
    case 'callExpr':
      return callShape(kind.value.function, kind.value.target, kind.value.args, scope, problems);
    default:
      return DYN;
  }
}

function callShape(fn: string, target: Expr | undefined, args: readonly Expr[], scope: ReadonlyMap<string, CelShape>, problems: string[]): CelShape {
  if (target) shapeOf(target, scope, problems);
  const shapes = args.map((arg) => shapeOf(arg, scope, problems));
  const [a = DYN, b = DYN] = shapes;
  if (fn === '_[_]') {
    const key = args[1]?.exprKind;
    if (key?.case === 'constExpr' && key.value.constantKind.case === 'stringValue') return fieldOf(a, key.value.constantKind.value, problems);
    return a.kind === 'map' ? a.values : DYN;
  }
  if (fn === '_&&_' || fn === '_||_' || fn === '!_') {
    for (const shape of shapes) if (!fits(shape, 'bool')) problems.push(`'${symbol(fn)}' needs bool operands, not ${describe(shape)}`);
    return BOOL;
  }
  if (fn === '_?_:_') {
    if (!fits(a, 'bool')) problems.push(`the condition of '? :' must be a bool, not ${describe(a)}`);
    const [, yes = DYN, no = DYN] = shapes;
    return yes.kind === no.kind ? yes : DYN;
  }
  if (fn === '_==_' || fn === '_!=_') {
    if (!comparable(a, b) && a.kind !== 'null' && b.kind !== 'null') problems.push(`'${symbol(fn)}' compares ${describe(a)} with ${describe(b)}: they are never equal`);
    return BOOL;
  }
  if (ORDERING.has(fn)) {
    if (!comparable(a, b) || !orderable(a) || !orderable(b)) problems.push(`'${symbol(fn)}' cannot order ${describe(a)} and ${describe(b)}`);
    return BOOL;
  }
  if (fn === '-_') return NUMERIC.has(a.kind) ? a : DYN;
  if (ARITHMETIC.has(fn)) return arithmetic(fn, a, b, problems);
  return RESULT[fn] ?? DYN;
}

function arithmetic(fn: string, a: CelShape, b: CelShape, problems: string[]): CelShape {
  if (a.kind === 'dyn' || b.kind === 'dyn') return DYN;
  if (NUMERIC.has(a.kind) && a.kind === b.kind) return a;
  if (fn === '_+_' && a.kind === b.kind && (a.kind === 'string' || a.kind === 'list' || a.kind === 'bytes')) return a;
  problems.push(`'${symbol(fn)}' cannot combine ${describe(a)} and ${describe(b)}${NUMERIC.has(a.kind) && NUMERIC.has(b.kind) ? ' (CEL converts no number implicitly: use int() or double())' : ''}`);
  return DYN;
}

function fieldOf(operand: CelShape, field: string, problems: string[]): CelShape {
  if (operand.kind === 'object') {
    const shape = operand.fields.get(field);
    if (shape) return shape;
    if (operand.closed) {
      const known = [...operand.fields.keys()];
      problems.push(`${operand.name} has no field '${field}'${known.length > 0 ? ` (it has: ${known.join(', ')})` : ''}`);
    }
    return DYN;
  }
  if (operand.kind === 'map') return operand.values;
  if (operand.kind !== 'dyn') problems.push(`'.${field}' reads a field of ${describe(operand)}, which has none`);
  return DYN;
}

const fits = (shape: CelShape, kind: CelShape['kind']) => shape.kind === kind || shape.kind === 'dyn';
const orderable = (shape: CelShape) => ['int', 'uint', 'double', 'string', 'bytes', 'dyn'].includes(shape.kind);

function comparable(a: CelShape, b: CelShape): boolean {
  if (a.kind === 'dyn' || b.kind === 'dyn') return true;
  if (NUMERIC.has(a.kind) && NUMERIC.has(b.kind)) return true;
  if ((a.kind === 'map' || a.kind === 'object') && (b.kind === 'map' || b.kind === 'object')) return true;
  return a.kind === b.kind;
}

function describe(shape: CelShape): string {
  if (shape.kind === 'object') return `${shape.name} (a map)`;
  return shape.kind;
}

const symbol = (fn: string) => fn.replace(/^_|_$/g, '').replace(/^(.)_$/, '$1');
