import { existsSync, readFileSync, statSync } from 'node:fs';
import { addWitnessCheck, checkWitnesses, parseWitnessList, type BundleReport, type WitnessList } from '@latch/core';
import { asc, desc, eq, inArray } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { logCheckpoints, logCosignatures } from '../db/schema.js';
import { CliError } from './cli-error.js';

/** `latch verify <bundle> --witness <file> [--min-witnesses N]`: the options, checked before the bundle is read. */
export interface WitnessVerifyOptions {
  witness?: string;
  minWitnesses?: string;
}

export interface WitnessRequirement {
  list: WitnessList;
  minWitnesses?: number;
}

/** Reads --witness and --min-witnesses; undefined when neither is given. Bad values are one-line errors. */
export function witnessRequirement(o: WitnessVerifyOptions): WitnessRequirement | undefined {
  if (o.witness === undefined) {
    if (o.minWitnesses !== undefined) throw new CliError('--min-witnesses counts cosignatures by the witnesses you trust: pass --witness <file> listing their keys');
    return undefined;
  }
  let minWitnesses: number | undefined;
  if (o.minWitnesses !== undefined) {
    if (!/^[1-9][0-9]{0,2}$/.test(o.minWitnesses)) throw new CliError(`--min-witnesses ${o.minWitnesses}: want a whole number from 1`);
    minWitnesses = Number(o.minWitnesses);
  }
  if (!existsSync(o.witness) || !statSync(o.witness).isFile()) throw new CliError(`no witness file at ${o.witness}`);
  let list: WitnessList;
  try {
    list = parseWitnessList(readFileSync(o.witness, 'utf8'));
  } catch (error) {
    throw new CliError(`${o.witness}: ${(error as Error).message}`);
  }
  if (minWitnesses !== undefined && minWitnesses > list.witnesses.length) {
    throw new CliError(`--min-witnesses ${minWitnesses} is more than the ${list.witnesses.length} witness(es) ${o.witness} lists`);
  }
  return { list, ...(minWitnesses !== undefined ? { minWitnesses } : {}) };
}

/** Adds the witnesses check to the report when the auditor asked for one. */
export function withWitnessCheck(report: BundleReport, files: ReadonlyMap<string, Uint8Array>, requirement: WitnessRequirement | undefined): BundleReport {
  return requirement === undefined ? report : addWitnessCheck(report, files, requirement.list, requirement.minWitnesses === undefined ? {} : { minWitnesses: requirement.minWitnesses });
}

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
