import { Worker } from 'node:worker_threads';
import { crcMismatch, readBundleZip, type UncheckedCrc, type VerifyBundleOptions } from '@latch/core/verify';
import { doWork, firstCrcMismatch, planWork, workDone, workResults, type SharedWork } from '@latch/core/bundle-work';
import { CliError } from './cli-error.js';

/**
 * Threads for `latch verify --jobs`, started before the bundle is read so that their start-up
 * (tens of milliseconds each) overlaps the reading. Each waits for the work.
 */
export function startThreads(count: number): Worker[] {
  return Array.from({ length: count }, () => new Worker(new URL('./verify-worker.js', import.meta.url)));
}

/**
 * `latch verify --jobs`: the files' SHA-256 (and the CRC-32 readBundleZip left unchecked) and, for
 * a format 2 bundle, each event's SHA-256, leaf hash, canonical scan and story comparison, on the
 * started threads and this one, in shared memory (@latch/core/bundle-work), then handed to
 * verifyBundle, which does the rest. The values are the ones verifyBundle would compute: the report
 * is the same, and a member with a bad CRC-32 is refused (BundleZipError) as the zip reader refuses
 * it. This thread works too, so it never waits for a thread still starting: once every item is
 * done, the caller stops the threads, started or not.
 */
async function workOnThreads(
  files: ReadonlyMap<string, Buffer>,
  zip: SharedArrayBuffer,
  threads: Worker[],
  uncheckedCrcs: readonly UncheckedCrc[] = [],
): Promise<Pick<VerifyBundleOptions, 'fileHashes' | 'eventHashes'>> {
  const work: SharedWork = planWork(files, zip, { uncheckedCrcs });
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (workDone(work)) resolve();
    };
    // A thread that fails leaves its item undone: the verification stops with one line, never a guess.
    const failed = (why: string): void => reject(new CliError(`a --jobs thread failed (${why}); verify without --jobs`, 1, 'VERIFY_THREAD_FAILED'));
    for (const thread of threads) {
      thread.on('message', check);
      thread.once('error', (error) => failed(error.message));
      thread.once('exit', (code) => (code === 0 ? check() : failed(`exit code ${code}`)));
      thread.postMessage(work);
    }
    doWork(work);
    check();
  });
  const corrupt = firstCrcMismatch(work);
  if (corrupt !== undefined) throw crcMismatch(corrupt);
  return workResults(work);
}

/**
 * What `latch verify` (and the bench) reads from a bundle's zip: its files, strictly (readBundleZip),
 * and with threads their share of the work, the members' CRC-32 among it; with none, nothing more.
 * With threads, `zip` must lie in shared memory. Throws BundleZipError for a zip it refuses.
 */
export async function readBundleOnThreads(
  zip: Buffer,
  threads: Worker[],
  maxUnpackedBytes?: number,
): Promise<{ files: Map<string, Buffer>; done: Pick<VerifyBundleOptions, 'fileHashes' | 'eventHashes'> }> {
  if (threads.length === 0) return { files: readBundleZip(zip, maxUnpackedBytes), done: {} };
  if (!(zip.buffer instanceof SharedArrayBuffer)) throw new Error('with threads, the zip must be read into shared memory');
  const uncheckedCrcs: UncheckedCrc[] = [];
  const files = readBundleZip(zip, maxUnpackedBytes, uncheckedCrcs);
  return { files, done: await workOnThreads(files, zip.buffer, threads, uncheckedCrcs) };
}
