import { setTimeout as sleep } from 'node:timers/promises';

// What a lost or refusing database looks like from node-postgres and PGlite. A restart, a failover
// or a pooler closing connections must reach a client as 503 DATABASE_UNAVAILABLE, never as a 500,
// and concurrent writers that deadlock are run again rather than failed.

/** Class 08 (connection exception), shutdown and crash (57P01-57P03), too many connections (53300). */
const UNAVAILABLE_STATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres and pg-pool say these in words only (no code); PGlite once closed. */
const DRIVER_MESSAGES =
  /Connection terminated|Client was closed and is not queryable|Client has encountered a connection error|timeout exceeded when trying to connect|Cannot use a pool after calling end|PGlite is closed/;

/** Deadlock (40P01) and serialization failure (40001): the whole transaction may simply run again. */
const CONFLICT_STATES = new Set(['40P01', '40001']);

/** Whole-transaction attempts for a conflict before it is reported. */
export const CONFLICT_TRIES = 5;

/** Every error in a chain of causes (Drizzle wraps the driver's) and of AggregateErrors (dual-stack connects). */
function* chain(error: unknown, depth = 0): Generator<Record<string, unknown>> {
  for (let e: unknown = error; e && typeof e === 'object' && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    yield e as Record<string, unknown>;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const each of inner) yield* chain(each, depth + 1);
  }
}

/**
 * Why the database could not be used, when `error` says it was unreachable or went away (a short
 * code or driver message, safe to log: never SQL or parameters); undefined for any other error.
 */
export function unavailableReason(error: unknown): string | undefined {
  for (const e of chain(error)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (UNAVAILABLE_STATE.test(code) || NETWORK_CODES.has(code))) return code;
    // Drizzle's own wrapper quotes the query's parameters in its message: only the driver's words count.
    const driver = !('query' in e && 'params' in e);
    const message = driver && typeof e.message === 'string' ? DRIVER_MESSAGES.exec(e.message)?.[0] : undefined;
    if (message) return message;
  }
  return undefined;
}

/** The SQLSTATE of a deadlock or serialization failure in `error`, if it is one. */
export function conflictState(error: unknown): string | undefined {
  for (const e of chain(error)) if (typeof e.code === 'string' && CONFLICT_STATES.has(e.code)) return e.code;
  return undefined;
}

/**
 * Runs a whole transaction through `begin` (Drizzle's `db.transaction`), and runs it again from the
 * start when that is known to be safe, because the failed attempt was rolled back:
 * - after a deadlock or serialization failure, up to CONFLICT_TRIES in all, a short jittered pause apart;
 * - once, when its connection was lost before COMMIT was sent (a pooled connection that a restart,
 *   failover or pooler had closed). A connection lost during COMMIT is never retried: the commit
 *   may have happened, so the caller hears DATABASE_UNAVAILABLE and decides.
 */
export async function retryingTransaction<Tx, T>(begin: (body: (tx: Tx) => Promise<T>) => Promise<T>, work: (tx: Tx) => Promise<T>): Promise<T> {
  let reconnected = false;
  for (let attempt = 1; ; attempt++) {
    let committing = false;
    try {
      return await begin(async (tx) => {
        const result = await work(tx);
        committing = true;
        return result;
      });
    } catch (error) {
      if (conflictState(error) !== undefined && attempt < CONFLICT_TRIES) {
        // Full jitter on 10, 20, 40, 80 ms: the transactions that collided start apart next time.
        await sleep(Math.random() * 10 * 2 ** attempt);
        continue;
      }
      if (committing || reconnected || unavailableReason(error) === undefined) throw error;
      reconnected = true;
    }
  }
}
