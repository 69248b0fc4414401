import { sql } from 'drizzle-orm';
import type { TeamDirectory } from '../access/teams.js';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { Queryable } from '../db/database.js';
import { users } from '../db/schema.js';
import { StartupError } from '../startup-error.js';

/**
 * Refuses to start when an escalation rule reassigns to a queue no team works or to a person who
 * has no account: the rule would fire months later and do nothing. Each problem names the case
 * type's file and the rule's path.
 */
export async function checkEscalationTargets(db: Queryable, registry: CaseTypeRegistry, teams: TeamDirectory): Promise<void> {
  const problems: string[] = [];
  for (const type of registry.list()) {
    for (const [r, rule] of (type.definition.escalations ?? []).entries()) {
      for (const [a, action] of rule.do.entries()) {
        if (!('reassign' in action)) continue;
        const path = `${type.source}: escalations[${r}].do[${a}].reassign`;
        if ('queue' in action.reassign) {
          if (!teams.isKnownQueue(action.reassign.queue)) problems.push(`${path}.queue '${action.reassign.queue}' is not a queue any team in teams.yaml works`);
        } else if (!(await userExists(db, action.reassign.user))) {
          // The path finds it in the file; the email itself stays out of the log.
          problems.push(`${path}.user is not the email of any user`);
        }
      }
    }
  }
  if (problems.length > 0) throw new StartupError(`Invalid escalation rules: ${problems.join('; ')}`);
}

async function userExists(db: Queryable, email: string): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`);
  return row !== undefined;
}
