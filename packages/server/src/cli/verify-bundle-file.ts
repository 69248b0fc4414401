/**
 * `latch verify <bundle>`: an evidence bundle checked offline. It loads only what that takes
 * (@latch/core/verify, the zip, the --jobs threads): never the database, the server or the policy
 * engine, which would take an auditor longer to load than a large bundle takes to verify.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { BundleZipError, formatBundleReport, parseTrustFile, verifyBundle, type TrustedKey } from '@latch/core/verify';
import { CliError } from './cli-error.js';
import { printJson } from './output.js';
import { readBundleOnThreads, startThreads } from './verify-jobs.js';
import type { VerifyOptions } from './verify-run.js';
import { readCheckpointFile } from './verify-since.js';
import { withWitnessCheck, witnessRequirement } from './witness-requirement.js';

/**
 * A bundle larger than this, unpacked, is refused rather than read into memory: 2 GiB holds some three
 * million events (a case of 100,000 is 64 MB), and a verification takes about twice what it unpacks.
 */
const MAX_UNPACKED_BYTES = 2 * 1024 ** 3;

/** A trust file lists a few keys: one larger than this (or a device that never ends, /dev/zero) is not one. */
const MAX_TRUST_FILE_BYTES = 1024 ** 2;

/**
 * The bytes of a file an auditor names, read to at most `limit` bytes: a pipe is read as it comes, and
 * `-` or /dev/stdin is standard input (whatever it is: a socket can't be opened by that name);
 * anything longer, a directory or an unreadable path is one clear line, never a stack.
 */
function readSmallFile(file: string, what: string, limit: number): Buffer {
  const stdin = file === '-' || file === '/dev/stdin';
  let fd: number;
  try {
    fd = stdin ? 0 : openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `no ${what} at ${file}` : `${file}: cannot be read (${code ?? 'error'})`);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      let read: number;
      try {
        read = readSync(fd, chunk, 0, chunk.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new CliError(code === 'EISDIR' ? `${file}: a directory, not a ${what}` : `${file}: cannot be read (${code ?? 'error'})`);
      }
      if (read === 0) return Buffer.concat(chunks, total);
      total += read;
      if (total > limit) throw new CliError(`${file}: larger than ${limit} bytes: not a ${what}`);
      chunks.push(chunk.subarray(0, read));
    }
  } finally {
    if (!stdin) closeSync(fd);
  }
}

export function readTrust(file: string): TrustedKey[] {
  const bytes = readSmallFile(file, 'trust file', MAX_TRUST_FILE_BYTES);
  try {
    return parseTrustFile(bytes.toString('utf8'));
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

/**
 * The zip's bytes; with several jobs, read straight into memory the worker threads share, so no
 * member is copied to them. A copy would cost as much again as the reading: every page of new memory
 * is mapped on first touch (about 0.2 s for 70 MB on the development machine).
 */
function readZip(file: string, jobs: number): Buffer {
  if (jobs === 1) return readFileSync(file);
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const zip = Buffer.from(new SharedArrayBuffer(size));
    for (let at = 0; at < size; ) {
      const read = readSync(fd, zip, at, size - at, at);
      if (read === 0) throw new CliError(`${file}: the file shrank while it was read`);
      at += read;
    }
    return zip;
  } finally {
    closeSync(fd);
  }
}


export async function verifyBundleFile(file: string, o: VerifyOptions): Promise<void> {
  if (!o.trust) throw new CliError('a bundle is verified against keys you trust, never keys it carries: pass --trust <file> (the log operator gives it: `latch log trust`)');
  if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`no bundle at ${file}`);
  const trusted = readTrust(o.trust);
  const witnesses = witnessRequirement(o);
  const since = o.since === undefined ? undefined : readCheckpointFile(o.since);
  const jobs = jobsOf(o);
  // The other threads start now and take their share of the work once the zip is read (verify-jobs.ts).
  const threads = startThreads(jobs - 1);
  let read: Awaited<ReturnType<typeof readBundleOnThreads>>;
  try {
    // One strict reading (bundle-zip.ts says why not fflate's): the bytes checked are the only bytes
    // any zip tool shows. A zip that could be read two ways, or is corrupt, is refused in one line.
    read = await readBundleOnThreads(readZip(file, jobs), threads, MAX_UNPACKED_BYTES);
  } catch (error) {
    if (error instanceof BundleZipError) throw new CliError(`${file}: refused: ${error.message}`, 3, 'BUNDLE_ZIP_REFUSED');
    throw error;
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
  const { files, done } = read;
  const report = withWitnessCheck(verifyBundle(files, { trusted, ...(since !== undefined ? { since } : {}), ...done }), files, witnesses);
  if (o.json) printJson(report);
  else process.stdout.write(formatBundleReport(report));
  if (!report.ok) throw new CliError(`${file}: ${report.failures.length} problem(s)`, 3);
}
