import type { EventBody } from '@latch/core';
import { isNull, sql } from 'drizzle-orm';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { Database, Queryable } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { events, users } from '../db/schema.js';
import { StartupError } from '../startup-error.js';
import { loadRoles, type RoleSet } from './role-set.js';

/** The data of a `roles.defined` event on the system stream. */
export interface RolesDefined {
  readonly version: number;
  readonly sha256: string;
  readonly roles: Record<string, { description: string; permissions: string[] }>;
}

const ROLES_ACTOR = { type: 'system', id: 'roles' } as const;

/** The newest role set recorded on the system stream, if any. */
export async function recordedRoles(db: Queryable): Promise<RolesDefined | undefined> {
  const [row] = await db
    .select({ bytes: events.bytes })
    .from(events)
    .where(sql`${events.stream} = ${SYSTEM_STREAM} and ${events.kind} = 'roles.defined'`)
    .orderBy(sql`${events.seq} desc`)
    .limit(1);
  return row ? ((JSON.parse(row.bytes) as EventBody).data as unknown as RolesDefined) : undefined;
}

/**
 * Records the role set on the system stream when it differs from the newest one recorded
 * (`roles.defined {version, sha256, roles}`), and returns it with its version. An unchanged file
 * keeps its version, so restarts record nothing. Concurrent starts are serialised by a lock.
 */
export async function syncRoles(database: Database, roles: RoleSet): Promise<RoleSet> {
  return database.write(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('latch.roles.defined'))`);
    const last = await recordedRoles(tx);
    if (last?.sha256 === roles.digest) return roles.withVersion(last.version);
    const version = (last?.version ?? 0) + 1;
    const data: RolesDefined = { version, sha256: roles.digest, roles: roles.definitions() };
    await appendEvents(tx, SYSTEM_STREAM, [{ kind: 'roles.defined', actor: ROLES_ACTOR, data: { ...data } }], { subject: 'system' });
    return roles.withVersion(version);
  });
}

/** What is wrong with a role set against the deployment: errors refuse to start, warnings are said. */
export interface RoleReport {
  readonly errors: string[];
  readonly warnings: string[];
}

/**
 * Checks the role set against the newest version of each case type: a policy step naming an
 * undefined role could never be approved (an error); an older version only warns, its cases are in
 * flight. A role with no permission is a warning.
 */
export function checkRoles(roles: RoleSet, caseTypes: CaseTypeRegistry): RoleReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const name of roles.names()) {
    if (roles.roles.get(name)!.permissions.length === 0) warnings.push(`role '${name}' (${roles.source}) grants no permission`);
  }
  const latest = new Map(caseTypes.list().map((t) => [t.definition.key, t.definition.version]));
  for (const type of caseTypes.list()) {
    for (const policy of type.definition.policies ?? []) {
      for (const step of policy.steps) {
        if (step.role === undefined || roles.has(step.role)) continue;
        const where = `${type.source}: policy ${policy.key}: step '${step.name}' names role '${step.role}', which ${roles.source} does not define (defined: ${roles.names().join(', ')})`;
        if (latest.get(type.definition.key) === type.definition.version) errors.push(where);
        else warnings.push(`${where}; actions of this older version waiting for that step can't be approved`);
      }
    }
  }
  return { errors, warnings };
}

/** The role set against the users: roles held but not defined (they grant nothing), and roles no active user holds. */
export async function roleUsageWarnings(roles: RoleSet, db: Queryable): Promise<string[]> {
  const held = await heldRoles(db);
  const warnings: string[] = [];
  for (const [role, count] of held) {
    if (!roles.has(role)) warnings.push(`${count} active user(s) hold role '${role}', which ${roles.source} does not define: it grants them nothing`);
  }
  // A deployment with no active user yet (a first start, a test) holds no role: nothing to say.
  if (held.size === 0) return warnings;
  for (const name of roles.names()) if (!held.has(name)) warnings.push(`role '${name}' is held by no active user`);
  return warnings;
}

/** Active users per role they hold. */
async function heldRoles(db: Queryable): Promise<Map<string, number>> {
  const rows = await db.select({ roles: users.roles }).from(users).where(isNull(users.disabledAt));
  const held = new Map<string, number>();
  for (const row of rows) for (const role of row.roles) held.set(role, (held.get(role) ?? 0) + 1);
  return held;
}

/**
 * Loads roles.yaml, refuses to start on a problem (an unknown permission, a policy step naming a
 * role not defined), says each warning, and records the role set when it changed.
 */
export async function openRoles(database: Database, configDir: string, caseTypes: CaseTypeRegistry, say: (level: 'info' | 'warn', message: string) => void): Promise<RoleSet> {
  const roles = loadRoles(configDir, say);
  const report = checkRoles(roles, caseTypes);
  if (report.errors.length > 0) throw new StartupError(`roles: ${report.errors.join('; ')}`);
  for (const warning of report.warnings) say('warn', `roles: ${warning}`);
  return syncRoles(database, roles);
}
