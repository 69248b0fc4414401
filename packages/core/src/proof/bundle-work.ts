/**
 * The share of a bundle's verification that `latch verify --jobs` spreads over threads: hashing the
 * files (and checking their CRC-32, which the zip reader then leaves to it), and per event of a
 * format 2 or 3 bundle its SHA-256, its RFC 6962 leaf hash, its canonical scan and whether its story line
 * is the one story.txt holds.
 *
 * Everything lives in memory every thread shares (SharedArrayBuffer): the zip, the plan, and the
 * results, each written in place at its event's position, so nothing is copied between threads or
 * merged afterwards. The work is cut into items (a file, or a run of events), and each thread, this
 * one included, claims the next item with an atomic counter until none is left: a thread that starts
 * late simply takes fewer, and the calling thread never waits for one that has not started.
 * Every item is computed by the same code verifyBundle runs, so the report is the same with any
 * number of threads.
 *
 * Threads import this module alone (`@latch/core/bundle-work`), not all of @latch/core: a thread
 * then starts in a tenth of the CPU time.
 */
import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { PACKED_SCAN, packEventScan, scanEventsNatively } from './bundle-events.js';
import { PEOPLE_FILE, STORY_FILE, StoryWriter, storyNames } from './bundle-story.js';
import type { UncheckedCrc } from './bundle-zip.js';
import { LEAF_PREFIX, NO_PREFIX, hashSpans } from './sha256-batch.js';
import { BUNDLE_FORMATS, EVENTS_FILE, MANIFEST_FILE, eventLineBounds, isBound, lineBounds, type BundleFormat } from './bundle.js';
import type { VerifyBundleOptions } from './verify-bundle.js';

/** Events per item: small enough that threads finish together, large enough that claiming costs nothing. */
const EVENTS_PER_ITEM = 512;
/** Bytes of a SHA-256 in hex. */
const HEX = 64;

/** Bytes in shared memory. */
interface SharedBytes {
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
}

/** What every thread reads and writes: posted to each thread once (shared memory is not copied). */
export interface SharedWork {
  /**
   * Every file: whether to hash it (not a file the manifest's format lists without a hash), and the
   * CRC-32 it must have when the zip reader left that check to the work (-1: none).
   */
  members: Array<{ name: string; bytes: SharedBytes; hash: boolean; crc: number }>;
  events?: {
    bytes: SharedBytes;
    /** Each line's [start, end) in `bytes` (lineBounds), 2 per event. */
    lines: SharedArrayBuffer;
    count: number;
    utf8: boolean;
    /** story.txt when it is to be checked: its bytes and lines (only when it is UTF-8), and people.json. */
    story?: { bytes: SharedBytes; lines: SharedArrayBuffer; people: Uint8Array };
    /** Events per item (the last item may hold fewer). */
    perItem: number;
  };
  /** Items handed out (index 0) and items done (index 1). */
  counters: SharedArrayBuffer;
  results: {
    /** Each file's SHA-256, 64 hex digits, in the order of `members`. */
    fileHashes: SharedArrayBuffer;
    /** 1 for each file whose CRC-32 was to be checked and does not match. */
    crcMismatches: SharedArrayBuffer;
    /** Each event's SHA-256, 64 hex digits. */
    sha256: SharedArrayBuffer;
    /** Each event's leaf hash, 32 bytes. */
    leaves: SharedArrayBuffer;
    /** Each event's packed canonical scan (packEventScan). */
    scans: SharedArrayBuffer;
    /** 1 where story.txt's line is the event's line. */
    storyMatches: SharedArrayBuffer;
  };
}

/** `bytes` in shared memory: where it lies in the zip when it is stored there, else a copy. */
function inSharedMemory(bytes: Buffer, zip: SharedArrayBuffer): SharedBytes {
  if (bytes.buffer === zip) return { buffer: zip, offset: bytes.byteOffset, length: bytes.length };
  const buffer = new SharedArrayBuffer(bytes.length);
  bytes.copy(Buffer.from(buffer));
  return { buffer, offset: 0, length: bytes.length };
}

const view = (b: SharedBytes): Buffer => Buffer.from(b.buffer, b.offset, b.length);

function sharedInt32(values: Int32Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(values.byteLength);
  new Int32Array(buffer).set(values);
  return buffer;
}

/**
 * The plan for a bundle's files (`zip`: the shared memory its stored members are views of): every
 * file to hash (and its CRC-32 to check, for the members readBundleZip left unchecked), and for
 * formats 2 and 3 every line of events.jsonl, with story.txt and people.json when the story is to be checked.
 */
export function planWork(
  files: ReadonlyMap<string, Buffer>,
  zip: SharedArrayBuffer,
  { eventsPerItem = EVENTS_PER_ITEM, uncheckedCrcs = [] }: { eventsPerItem?: number; uncheckedCrcs?: readonly UncheckedCrc[] } = {},
): SharedWork {
  const crcs = new Map(uncheckedCrcs.map((m) => [m.name, m.crc]));
  const { format, exportSeq } = manifestFacts(files.get(MANIFEST_FILE));
  const members = [...files].map(([name, bytes]) => ({
    name,
    bytes: inSharedMemory(bytes, zip),
    hash: format === undefined || !isBound(name, format),
    crc: crcs.get(name) ?? -1,
  }));
  const eventsFile = files.get(EVENTS_FILE);
  let events: SharedWork['events'];
  let count = 0;
  if (eventsFile !== undefined) {
    const bytes = members.find((m) => m.name === EVENTS_FILE)!.bytes;
    // The lines the verifier reads (verify-bundle.ts); it reports the rest.
    const lines = eventLineBounds(eventsFile, exportSeq).bounds;
    count = lines.length / 2;
    events = { bytes, lines: sharedInt32(lines), count, utf8: isUtf8(eventsFile), perItem: eventsPerItem };
    const story = files.get(STORY_FILE);
    const people = files.get(PEOPLE_FILE);
    if (story !== undefined && people !== undefined && isUtf8(story)) {
      events.story = { bytes: members.find((m) => m.name === STORY_FILE)!.bytes, lines: sharedInt32(lineBounds(story)), people: new Uint8Array(people) };
    }
  }
  return {
    members,
    events,
    counters: new SharedArrayBuffer(8),
    results: {
      fileHashes: new SharedArrayBuffer(HEX * members.length),
      crcMismatches: new SharedArrayBuffer(members.length),
      sha256: new SharedArrayBuffer(HEX * count),
      leaves: new SharedArrayBuffer(32 * count),
      scans: new SharedArrayBuffer(4 * PACKED_SCAN * count),
      storyMatches: new SharedArrayBuffer(count),
    },
  };
}

/**
 * The format the manifest names, when it names one this verifier reads, and the export event's seq
 * (no line after the one past it is read: Infinity when the manifest gives none). verifyBundle
 * checks the rest of it.
 */
function manifestFacts(manifest: Buffer | undefined): { format: BundleFormat | undefined; exportSeq: number } {
  try {
    const m = JSON.parse(manifest?.toString('utf8') ?? 'null') as { format?: unknown; export?: { seq?: unknown } } | null;
    const seq = m?.export?.seq;
    return { format: BUNDLE_FORMATS.find((f) => f === m?.format), exportSeq: Number.isSafeInteger(seq) && (seq as number) >= 1 ? (seq as number) : Infinity };
  } catch {
    return { format: undefined, exportSeq: Infinity };
  }
}

/** How many items the work is cut into: one per file, then runs of events. */
export const itemCount = (work: SharedWork): number => work.members.length + (work.events === undefined ? 0 : Math.ceil(work.events.count / work.events.perItem));

/** Whether every item is done. */
export const workDone = (work: SharedWork): boolean => Atomics.load(new Int32Array(work.counters), 1) === itemCount(work);

/** One thread's view of the work: the buffers as typed arrays, and the story writer, made once. */
class ThreadShare {
  readonly #work: SharedWork;
  readonly #counters: Int32Array;
  readonly #fileHashes: Buffer;
  readonly #crcMismatches: Uint8Array;
  readonly #sha256: Buffer;
  readonly #leaves: Buffer;
  readonly #scans: Int32Array;
  readonly #storyMatches: Uint8Array;
  readonly #events: Buffer | undefined;
  readonly #lines: Int32Array | undefined;
  readonly #story: { bytes: Buffer; lines: Int32Array; writer: StoryWriter } | undefined;

  constructor(work: SharedWork) {
    this.#work = work;
    const r = work.results;
    this.#counters = new Int32Array(work.counters);
    this.#fileHashes = Buffer.from(r.fileHashes);
    this.#crcMismatches = new Uint8Array(r.crcMismatches);
    this.#sha256 = Buffer.from(r.sha256);
    this.#leaves = Buffer.from(r.leaves);
    this.#scans = new Int32Array(r.scans);
    this.#storyMatches = new Uint8Array(r.storyMatches);
    const events = work.events;
    this.#events = events === undefined ? undefined : view(events.bytes);
    this.#lines = events === undefined ? undefined : new Int32Array(events.lines);
    const story = events?.story;
    const names = story === undefined ? undefined : storyNames(Buffer.from(story.people));
    if (story !== undefined && names !== undefined && typeof names !== 'string') {
      this.#story = { bytes: view(story.bytes), lines: new Int32Array(story.lines), writer: new StoryWriter(names) };
    }
  }

  /** Claims and does items until none is left, or `limit` are done; how many it did. */
  run(limit = Infinity): number {
    const total = itemCount(this.#work);
    let done = 0;
    while (done < limit) {
      const item = Atomics.add(this.#counters, 0, 1);
      if (item >= total) break;
      this.#do(item);
      Atomics.add(this.#counters, 1, 1);
      done++;
    }
    return done;
  }

  #do(item: number): void {
    const members = this.#work.members;
    if (item < members.length) {
      const { bytes, hash: hashed, crc } = members[item]!;
      const data = view(bytes);
      if (hashed) this.#fileHashes.write(hash('sha256', data, 'hex'), HEX * item, 'latin1');
      if (crc >= 0 && crc32(data) !== crc) this.#crcMismatches[item] = 1;
      return;
    }
    const events = this.#work.events!;
    const first = (item - members.length) * events.perItem;
    const end = Math.min(first + events.perItem, events.count);
    const bounds = this.#lines!.subarray(2 * first, 2 * end);
    hashSpans(this.#events!, bounds, NO_PREFIX, this.#sha256.subarray(HEX * first, HEX * end), true);
    hashSpans(this.#events!, bounds, LEAF_PREFIX, this.#leaves.subarray(32 * first, 32 * end), false);
    // The native first reading, where the addon is built: the events it leaves (flag 0) are read in TypeScript.
    const scanned = scanEventsNatively(this.#events!, bounds, events.utf8, this.#scans.subarray(first * PACKED_SCAN, end * PACKED_SCAN)) !== undefined;
    for (let i = first; i < end; i++) this.#event(i, scanned && this.#scans[i * PACKED_SCAN] === 1);
  }

  #event(i: number, scanned: boolean): void {
    const lines = this.#lines!;
    const line = this.#events!.subarray(lines[2 * i], lines[2 * i + 1]);
    if (!scanned) packEventScan(line, this.#scans, i * PACKED_SCAN, this.#work.events!.utf8);
    const story = this.#story;
    if (story !== undefined && 2 * i < story.lines.length) {
      let matches = false;
      try {
        matches = story.writer.matches(story.bytes, story.lines[2 * i]!, story.lines[2 * i + 1]!, i + 1, line, this.#scans, i * PACKED_SCAN);
      } catch {
        // Left unmatched: the story check compares the line again, and reports what went wrong.
      }
      this.#storyMatches[i] = matches ? 1 : 0;
    }
  }
}

/** Does items of the work on this thread until none is left (or `limit` are done): returns how many. */
export function doWork(work: SharedWork, limit?: number): number {
  return new ThreadShare(work).run(limit);
}

/**
 * The first file, in the zip's order, whose CRC-32 does not match (the zip is then refused with
 * crcMismatch before anything is verified, as readBundleZip refuses it).
 */
export function firstCrcMismatch(work: SharedWork): string | undefined {
  const mismatches = new Uint8Array(work.results.crcMismatches);
  const k = mismatches.indexOf(1);
  return k < 0 ? undefined : work.members[k]!.name;
}

/** The finished work, as verifyBundle takes it. */
export function workResults(work: SharedWork): Pick<VerifyBundleOptions, 'fileHashes' | 'eventHashes'> {
  const r = work.results;
  const hexes = Buffer.from(r.fileHashes);
  const fileHashes = new Map<string, string>();
  for (const [k, m] of work.members.entries()) if (m.hash) fileHashes.set(m.name, hexes.toString('latin1', HEX * k, HEX * (k + 1)));
  if (work.events === undefined) return { fileHashes };
  const eventHashes = {
    sha256: Buffer.from(r.sha256),
    leaves: Buffer.from(r.leaves),
    scans: new Int32Array(r.scans),
    lines: new Int32Array(work.events.lines),
    ...(work.events.story !== undefined ? { storyMatches: new Uint8Array(r.storyMatches) } : {}),
  };
  return { fileHashes, eventHashes };
}
