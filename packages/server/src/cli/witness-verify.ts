import { checkWitnesses } from '@latch/core';
import { asc, desc, eq, inArray } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { logCheckpoints, logCosignatures } from '../db/schema.js';
import type { WitnessRequirement } from './witness-requirement.js';

/** `latch verify --all --witness`: which checkpoint of the database the witnesses vouch for. */
export interface LogWitnessCheck {
  /** The newest checkpoint whose stored cosignatures meet the requirement, if any. */
  size?: number;
  cosignedBy: Array<{ name: string; time: string }>;
  required: string;
  /** Leaves of the log after that checkpoint: no witness vouches for them yet. */
  unwitnessedLeaves: number;
  summary: string;
  problems: string[];
}

/**
 * With --all: the checkpoints in the database, newest first, with the cosignature lines stored for
 * them (log_cosignatures), checked against the witnesses the auditor lists, until one meets the
 * requirement (--min-witnesses, else the policy's quorum, else one). None meeting it is a problem,
 * and so is a stored cosignature by a listed witness that does not verify (it was forged or altered).
 * The checkpoints' roots are checked against the tree by verifyLog, beside this.
 */
export async function checkLogWitnesses(db: Queryable, requirement: WitnessRequirement, leaves: number): Promise<LogWitnessCheck> {
  const keys = requirement.list.witnesses.map((w) => w.key.verifierKey);
  const options = requirement.minWitnesses === undefined ? {} : { minWitnesses: requirement.minWitnesses };
  const sizes = await db
    .selectDistinct({ size: logCosignatures.size })
    .from(logCosignatures)
    .where(inArray(logCosignatures.witnessKey, keys))
    .orderBy(desc(logCosignatures.size));
  const problems: string[] = [];
  let required = checkWitnesses('', requirement.list, options).required;
  for (const { size } of sizes) {
    const [checkpoint] = await db.select({ note: logCheckpoints.note }).from(logCheckpoints).where(eq(logCheckpoints.size, size));
    if (checkpoint === undefined) continue;
    const lines = await db.select({ line: logCosignatures.line }).from(logCosignatures).where(eq(logCosignatures.size, size)).orderBy(asc(logCosignatures.witnessKey));
    const result = checkWitnesses(checkpoint.note + lines.map((l) => l.line).join(''), requirement.list, options);
    required = result.required;
    const broken = result.problems.filter((p) => !p.startsWith('the checkpoint is cosigned by '));
    for (const problem of broken) problems.push(`checkpoint of size ${size}: ${problem}`);
    if (result.ok) {
      const cosignedBy = result.cosignedBy.map((c) => ({ name: c.name, time: c.time }));
      const who = cosignedBy.map((c) => `${c.name} (${c.time})`).join(', ');
      const unwitnessedLeaves = Math.max(0, leaves - size);
      const rest = unwitnessedLeaves === 0 ? 'it covers the whole log' : `the ${unwitnessedLeaves} leaves after it are not cosigned yet`;
      return { size, cosignedBy, required, unwitnessedLeaves, summary: `the checkpoint of size ${size} is cosigned by ${who} (required ${required}); ${rest}`, problems };
    }
  }
  problems.push(`no checkpoint in the database is cosigned by ${required}: nothing outside Latch vouches for the log`);
  return { cosignedBy: [], required, unwitnessedLeaves: leaves, summary: '', problems };
}
