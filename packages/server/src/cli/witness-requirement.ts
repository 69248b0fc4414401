import { existsSync, readFileSync, statSync } from 'node:fs';
import { addWitnessCheck, parseWitnessList, type BundleReport, type WitnessList } from '@latch/core/verify';
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
