/**
 * A `latch verify --jobs` thread: takes items of the shared work (@latch/core/bundle-work) until
 * none is left, then says so. It starts while the calling thread reads the bundle, and is sent the
 * work when the plan is ready.
 */
import { parentPort } from 'node:worker_threads';
import { doWork, type SharedWork } from '@latch/core/bundle-work';

parentPort!.once('message', (work: SharedWork) => {
  doWork(work);
  parentPort!.postMessage('done');
});
