import { hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Runs in each worker: hashes its share of the members, read in place from the shared zip. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const zip = Buffer.from(workerData.zip);
parentPort.postMessage(workerData.members.map(([name, offset, length]) => [name, hash('sha256', zip.subarray(offset, offset + length), 'hex')]));
`;

type Member = [name: string, offset: number, length: number];

function hashInWorker(zip: SharedArrayBuffer, members: Member[]): Promise<Array<[string, string]>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { zip, members } });
    worker.once('message', (pairs: Array<[string, string]>) => {
      resolve(pairs);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/**
 * SHA-256 (hex) of the bundle's files, hashed on `jobs` threads (this one included). Files stored
 * in the shared zip are hashed where they lie; any other file (a deflated member) is left for the
 * verifier to hash. The values are the ones the verifier would compute: the report is the same.
 */
export async function hashFilesOnThreads(files: ReadonlyMap<string, Buffer>, zip: SharedArrayBuffer, jobs: number): Promise<Map<string, string>> {
  const members: Member[] = [];
  for (const [name, bytes] of files) if (bytes.buffer === zip) members.push([name, bytes.byteOffset, bytes.length]);
  const share = Math.ceil(members.length / jobs);
  const slices = Array.from({ length: jobs }, (_, i) => members.slice(i * share, (i + 1) * share));
  const others = slices.slice(1).filter((slice) => slice.length > 0).map((slice) => hashInWorker(zip, slice));
  const hashes = new Map<string, string>();
  const view = Buffer.from(zip);
  for (const [name, offset, length] of slices[0]!) hashes.set(name, hash('sha256', view.subarray(offset, offset + length), 'hex'));
  for (const pairs of await Promise.all(others)) for (const [name, sha256] of pairs) hashes.set(name, sha256);
  return hashes;
}
