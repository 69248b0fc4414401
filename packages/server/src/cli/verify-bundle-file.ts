/**
 * `latch verify <bundle>`: an evidence bundle checked offline. It loads only what that takes
 * (@latch/core/verify, the zip, the --jobs threads): never the database, the server or the policy
 * engine, which would take an auditor longer to load than a large bundle takes to verify.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { BundleZipError, formatBundleReport, parseTrustFile, readBundleZip, verifyBundle, type TrustedKey } from '@latch/core/verify';
import { CliError } from './cli-error.js';
import { printJson } from './output.js';
import { workOnThreads } from './verify-jobs.js';
import type { VerifyOptions } from './verify-run.js';
import { readCheckpointFile } from './verify-since.js';
import { withWitnessCheck, witnessRequirement } from './witness-requirement.js';

/** A bundle larger than this, unpacked, is refused rather than read into memory. */
const MAX_UNPACKED_BYTES = 4 * 1024 ** 3;

export function readTrust(file: string): TrustedKey[] {
  if (!existsSync(file)) throw new CliError(`no trust file at ${file}`);
  try {
    return parseTrustFile(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
}

/** --jobs: a whole number of threads, 1 to 64, or `auto`: one per core (at most 64). */
function jobsOf(o: VerifyOptions): number {
  if (o.jobs === undefined) return 1;
  if (o.jobs === 'auto') return Math.min(64, Math.max(1, availableParallelism()));
  const jobs = Number(o.jobs);
  if (!/^[1-9][0-9]*$/.test(o.jobs) || jobs > 64) throw new CliError(`--jobs ${o.jobs}: give a whole number of threads from 1 to 64, or auto (one per core)`, 1, 'VALIDATION_FAILED');
  return jobs;
}

/** The zip's bytes; with several jobs, in memory the worker threads share, so no member is copied to them. */
function readZip(file: string, jobs: number): { zip: Buffer; shared?: SharedArrayBuffer } {
  const bytes = readFileSync(file);
  if (jobs === 1) return { zip: bytes };
  const shared = new SharedArrayBuffer(bytes.length);
  const zip = Buffer.from(shared);
  bytes.copy(zip);
  return { zip, shared };
}

export async function verifyBundleFile(file: string, o: VerifyOptions): Promise<void> {
  if (!o.trust) throw new CliError('a bundle is verified against keys you trust, never keys it carries: pass --trust <file> (the log operator gives it: `latch log trust`)');
  if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`no bundle at ${file}`);
  const trusted = readTrust(o.trust);
  const witnesses = witnessRequirement(o);
  const since = o.since === undefined ? undefined : readCheckpointFile(o.since);
  const jobs = jobsOf(o);
  const { zip, shared } = readZip(file, jobs);
  let files: Map<string, Buffer>;
  try {
    // One strict reading (bundle-zip.ts says why not fflate's): the bytes checked are the only bytes any zip tool shows.
    files = readBundleZip(zip, MAX_UNPACKED_BYTES);
  } catch (error) {
    if (error instanceof BundleZipError) throw new CliError(`${file}: refused: ${error.message}`, 3, 'BUNDLE_ZIP_REFUSED');
    throw error;
  }
  const done = shared === undefined ? {} : await workOnThreads(files, shared, jobs);
  const report = withWitnessCheck(verifyBundle(files, { trusted, ...(since !== undefined ? { since } : {}), ...done }), files, witnesses);
  if (o.json) printJson(report);
  else process.stdout.write(formatBundleReport(report));
  if (!report.ok) throw new CliError(`${file}: ${report.failures.length} problem(s)`, 3);
}
