import { Worker } from 'node:worker_threads';
import { EVENTS_FILE, PEOPLE_FILE, STORY_FILE, type VerifyBundleOptions } from '@latch/core';
import { doWork, type Member, type WorkDone, type WorkOrder } from '@latch/core/bundle-work';

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

/** `bytes` in shared memory: where it lies in the zip when it is stored there, else a copy. */
function inSharedMemory(bytes: Buffer, zip: SharedArrayBuffer): { buffer: SharedArrayBuffer; offset: number } {
  if (bytes.buffer === zip) return { buffer: zip, offset: bytes.byteOffset };
  const buffer = new SharedArrayBuffer(bytes.length);
  bytes.copy(Buffer.from(buffer));
  return { buffer, offset: 0 };
}

/** Cuts [start, end) of `bytes` into `jobs` runs of whole lines: each cut just after a '\n'. */
function lineShares(bytes: Buffer, start: number, end: number, jobs: number): Array<[number, number]> {
  const shares: Array<[number, number]> = [];
  let from = start;
  for (let j = 1; j <= jobs; j++) {
    let to = j === jobs ? end : start + Math.floor(((end - start) * j) / jobs);
    if (j < jobs) {
      const newline = bytes.indexOf(0x0a, Math.max(to - 1, from));
      to = newline < 0 || newline >= end ? end : newline + 1;
    }
    shares.push([from, to]);
    from = to;
  }
  return shares;
}

/** Counts the lines of bytes [start, end): events before a share's start give its first seq. */
function linesIn(bytes: Buffer, start: number, end: number): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a, start); i >= 0 && i < end; i = bytes.indexOf(0x0a, i + 1)) count++;
  return count;
}

/**
 * `latch verify --jobs`: the files' SHA-256 and, for a format 2 bundle, each event's SHA-256, leaf
 * hash, story line and canonical scan, computed on `jobs` threads (this one included) and handed to verifyBundle,
 * which does the rest. The values are the ones verifyBundle would compute: the report is the same.
 */
export async function workOnThreads(files: ReadonlyMap<string, Buffer>, zip: SharedArrayBuffer, jobs: number): Promise<Pick<VerifyBundleOptions, 'fileHashes' | 'eventHashes'>> {
  const members: Member[] = [];
  for (const [name, bytes] of files) if (bytes.buffer === zip) members.push([name, bytes.byteOffset, bytes.length]);
  const share = Math.ceil(members.length / jobs);
  const orders: WorkOrder[] = Array.from({ length: jobs }, (_, i) => ({ zip, members: members.slice(i * share, (i + 1) * share) }));
  const events = files.get(EVENTS_FILE);
  if (events !== undefined && events.length > 0) {
    const { buffer, offset } = inSharedMemory(events, zip);
    const people = files.has(STORY_FILE) ? files.get(PEOPLE_FILE) : undefined;
    const view = Buffer.from(buffer);
    let firstSeq = 1;
    for (const [i, [start, end]] of lineShares(view, offset, offset + events.length, jobs).entries()) {
      orders[i]!.events = { buffer, start, end, firstSeq, ...(people !== undefined ? { people: new Uint8Array(people) } : {}) };
      firstSeq += linesIn(view, start, end);
    }
  }
  const others = orders.slice(1).filter((o) => o.members.length > 0 || (o.events !== undefined && o.events.start < o.events.end)).map(workInThread);
  const results = [doWork(orders[0]!), ...(await Promise.all(others))];
  const fileHashes = new Map<string, string>();
  for (const done of results) for (const [name, sha256] of done.fileHashes) fileHashes.set(name, sha256);
  if (events === undefined || events.length === 0) return { fileHashes };
  const scans = new Int32Array(results.reduce((n, r) => n + r.scans.length, 0));
  let at = 0;
  for (const r of results) {
    scans.set(r.scans, at);
    at += r.scans.length;
  }
  const eventHashes = { sha256: results.flatMap((r) => r.sha256), leaves: results.flatMap((r) => r.leaves), storyLines: results.flatMap((r) => r.storyLines), scans };
  return { fileHashes, eventHashes };
}
