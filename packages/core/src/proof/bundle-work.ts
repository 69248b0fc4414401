/**
 * The share of a bundle's verification that `latch verify --jobs` spreads over threads: hashing
 * files, and per event of a format 2 bundle its SHA-256, its RFC 6962 leaf hash, its story line and
 * its canonical scan.
 * The same function runs on every thread, this one included, so the values are the ones the
 * verifier computes itself, and the report is the same with any number of threads.
 *
 * Threads import this module alone (`@latch/core/bundle-work`), not all of @latch/core: a thread
 * then starts in a tenth of the CPU time.
 */
import { hash } from 'node:crypto';
import { leafHashLatin1 } from './batch-inclusion.js';
import { PACKED_SCAN, packEventScan } from './bundle-events.js';
import { PEOPLE_FILE, STORY_FILE, StoryWriter, storyNames } from './bundle-story.js';
import { EVENTS_FILE } from './bundle.js';
import type { VerifyBundleOptions } from './verify-bundle.js';

/** A file in a shared buffer: name, offset, length. */
export type Member = [name: string, offset: number, length: number];

export interface WorkOrder {
  /** The memory every thread reads: the zip (stored members are read in place), or a copy of events.jsonl. */
  zip: SharedArrayBuffer;
  members: Member[];
  events?: {
    buffer: SharedArrayBuffer;
    /** This share's lines: [start, end) of the buffer, on line boundaries; the first is event `firstSeq`. */
    start: number;
    end: number;
    firstSeq: number;
    /** people.json, when the story is to be written again. */
    people?: Uint8Array;
  };
}

export interface WorkDone {
  /** Whether this share had events to work on. */
  events: boolean;
  fileHashes: Array<[name: string, sha256: string]>;
  sha256: string[];
  leaves: string[];
  storyLines: string[];
  /** Each event's canonical scan, packed (PACKED_SCAN numbers per event). */
  scans: Int32Array;
}

export function doWork(order: WorkOrder): WorkDone {
  const zip = Buffer.from(order.zip);
  const fileHashes = order.members.map(([name, offset, length]): [string, string] => [name, hash('sha256', zip.subarray(offset, offset + length), 'hex')]);
  const done: WorkDone = { events: order.events !== undefined, fileHashes, sha256: [], leaves: [], storyLines: [], scans: new Int32Array(0) };
  const events = order.events;
  if (events === undefined) return done;
  const scans: number[] = [];
  const row = new Int32Array(PACKED_SCAN);
  const bytes = Buffer.from(events.buffer);
  const names = events.people === undefined ? undefined : storyNames(Buffer.from(events.people));
  const story = names !== undefined && typeof names !== 'string' ? new StoryWriter(names) : undefined;
  let seq = events.firstSeq;
  for (let start = events.start; start < events.end; seq++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0 || end > events.end) end = events.end;
    const line = bytes.subarray(start, end);
    done.sha256.push(hash('sha256', line, 'hex'));
    done.leaves.push(leafHashLatin1(line));
    packEventScan(line, row, 0);
    if (story !== undefined) done.storyLines.push(story.line(seq, line, row, 0));
    for (let k = 0; k < PACKED_SCAN; k++) scans.push(row[k]!);
    start = end + 1;
  }
  done.scans = Int32Array.from(scans);
  return done;
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
 * The shares of `jobs` threads: the files stored in the shared zip, a run of members each, and a
 * run of events.jsonl's whole lines each (with people.json when the story is to be checked).
 */
export function planWork(files: ReadonlyMap<string, Buffer>, zip: SharedArrayBuffer, jobs: number): WorkOrder[] {
  const members: Member[] = [];
  for (const [name, bytes] of files) if (bytes.buffer === zip) members.push([name, bytes.byteOffset, bytes.length]);
  const share = Math.ceil(members.length / jobs);
  const orders: WorkOrder[] = Array.from({ length: jobs }, (_, i) => ({ zip, members: members.slice(i * share, (i + 1) * share) }));
  const events = files.get(EVENTS_FILE);
  if (events === undefined || events.length === 0) return orders;
  const { buffer, offset } = inSharedMemory(events, zip);
  const people = files.has(STORY_FILE) ? files.get(PEOPLE_FILE) : undefined;
  const view = Buffer.from(buffer);
  let firstSeq = 1;
  for (const [i, [start, end]] of lineShares(view, offset, offset + events.length, jobs).entries()) {
    orders[i]!.events = { buffer, start, end, firstSeq, ...(people !== undefined ? { people: new Uint8Array(people) } : {}) };
    firstSeq += linesIn(view, start, end);
  }
  return orders;
}

/** A share with anything to do (the first is always done, on the calling thread). */
export const hasWork = (order: WorkOrder): boolean => order.members.length > 0 || (order.events !== undefined && order.events.start < order.events.end);

/** The shares' results, in the order of planWork's shares, as verifyBundle takes them. */
export function mergeWork(results: readonly WorkDone[]): Pick<VerifyBundleOptions, 'fileHashes' | 'eventHashes'> {
  const fileHashes = new Map<string, string>();
  for (const done of results) for (const [name, sha256] of done.fileHashes) fileHashes.set(name, sha256);
  if (!results.some((r) => r.events)) return { fileHashes };
  const scans = new Int32Array(results.reduce((n, r) => n + r.scans.length, 0));
  let at = 0;
  for (const r of results) {
    scans.set(r.scans, at);
    at += r.scans.length;
  }
  const eventHashes = { sha256: results.flatMap((r) => r.sha256), leaves: results.flatMap((r) => r.leaves), storyLines: results.flatMap((r) => r.storyLines), scans };
  return { fileHashes, eventHashes };
}
