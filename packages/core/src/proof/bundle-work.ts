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
import { leafHashBase64 } from './batch-inclusion.js';
import { PACKED_SCAN, packEventScan } from './bundle-events.js';
import { storyLineOf, storyNames } from './bundle-story.js';

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
  const done: WorkDone = { fileHashes, sha256: [], leaves: [], storyLines: [], scans: new Int32Array(0) };
  const events = order.events;
  if (events === undefined) return done;
  const scans: number[] = [];
  const row = new Int32Array(PACKED_SCAN);
  const bytes = Buffer.from(events.buffer);
  const names = events.people === undefined ? undefined : storyNames(Buffer.from(events.people));
  const story = names !== undefined && typeof names !== 'string' ? names : undefined;
  let seq = events.firstSeq;
  for (let start = events.start; start < events.end; seq++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0 || end > events.end) end = events.end;
    const line = bytes.subarray(start, end);
    done.sha256.push(hash('sha256', line, 'hex'));
    done.leaves.push(leafHashBase64(line));
    if (story !== undefined) done.storyLines.push(storyLineOf(seq, line, story));
    packEventScan(line, row, 0);
    for (let k = 0; k < PACKED_SCAN; k++) scans.push(row[k]!);
    start = end + 1;
  }
  done.scans = Int32Array.from(scans);
  return done;
}
