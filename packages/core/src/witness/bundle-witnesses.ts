/**
 * The witnesses step of bundle verification: the bundle's checkpoint must carry valid cosignatures
 * from enough of the witnesses the auditor lists (docs/evidence-bundle.md, "Witnesses").
 */
import { isUtf8 } from 'node:buffer';
import { CheckRecorder, type BundleReport } from '../proof/bundle-report.js';
import { CHECKPOINT_FILE } from '../proof/bundle.js';
import { checkWitnesses, type WitnessList } from './witness-check.js';

/** Adds a `witnesses` check to a bundle report (failing it, and the report, when the quorum is not met). */
export function addWitnessCheck(report: BundleReport, files: ReadonlyMap<string, Uint8Array>, list: WitnessList, options: { minWitnesses?: number; now?: number } = {}): BundleReport {
  const check = new CheckRecorder('witnesses', report);
  const bytes = files.get(CHECKPOINT_FILE);
  if (bytes === undefined || !isUtf8(bytes)) {
    check.fail(`${CHECKPOINT_FILE}: ${bytes === undefined ? 'missing' : 'not UTF-8 text'}: no cosignature can be checked`);
    check.finish('');
    report.ok = false;
    return report;
  }
  const result = checkWitnesses(Buffer.from(bytes).toString('utf8'), list, options);
  for (const problem of result.problems) check.fail(`${CHECKPOINT_FILE}: ${problem}`);
  const who = result.cosignedBy.map((c) => `${c.name} (${c.time})`).join(', ');
  check.finish(`cosigned by ${who}; required ${result.required}`);
  if (!result.ok) report.ok = false;
  return report;
}
