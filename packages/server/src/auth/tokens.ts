import { LatchError, NotFoundError, PERMISSIONS, uuidv7, ValidationError, type Actor, type Permission, type Principal } from '@latch/core';
import { desc, eq, sql } from 'drizzle-orm';
import { resultRows, type Db, type Queryable, type Tx } from '../db/database.js';
import { preparedPerDatabase } from '../db/prepared.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { apiTokens, users } from '../db/schema.js';
import { SHIPPED_ROLES, type RoleSet } from '../roles/role-set.js';
import { invalidScopes, principalFor } from './principal.js';
import { hashSecret, newSecret, sameDigest } from './secrets.js';

type TokenRow = typeof apiTokens.$inferSelect;

/**
 * Creates an API token for a user. The secret is returned once and only its hash is kept. Scopes
 * must be granted by the user's roles (`*`: whatever the user holds), so a scope never waits,
 * dormant, for a role the user gains later. A token minted by a token (`parentTokenId`) holds at
 * most its parent's scopes and expires no later; revoking the parent revokes it.
 */
export async function createToken(
  tx: Tx,
  user: { id: string; email: string; roles: readonly string[] },
  input: { name: string; scopes: readonly string[]; expiresAt?: Date | undefined },
  actor: Actor,
  parentTokenId?: string,
  roles: RoleSet = SHIPPED_ROLES,
): Promise<{ token: string; row: TokenRow }> {
  const bad = invalidScopes(input.scopes);
  if (bad.length > 0) {
    const valid = ['*', ...PERMISSIONS];
    throw new ValidationError(`Unknown scopes: ${bad.join(', ')}. Valid scopes: ${valid.join(', ')}`, { field: 'scopes', unknown: bad, valid });
  }
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new ValidationError('expiresAt must be in the future', { field: 'expiresAt' });
  const scopes = [...new Set(input.scopes)];
  const held = roles.permissionsOf(user.roles);
  const notHeld = scopes.filter((s) => s !== '*' && !held.has(s as Permission));
  if (notHeld.length > 0) throw new LatchError('SCOPE_NOT_HELD', `Your roles do not grant: ${notHeld.join(', ')}`, { notHeld });
  if (parentTokenId !== undefined) await checkWithinParent(tx, user.id, parentTokenId, scopes, held, input.expiresAt);
  const id = uuidv7();
  const secret = newSecret();
  const [row] = await tx
    .insert(apiTokens)
    .values({ id, userId: user.id, name: input.name, secretHash: hashSecret(secret), scopes, expiresAt: input.expiresAt ?? null, parentId: parentTokenId ?? null })
    .returning();
  await appendEvents(
    tx,
    SYSTEM_STREAM,
    [
      {
        kind: 'token.created',
        actor,
        data: { tokenId: id, userId: user.id, scopes: row!.scopes, expiresAt: row!.expiresAt?.toISOString() ?? null, parentTokenId: row!.parentId },
      },
    ],
    { subject: user.email },
  );
  return { token: `latch_${id.replaceAll('-', '')}_${secret}`, row: row! };
}

/** A child token can't outlive or outrank its parent. The parent row is share-locked: a concurrent revoke waits and then sees the child. */
async function checkWithinParent(tx: Tx, userId: string, parentId: string, scopes: readonly string[], held: ReadonlySet<Permission>, expiresAt: Date | undefined) {
  const [parent] = await tx.select().from(apiTokens).where(eq(apiTokens.id, parentId)).for('share');
  const now = Date.now();
  if (!parent || parent.userId !== userId || parent.revokedAt || (parent.expiresAt && parent.expiresAt.getTime() <= now)) {
    throw new LatchError('UNAUTHENTICATED', 'The API token is invalid, expired or revoked');
  }
  const parentHolds = (s: string) => parent.scopes.includes('*') || (s !== '*' && parent.scopes.includes(s) && held.has(s as Permission));
  const notHeld = scopes.filter((s) => !parentHolds(s));
  if (notHeld.length > 0) {
    throw new LatchError('SCOPE_NOT_HELD', `A token can only create tokens with scopes it holds itself; this one does not hold: ${notHeld.join(', ')}`, {
      notHeld,
      parentScopes: parent.scopes,
    });
  }
  if (parent.expiresAt && (!expiresAt || expiresAt.getTime() > parent.expiresAt.getTime())) {
    throw new ValidationError(`A token created with a token must expire no later than it does (${parent.expiresAt.toISOString()}); set expiresAt`, {
      field: 'expiresAt',
      parentExpiresAt: parent.expiresAt.toISOString(),
    });
  }
}

/**
 * Revokes a token and every token minted from it; only its owner or a user manager may. Records
 * `token.revoked`. A grandchild minted concurrently (its parent is not locked here) is still dead:
 * authentication refuses any token with a revoked ancestor.
 */
export async function revokeToken(tx: Tx, id: string, principal: Principal, actor: Actor): Promise<void> {
  const [row] = await tx.select().from(apiTokens).where(eq(apiTokens.id, id)).for('update');
  if (!row || (row.userId !== principal.userId && !principal.permissions.has('user:manage'))) throw new NotFoundError('Token');
  if (row.revokedAt) return;
  const now = new Date();
  await tx.update(apiTokens).set({ revokedAt: now }).where(eq(apiTokens.id, id));
  const descendants = resultRows<{ id: string }>(
    await tx.execute(sql`
      with recursive tree(id) as (
        select id from api_tokens where parent_id = ${id}
        union
        select t.id from api_tokens t join tree on t.parent_id = tree.id
      )
      update api_tokens set revoked_at = ${now.toISOString()} where id in (select id from tree) and revoked_at is null returning id`),
  ).map((r) => r.id);
  await appendEvents(tx, SYSTEM_STREAM, [{ kind: 'token.revoked', actor, data: { tokenId: id, userId: row.userId, alsoRevoked: descendants.sort() } }], {
    subject: `user:${row.userId}`,
  });
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
export async function authenticateToken(db: Db, raw: string, roles: RoleSet): Promise<Principal> {
  const invalid = () => new LatchError('UNAUTHENTICATED', 'The API token is invalid, expired or revoked');
  const match = TOKEN.exec(raw);
  if (!match) throw invalid();
  const hex = match[1]!;
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const [found] = await tokenLookup(db).execute({ id });
  if (!found || !sameDigest(found.token.secretHash, hashSecret(match[2]!))) throw invalid();
  if (found.token.revokedAt || found.user.disabledAt || (found.token.expiresAt && found.token.expiresAt.getTime() <= Date.now())) throw invalid();
  // Belt and braces beside the cascading revoke: a token minted by a dead token is dead.
  if (found.token.parentId && (await deadAncestors(db, found.token.parentId)) > 0) throw invalid();
  return principalFor(found.user, roles, { id: found.token.id, scopes: found.token.scopes });
}

/** How many of a token's ancestors (from `parentId` up) are revoked or expired. Only minted tokens pay for this query. */
async function deadAncestors(db: Db, parentId: string): Promise<number> {
  const rows = resultRows<{ dead: number | string }>(
    await db.execute(sql`
      with recursive chain(id, parent_id, revoked_at, expires_at) as (
        select id, parent_id, revoked_at, expires_at from api_tokens where id = ${parentId}
        union all
        select t.id, t.parent_id, t.revoked_at, t.expires_at from api_tokens t join chain c on t.id = c.parent_id
      )
      select count(*) filter (where revoked_at is not null or expires_at <= now()) as dead from chain`),
  );
  return Number(rows[0]?.dead ?? 0);
}
