import type { Principal } from '@latch/core';
import { eq, lt, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../db/database.js';
import { preparedPerDatabase } from '../db/prepared.js';
import { sessions, users } from '../db/schema.js';
import type { RoleSet } from '../roles/role-set.js';
import { principalFor } from './principal.js';
import { hashSecret, newSecret } from './secrets.js';

/** Starts a session; the secret goes in the cookie, only its hash is stored. */
export async function createSession(db: Queryable, userId: string, ttlHours: number): Promise<{ secret: string; expiresAt: Date }> {
  const secret = newSecret();
  const expiresAt = new Date(Date.now() + ttlHours * 3_600_000);
  await db.delete(sessions).where(lt(sessions.expiresAt, new Date()));
  await db.insert(sessions).values({ idHash: hashSecret(secret), userId, expiresAt });
  return { secret, expiresAt };
}

/** The principal behind a session cookie, or undefined when it is unknown, expired or its user disabled. */
// Every cookie-authenticated call looks its session up: built once per database, prepared server-side.
const sessionLookup = preparedPerDatabase((db) =>
  db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.idHash, sql.placeholder('idHash')))
    .prepare('latch_session_lookup'),
);

export async function authenticateSession(db: Db, secret: string, roles: RoleSet): Promise<Principal | undefined> {
  const [found] = await sessionLookup(db).execute({ idHash: hashSecret(secret) });
  if (!found || found.user.disabledAt || found.session.expiresAt.getTime() <= Date.now()) return undefined;
  return principalFor(found.user, roles);
}

export async function endSession(db: Queryable, secret: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, hashSecret(secret)));
}
