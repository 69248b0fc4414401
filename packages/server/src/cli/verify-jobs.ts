import { Worker } from 'node:worker_threads';
import type { VerifyBundleOptions } from '@latch/core';
import { doWork, hasWork, mergeWork, planWork, type WorkDone, type WorkOrder } from '@latch/core/bundle-work';

function workInThread(order: WorkOrder): Promise<WorkDone> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: order });
    worker.once('message', (done: WorkDone) => {
      resolve(done);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/**
 * `latch verify --jobs`: the files' SHA-256 and, for a format 2 bundle, each event's SHA-256, leaf
 * hash, story line and canonical scan, computed on `jobs` threads (this one included) and handed to
 * verifyBundle, which does the rest. The values are the ones verifyBundle would compute: the report
 * is the same (@latch/core/bundle-work plans the shares and merges them).
 */
export async function workOnThreads(files: ReadonlyMap<string, Buffer>, zip: SharedArrayBuffer, jobs: number): Promise<Pick<VerifyBundleOptions, 'fileHashes' | 'eventHashes'>> {
  const orders = planWork(files, zip, jobs);
  const others = orders.slice(1).filter(hasWork).map(workInThread);
  return mergeWork([doWork(orders[0]!), ...(await Promise.all(others))]);
}
