import { personal, type Actor } from '@latch/core';
import { and, eq, sql } from 'drizzle-orm';
import type { TeamDirectory } from '../../access/teams.js';
import type { Queryable, Tx } from '../../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../../db/event-store.js';
import { userIdentities } from '../../db/schema.js';
import type { RoleSet } from '../../roles/role-set.js';
import { createUser, findUser, findUserByEmail, updateUser, type UserChanges, type UserRow } from '../users.js';
import { grantsOf, type SignedInPerson } from './map-claims.js';
import type { SsoSettings } from './sso-settings.js';

/** Who changes accounts on a provider's word: recorded on every SSO-made change; it names no Latch person. */
export const SSO_ACTOR: Actor = { type: 'system', id: 'sso' };

/** Why a person the provider signed in does not get in. Codes of the public contract (core ErrorCode). */
export type SsoRefusal = 'SSO_ACCOUNT_DISABLED' | 'SSO_NOT_ENTITLED' | 'SSO_EMAIL_IN_USE' | 'SSO_CLAIMS_MISSING';

export type SsoOutcome = { readonly user: UserRow } | { readonly refused: SsoRefusal };

/** The deployment's role set and team directory, which every grant is checked against. */
export interface SsoDirectory {
  readonly roles: RoleSet;
  readonly teams: TeamDirectory;
}

/**
 * The account a provider's sign-in reaches, in the caller's transaction: the one linked to its
 * (issuer, subject); at a first sign-in, a new account (createUsers) or the account holding the
 * same email when the provider verified it (linkVerifiedEmail); never an account found by an
 * unverified email. Roles and teams follow the claims at every sign-in (updateOnLogin), recorded as
 * user administration by SSO_ACTOR. A refusal after such a change still commits the change: a
 * person the provider no longer entitles loses their roles even though they don't get in.
 */
export async function signInWithSso(tx: Tx, directory: SsoDirectory, settings: SsoSettings, person: SignedInPerson): Promise<SsoOutcome> {
  // Two first sign-ins of one person at once would both create the account: one waits for the other.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`latch.sso:${person.issuer}\n${person.subject}`}, 0))`);
  const [identity] = await tx
    .select()
    .from(userIdentities)
    .where(and(eq(userIdentities.issuer, person.issuer), eq(userIdentities.subject, person.subject)));
  let user = identity ? await findUser(tx, identity.userId) : undefined;
  if (!user) {
    const first = await firstSignIn(tx, directory, settings, person);
    if ('refused' in first) return first;
    user = first.user;
    if (first.created) return touched(tx, person, user);
  }
  if (user.disabledAt) return { refused: 'SSO_ACCOUNT_DISABLED' };
  if (!settings.updateOnLogin) return touched(tx, person, user);
  const grants = grantsOf(settings, person.groups);
  const changes: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {};
  if (!sameSet(user.roles, grants.roles)) changes.roles = grants.roles;
  if (!sameSet(user.teams, grants.teams)) changes.teams = grants.teams;
  if (person.name !== undefined && person.name !== user.name) changes.name = person.name;
  if (Object.keys(changes).length > 0) user = await updateUser(tx, user.id, changes, SSO_ACTOR, directory.teams, directory.roles);
  if (grants.roles.length === 0) return { refused: 'SSO_NOT_ENTITLED' };
  return touched(tx, person, user);
}

async function firstSignIn(tx: Tx, directory: SsoDirectory, settings: SsoSettings, person: SignedInPerson): Promise<{ user: UserRow; created: boolean } | { refused: SsoRefusal }> {
  const holder = person.email === undefined ? undefined : await findUserByEmail(tx, person.email);
  if (holder) {
    // An email the provider has not verified could be anyone's: it never takes over an account.
    if (!settings.linkVerifiedEmail || !person.emailVerified) return { refused: 'SSO_EMAIL_IN_USE' };
    if (holder.disabledAt) return { refused: 'SSO_ACCOUNT_DISABLED' };
    await link(tx, person, holder, false);
    return { user: holder, created: false };
  }
  if (!settings.createUsers) return { refused: 'SSO_NOT_ENTITLED' };
  if (person.email === undefined) return { refused: 'SSO_CLAIMS_MISSING' };
  const grants = grantsOf(settings, person.groups);
  if (grants.roles.length === 0) return { refused: 'SSO_NOT_ENTITLED' };
  const name = person.name ?? person.email.split('@')[0]!;
  const user = await createUser(tx, { email: person.email, name, roles: grants.roles, teams: grants.teams }, SSO_ACTOR, directory.teams, directory.roles);
  await link(tx, person, user, true);
  return { user, created: true };
}

/** The link itself, on the system stream: which account now answers to this provider's subject. */
async function link(tx: Tx, person: SignedInPerson, user: UserRow, created: boolean): Promise<void> {
  await tx.insert(userIdentities).values({ issuer: person.issuer, subject: person.subject, userId: user.id });
  await appendEvents(tx, SYSTEM_STREAM, [{ kind: 'user.sso_linked', actor: SSO_ACTOR, data: { userId: user.id, issuer: person.issuer, subject: personal(person.subject), created, byVerifiedEmail: !created } }], { subject: user.email });
}

async function touched(tx: Tx, person: SignedInPerson, user: UserRow): Promise<SsoOutcome> {
  await tx
    .update(userIdentities)
    .set({ lastLoginAt: new Date() })
    .where(and(eq(userIdentities.issuer, person.issuer), eq(userIdentities.subject, person.subject)));
  return { user };
}

const sameSet = (a: readonly string[], b: readonly string[]) => [...new Set(a)].sort().join('\n') === [...new Set(b)].sort().join('\n');

/** Whether a user signs in through a provider (their password login may be turned off by sso.yaml). */
export async function hasSsoIdentity(db: Queryable, userId: string): Promise<boolean> {
  const [row] = await db.select({ userId: userIdentities.userId }).from(userIdentities).where(eq(userIdentities.userId, userId)).limit(1);
  return row !== undefined;
}
