import { ConflictError, NotFoundError, personal, uuidv7, ValidationError, type Actor } from '@latch/core';
import { SHIPPED_ROLES, type RoleSet } from '../roles/role-set.js';
import { asc, eq } from 'drizzle-orm';
import { sqlState, type Queryable, type Tx } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { users } from '../db/schema.js';
import type { TeamDirectory } from '../access/teams.js';
import { endCredentials, recordAccountChange, type AccountChangeKind } from './account-administration.js';
import { hashPassword, passwordProblem } from './passwords.js';

export type UserRow = typeof users.$inferSelect;

export interface NewUser {
  readonly email: string;
  readonly name: string;
  readonly password?: string | undefined;
  readonly roles: readonly string[];
  readonly teams?: readonly string[] | undefined;
}

/** Emails are compared case-insensitively; stored lower-case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

// Own keys only: `in` would accept 'constructor' or 'toString'.
function checkRoles(roles: readonly string[], defined: RoleSet): void {
  const unknown = roles.filter((r) => !defined.has(r));
  if (unknown.length > 0) throw new ValidationError(`Unknown roles: ${unknown.join(', ')} (roles are defined in roles.yaml: ${defined.names().join(', ')})`, { field: 'roles', unknown, known: defined.names() });
}

function checkTeams(teams: readonly string[], directory: TeamDirectory | undefined): void {
  const unknown = directory ? teams.filter((t) => !directory.isKnown(t)) : [];
  if (unknown.length > 0) throw new ValidationError(`Unknown teams: ${unknown.join(', ')} (teams are declared in teams.yaml)`, { field: 'teams', unknown });
}

/**
 * Creates a user and records `user.created` on the system stream. The password is never recorded.
 * With the deployment's team directory (the API and CLI always pass it), unknown teams are refused;
 * roles must be defined in the deployment's role set (the API and CLI pass it; else the shipped roles).
 */
export async function createUser(tx: Tx, input: NewUser, actor: Actor, directory?: TeamDirectory, roles: RoleSet = SHIPPED_ROLES): Promise<UserRow> {
  checkRoles(input.roles, roles);
  checkTeams(input.teams ?? [], directory);
  if (input.password !== undefined) {
    const problem = passwordProblem(input.password);
    if (problem) throw new ValidationError(problem, { field: 'password' });
  }
  const email = normaliseEmail(input.email);
  const row = {
    id: uuidv7(),
    email,
    name: input.name.trim(),
    passwordHash: input.password === undefined ? null : await hashPassword(input.password),
    roles: [...new Set(input.roles)],
    teams: [...new Set(input.teams ?? [])],
  };
  try {
    await tx.insert(users).values(row);
  } catch (error) {
    if (sqlState(error) === '23505') throw new ConflictError('ALREADY_EXISTS', `A user with email ${email} already exists`);
    throw error;
  }
  await appendEvents(
    tx,
    SYSTEM_STREAM,
    [{ kind: 'user.created', actor, data: { userId: row.id, email: personal(email), name: personal(row.name), roles: row.roles, teams: row.teams } }],
    { subject: email, alongside: recordAccountChange(tx, row.id, actor, ['created']) },
  );
  const [created] = await tx.select().from(users).where(eq(users.id, row.id));
  return created!;
}

export interface UserChanges {
  readonly name?: string | undefined;
  readonly roles?: readonly string[] | undefined;
  readonly teams?: readonly string[] | undefined;
  readonly disabled?: boolean | undefined;
  readonly password?: string | undefined;
}

/**
 * Changes a user's name, roles, teams, password or disabled flag; records `user.updated` with old
 * and new roles, and the account change the maker-checker rule reads. A new password, a changed set
 * of roles or disabling ends every session and revokes every token of the user; enabling again
 * revives none of them.
 */
export async function updateUser(tx: Tx, id: string, changes: UserChanges, actor: Actor, directory?: TeamDirectory, roles: RoleSet = SHIPPED_ROLES): Promise<UserRow> {
  const [current] = await tx.select().from(users).where(eq(users.id, id)).for('update');
  if (!current) throw new NotFoundError('User');
  if (changes.roles) checkRoles(changes.roles, roles);
  if (changes.teams) checkTeams(changes.teams, directory);
  if (changes.password !== undefined) {
    const problem = passwordProblem(changes.password);
    if (problem) throw new ValidationError(problem, { field: 'password' });
  }
  const set: Partial<typeof users.$inferInsert> = {};
  const recorded: Record<string, unknown> = { userId: id };
  const administered: AccountChangeKind[] = [];
  if (changes.name !== undefined && changes.name.trim() !== current.name) {
    set.name = changes.name.trim();
    recorded.name = { old: personal(current.name), new: personal(set.name) };
  }
  if (changes.roles) {
    set.roles = [...new Set(changes.roles)];
    recorded.roles = { old: current.roles, new: set.roles };
    administered.push('roles');
  }
  if (changes.teams) {
    set.teams = [...new Set(changes.teams)];
    recorded.teams = { old: current.teams, new: set.teams };
    administered.push('teams');
  }
  if (changes.disabled !== undefined && changes.disabled !== (current.disabledAt !== null)) {
    set.disabledAt = changes.disabled ? new Date() : null;
    recorded.disabled = changes.disabled;
    administered.push(changes.disabled ? 'disabled' : 'enabled');
  }
  if (changes.password !== undefined) {
    set.passwordHash = await hashPassword(changes.password);
    recorded.passwordChanged = true;
    administered.push('password');
  }
  if (Object.keys(set).length === 0) return current;
  await tx.update(users).set(set).where(eq(users.id, id));
  // A new role set is a new grant of power: what was issued under the old one ends with it.
  const rolesChanged = set.roles !== undefined && !sameMembers(set.roles, current.roles);
  if (set.passwordHash !== undefined || set.disabledAt || rolesChanged) Object.assign(recorded, await endCredentials(tx, id, new Date()));
  await appendEvents(tx, SYSTEM_STREAM, [{ kind: 'user.updated', actor, data: recorded }], {
    subject: current.email,
    ...(administered.length > 0 ? { alongside: recordAccountChange(tx, id, actor, administered) } : {}),
  });
  const [updated] = await tx.select().from(users).where(eq(users.id, id));
  return updated!;
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x)) && b.every((x) => a.includes(x));
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, normaliseEmail(email)));
  return row;
}

export async function findUser(db: Queryable, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function listUsers(db: Queryable): Promise<UserRow[]> {
  return db.select().from(users).orderBy(asc(users.email));
}

export async function countUsers(db: Queryable): Promise<number> {
  return (await db.$count(users));
}

/** The public shape of a user: never the password hash. */
export function presentUser(user: UserRow) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    roles: user.roles,
    teams: user.teams,
    disabled: user.disabledAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}
