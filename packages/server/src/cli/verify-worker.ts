/** A `latch verify --jobs` thread: does its share (@latch/core/bundle-work) and posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { doWork, type WorkOrder } from '@latch/core/bundle-work';

parentPort!.postMessage(doWork(workerData as WorkOrder));
