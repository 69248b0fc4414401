import { LatchError, NotFoundError, uuidv7, ValidationError, type Actor, type Principal } from '@latch/core';
import { desc, eq, sql } from 'drizzle-orm';
import type { Db, Queryable, Tx } from '../db/database.js';
import { preparedPerDatabase } from '../db/prepared.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { apiTokens, users } from '../db/schema.js';
import { invalidScopes, principalFor } from './principal.js';
import { hashSecret, newSecret, sameDigest } from './secrets.js';

type TokenRow = typeof apiTokens.$inferSelect;

/** Creates an API token for a user. The secret is returned once and only its hash is kept. */
export async function createToken(
  tx: Tx,
  user: { id: string; email: string },
  input: { name: string; scopes: readonly string[]; expiresAt?: Date | undefined },
  actor: Actor,
): Promise<{ token: string; row: TokenRow }> {
  const bad = invalidScopes(input.scopes);
  if (bad.length > 0) throw new ValidationError(`Unknown scopes: ${bad.join(', ')}`, { unknown: bad });
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new ValidationError('expiresAt must be in the future');
  const id = uuidv7();
  const secret = newSecret();
  const [row] = await tx
    .insert(apiTokens)
    .values({ id, userId: user.id, name: input.name, secretHash: hashSecret(secret), scopes: [...new Set(input.scopes)], expiresAt: input.expiresAt ?? null })
    .returning();
  await appendEvents(
    tx,
    SYSTEM_STREAM,
    [{ kind: 'token.created', actor, data: { tokenId: id, userId: user.id, scopes: row!.scopes, expiresAt: row!.expiresAt?.toISOString() ?? null } }],
    { subject: user.email },
  );
  return { token: `latch_${id.replaceAll('-', '')}_${secret}`, row: row! };
}

/** Revokes a token; only its owner or a user manager may. Records `token.revoked`. */
export async function revokeToken(tx: Tx, id: string, principal: Principal, actor: Actor): Promise<void> {
  const [row] = await tx.select().from(apiTokens).where(eq(apiTokens.id, id)).for('update');
  if (!row || (row.userId !== principal.userId && !principal.permissions.has('user:manage'))) throw new NotFoundError('Token');
  if (row.revokedAt) return;
  await tx.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, id));
  await appendEvents(tx, SYSTEM_STREAM, [{ kind: 'token.revoked', actor, data: { tokenId: id, userId: row.userId } }], { subject: `user:${row.userId}` });
}

export async function listTokens(db: Queryable, userId: string): Promise<TokenRow[]> {
  return db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.id));
}

export function presentToken(row: TokenRow) {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revoked: row.revokedAt !== null,
  };
}

// Every API call authenticates: the lookup is built once per database and prepared server-side.
const tokenLookup = preparedPerDatabase((db) =>
  db
    .select({ token: apiTokens, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.id, sql.placeholder('id')))
    .prepare('latch_token_lookup'),
);

const TOKEN = /^latch_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

/** Resolves a bearer token to its principal; any fault is the same UNAUTHENTICATED, to leak nothing. */
export async function authenticateToken(db: Db, raw: string): Promise<Principal> {
  const invalid = () => new LatchError('UNAUTHENTICATED', 'The API token is invalid, expired or revoked');
  const match = TOKEN.exec(raw);
  if (!match) throw invalid();
  const hex = match[1]!;
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const [found] = await tokenLookup(db).execute({ id });
  if (!found || !sameDigest(found.token.secretHash, hashSecret(match[2]!))) throw invalid();
  if (found.token.revokedAt || found.user.disabledAt || (found.token.expiresAt && found.token.expiresAt.getTime() <= Date.now())) throw invalid();
  return principalFor(found.user, { id: found.token.id, scopes: found.token.scopes });
}
