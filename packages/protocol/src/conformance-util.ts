import { RpcError } from './errors.js';
import { formatProblems, validateSchema, type JsonSchema } from './json-schema.js';

// Small helpers of the conformance suite.

/** Returns `value` as T when it matches `schema`; throws listing the problems otherwise. */
export function ensure<T>(schema: JsonSchema, value: unknown, what: string): T {
  const problems = validateSchema(schema, value);
  if (problems.length > 0) throw new Error(`${what} does not match: ${formatProblems(problems)}`);
  return value as T;
}

/** Resolves when `call` fails with `code`; throws on a result or another error. */
export async function expectCode(call: Promise<unknown>, code: number): Promise<void> {
  let result: unknown;
  try {
    result = await call;
  } catch (error) {
    if (error instanceof RpcError && error.code === code) return;
    throw new Error(`expected error ${code}, got ${describe(error)}`);
  }
  throw new Error(`expected error ${code}, got a result: ${JSON.stringify(result)?.slice(0, 200)}`);
}

/** An error as one line. */
export function describe(error: unknown): string {
  if (error instanceof RpcError) return `error ${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** A JSON object line, or undefined. */
export function parse(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** How many times each id was answered on stdout. */
export function countAnswers(stdout: readonly string[]): Map<unknown, number> {
  const answers = new Map<unknown, number>();
  for (const line of stdout) {
    const id = parse(line)?.id;
    answers.set(id, (answers.get(id) ?? 0) + 1);
  }
  return answers;
}

/** Polls `condition` until it holds or `ms` pass. */
export async function waitUntil(condition: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !condition() && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** An input `schema` rejects: the first candidate our validator refuses. Sound, because it only refuses on keywords it fully implements. */
export function invalidInputFor(schema: JsonSchema): unknown {
  const candidates: unknown[] = [{}, { conformanceUnexpectedProperty: true }, 'not an object', 0, null, []];
  const found = candidates.find((c) => validateSchema(schema, c).length > 0);
  if (found === undefined) throw new Error('the inputSchema accepts every candidate; pass options.invalidInput');
  return found;
}
