import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { resultRows, type Db } from '../db/database.js';
import { loginThrottle } from '../db/schema.js';
import { normaliseEmail } from './users.js';

export interface ThrottleLimits {
  readonly perAccount: number;
  readonly perAddress: number;
  readonly windowMs: number;
}

/** The counters one login attempt holds: give them back with `loginSucceeded` when the password was right. */
export interface LoginAttempt {
  readonly accountKey: string;
  readonly addressKey: string;
}

/** Over a limit: no password is checked until the window ends. */
export interface Throttled {
  readonly retryAfterSeconds: number;
  readonly limited: 'account' | 'address';
}

// Keys are hashed: the table holds no email or address in the clear, and needs no erasure.
const keyOf = (kind: 'account' | 'address', value: string) => createHash('sha256').update(`${kind}:${value}`).digest('hex');

/**
 * Counts a login attempt against its account (the email as the lookup normalises it) and its client
 * address, in the database so every process shares the counters, before the password is checked:
 * concurrent guesses can't slip past the limit. When either counter is over its limit, says how
 * long until its window ends. A window is fixed from its first failure, so hammering a locked
 * account does not extend the lock.
 */
export async function beginLoginAttempt(db: Db, email: string, address: string, limits: ThrottleLimits): Promise<LoginAttempt | Throttled> {
  const attempt = { accountKey: keyOf('account', normaliseEmail(email)), addressKey: keyOf('address', address) };
  const account = await count(db, attempt.accountKey, limits.windowMs);
  const client = await count(db, attempt.addressKey, limits.windowMs);
  const over = [account.failures > limits.perAccount ? account : undefined, client.failures > limits.perAddress ? client : undefined].filter((c) => c !== undefined);
  if (over.length === 0) return attempt;
  const until = Math.max(...over.map((c) => c.windowStart.getTime() + limits.windowMs));
  return { retryAfterSeconds: Math.max(1, Math.ceil((until - Date.now()) / 1000)), limited: account.failures > limits.perAccount ? 'account' : 'address' };
}

/** The password was right: the account's failures are forgiven and this attempt no longer counts against the address. */
export async function loginSucceeded(db: Db, attempt: LoginAttempt, limits: ThrottleLimits): Promise<void> {
  await db.delete(loginThrottle).where(eq(loginThrottle.key, attempt.accountKey));
  await db
    .update(loginThrottle)
    .set({ failures: sql`greatest(${loginThrottle.failures} - 1, 0)` })
    .where(eq(loginThrottle.key, attempt.addressKey));
  // Housekeeping: windows that ended long ago.
  await db.delete(loginThrottle).where(sql`${loginThrottle.windowStart} < now() - make_interval(secs => ${limits.windowMs / 1000})`);
}

/** One atomic increment: a row lock serialises concurrent attempts on the same key. */
async function count(db: Db, key: string, windowMs: number): Promise<{ failures: number; windowStart: Date }> {
  const seconds = windowMs / 1000;
  const result = await db.execute(sql`
    insert into login_throttle (key, failures, window_start) values (${key}, 1, now())
    on conflict (key) do update set
      failures = case when login_throttle.window_start <= now() - make_interval(secs => ${seconds}) then 1 else login_throttle.failures + 1 end,
      window_start = case when login_throttle.window_start <= now() - make_interval(secs => ${seconds}) then now() else login_throttle.window_start end
    returning failures, window_start`);
  const [row] = resultRows<{ failures: number; window_start: Date | string }>(result);
  return { failures: Number(row!.failures), windowStart: new Date(row!.window_start) };
}
