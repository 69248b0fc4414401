import { LatchError } from '@latch/core';

/**
 * What may be written about an error to a log (or any store erasure cannot reach). A failed query's
 * parameters are personal data and secrets (emails, note bodies, argon2id hashes): Drizzle quotes
 * them in its message and stack, and PostgreSQL quotes values in its own messages and details
 * ("value \"…\" is out of range", "Key (email)=(…) already exists"). So a database error is
 * described by its class, SQLSTATE, the statement text (placeholders, never values) and the names
 * of what it concerned; its messages are dropped. Other errors keep their message.
 */
export interface LoggableError {
  readonly type: string;
  /** A LatchError's code, a SQLSTATE, or a system error code such as ECONNREFUSED. */
  readonly code?: string;
  readonly message?: string;
  /** The SQL text, with $1-style placeholders. */
  readonly query?: string;
  readonly constraint?: string;
  readonly table?: string;
  readonly column?: string;
  /** Stack frames only: the first line of a stack repeats the message. */
  readonly stack?: string;
}

const MAX_MESSAGE = 500;
const MAX_QUERY = 2000;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The loggable description of anything thrown. */
export function loggableError(error: unknown): LoggableError {
  if (!(error instanceof Error)) return { type: typeof error, message: clip(String(error), MAX_MESSAGE) };
  const chain = causes(error);
  const query = chain.find((e) => typeof e.query === 'string' && 'params' in e);
  const database = chain.find((e) => typeof e.code === 'string' && SQLSTATE.test(e.code) && ('severity' in e || 'routine' in e));
  const frames = error.stack?.split('\n').filter((line) => /^\s+at /.test(line)).slice(0, 12).join('\n');
  const described = { type: error.constructor?.name || error.name, ...(frames ? { stack: frames } : {}) };
  const code = error instanceof LatchError ? error.code : chain.map((e) => e.code).find((c): c is string => typeof c === 'string');
  if (query || database) {
    return {
      ...described,
      ...(code ? { code } : {}),
      ...(query ? { query: clip(query.query as string, MAX_QUERY) } : {}),
      ...names(database),
    };
  }
  return { ...described, ...(code ? { code } : {}), message: clip(error.message, MAX_MESSAGE) };
}

/** One line for a text log or a terminal: "Type CODE: message" (no stack, no parameters). */
export function describeError(error: unknown): string {
  const e = loggableError(error);
  const what = e.message ?? (e.query ? `failed query: ${e.query.replace(/\s+/g, ' ')}` : 'failed');
  return `${e.type}${e.code ? ` ${e.code}` : ''}: ${what}`;
}

type Fields = Record<string, unknown>;

function causes(error: Error): Fields[] {
  const chain: Fields[] = [];
  for (let e: unknown = error; e && typeof e === 'object' && chain.length < 10; e = (e as Fields).cause) chain.push(e as Fields);
  return chain;
}

function names(database: Fields | undefined): Partial<LoggableError> {
  if (!database) return {};
  const out: Record<string, string> = {};
  for (const key of ['constraint', 'table', 'column'] as const) if (typeof database[key] === 'string') out[key] = database[key];
  return out;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);
