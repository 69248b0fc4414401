/**
 * The evidence bundle: one case's events with everything needed to check them offline, as a map
 * of file name → bytes (the server zips it). The layout is described for auditors in
 * docs/evidence-bundle.md; `verifyBundle` (verify-bundle.ts) checks it.
 */
import { hash } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import { MAX_LISTED_PROBLEMS } from './bundle-report.js';
import type { Json } from '../canonical.js';
import { PEOPLE_FILE, STORY_FILE, writePeople, writeStory, type BundlePerson } from './bundle-story.js';
import { formatMultiproof, multiproofHashes } from './multiproof.js';
import { formatConsistencyProof, formatTlogProof } from './tlog-proof.js';

export { PEOPLE_FILE, STORY_FILE, type BundlePerson } from './bundle-story.js';

/**
 * The format exports write (docs/evidence-bundle.md): format 2's files, with a manifest that gives
 * no SHA-256 for the files whose every byte the verifier holds to the signed log by reading them
 * (BOUND_FILES): hashing them again proved nothing and was a tenth of a verification.
 */
export const BUNDLE_FORMAT = 'latch-evidence-bundle@3';
/** Still read: events in one file and one proof for all of them, every file listed with its SHA-256. */
export const BUNDLE_FORMAT_V2 = 'latch-evidence-bundle@2';
/** The first format, still read: a file per event and an inclusion proof per event. */
export const BUNDLE_FORMAT_V1 = 'latch-evidence-bundle@1';
export type BundleFormat = typeof BUNDLE_FORMAT | typeof BUNDLE_FORMAT_V2 | typeof BUNDLE_FORMAT_V1;
/** Every format the verifier reads, the newest first. */
export const BUNDLE_FORMATS: readonly BundleFormat[] = [BUNDLE_FORMAT, BUNDLE_FORMAT_V2, BUNDLE_FORMAT_V1];
/** Formats 2 and 3: every event's bytes, each followed by '\n', line n holding event seq n. */
export const EVENTS_FILE = 'events.jsonl';
/** Formats 2 and 3: one proof that every event is in the log (multiproof.ts). */
export const INCLUSION_FILE = 'inclusion.txt';
export const MANIFEST_FILE = 'manifest.json';
export const CHECKPOINT_FILE = 'checkpoint';
export const DISCLOSURES_FILE = 'disclosures.json';
export const EXPORT_EVENT_KIND = 'case.exported';
/** The event an erasure records on each case it touched: attachments referred to before it may be gone. */
export const ERASED_KIND = 'subject.erased';

/** Whether `format` holds its events in events.jsonl and their proof in inclusion.txt (formats 2 and 3), not a file each. */
export const hasEventLines = (format: BundleFormat): boolean => format !== BUNDLE_FORMAT_V1;

/**
 * The files format 3's manifest lists without a SHA-256, because a check reads every byte of them
 * against the signed log: each line of events.jsonl is hashed into its leaf and its successor's
 * link, every byte of inclusion.txt is read strictly on the way to the checkpoint's root, and
 * every line of story.txt is compared with the line written again from its event (people.json,
 * which names people in it, keeps its hash). A changed byte in any of them fails its check.
 */
export const BOUND_FILES: ReadonlySet<string> = new Set([EVENTS_FILE, INCLUSION_FILE, STORY_FILE]);

/** Whether a bundle of `format` lists `path` in its manifest without a SHA-256 (BOUND_FILES). */
export const isBound = (path: string, format: BundleFormat): boolean => format === BUNDLE_FORMAT && BOUND_FILES.has(path);

const pad = (seq: number): string => String(seq).padStart(8, '0');
export const eventFile = (seq: number): string => `events/${pad(seq)}.json`;
/** How reports name event `seq` of a format 2 or 3 bundle. */
export const eventLine = (seq: number): string => `${EVENTS_FILE} line ${seq}`;

/**
 * Where each line of a file of lines lies: [start, end) of line k at 2k and 2k + 1, the '\n' left
 * out. A last line without its '\n' is a line; nothing after a last '\n' is. events.jsonl is read
 * this way, by the verifier and by every `--jobs` thread, so they agree on which bytes are event n.
 * At most `maxLines` lines are found: the caller learns there are more than it can take from a
 * result of exactly that many whose last line ends before the file does.
 */
export function lineBounds(bytes: Buffer, maxLines = Infinity): Int32Array {
  let bounds = new Int32Array(64);
  let n = 0;
  for (let start = 0; start < bytes.length && n < 2 * maxLines; ) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    if (n + 2 > bounds.length) {
      const grown = new Int32Array(2 * bounds.length);
      grown.set(bounds);
      bounds = grown;
    }
    bounds[n++] = start;
    bounds[n++] = end;
    start = end + 1;
  }
  return bounds.slice(0, n);
}
/** Roughly what one line of events.jsonl takes in memory while it is verified (its record, its view, its packed scan): a budget, not a measure. */
const BYTES_PER_EVENT_LINE = 400;

/**
 * How many lines of events.jsonl this process can verify in half of the memory it may use: a zip of
 * a few megabytes can unpack to millions of empty lines, each of which would cost a record.
 */
export function maxEventLines(): number {
  return Math.max(1, Math.floor(getHeapStatistics().heap_size_limit / 2 / BYTES_PER_EVENT_LINE));
}

/** No event is shorter: `{"actor":{},"at":"","data":{},"id":"","kind":"","outcome":"","seq":1,"stream":"","v":1}` is 87 bytes. */
export const MIN_EVENT_BYTES = 64;

/**
 * Whether more than a report lists (MAX_LISTED_PROBLEMS) of the lines are too short to be events: such
 * a file is refused whole rather than read line by line.
 */
function tooManyShortLines(bounds: Int32Array): boolean {
  let short = 0;
  for (let k = 0; k < bounds.length; k += 2) if (bounds[k + 1]! - bounds[k]! < MIN_EVENT_BYTES && ++short > MAX_LISTED_PROBLEMS) return true;
  return false;
}

/** Whether `bounds` (lineBounds) stopped short of the end of `bytes`: the file has more lines than were asked for. */
const linesLeftOver = (bounds: Int32Array, bytes: Buffer): boolean => (bounds.length === 0 ? bytes.length > 0 : bounds[bounds.length - 1]! + 1 < bytes.length);

/** events.jsonl's lines as the verifier and every `--jobs` thread read them, and why some are not read. */
export interface EventLineBounds {
  /** The lines read (lineBounds); none when `short`. */
  bounds: Int32Array;
  /** At most this many lines are read: the one after the export event's, or what half the heap holds. */
  limit: number;
  /** The limit is the memory one (maxEventLines), not the export event's. */
  byMemory: boolean;
  /** The file has lines past the limit, not read. */
  leftOver: boolean;
  /** More than MAX_LISTED_PROBLEMS lines are too short to be events: the file is read as none. */
  short: boolean;
  /** How many lines were found (up to the limit), short or not. */
  found: number;
}

/** At most this many lines of events.jsonl are read: the one after the export event's, or what half the heap holds. */
export const eventLineLimit = (exportSeq: number): number => Math.min(exportSeq + 1, maxEventLines());

/**
 * The lines of events.jsonl to read for a bundle whose export event is seq `exportSeq`: lines past
 * the one after it are never events of the bundle, and each line read costs memory (a zip of a few
 * megabytes can unpack to millions of empty lines).
 */
export function eventLineBounds(bytes: Buffer, exportSeq: number): EventLineBounds {
  const limit = eventLineLimit(exportSeq);
  const read = lineBounds(bytes, limit);
  const short = tooManyShortLines(read);
  return { bounds: short ? new Int32Array(0) : read, limit, byMemory: limit < exportSeq + 1, leftOver: linesLeftOver(read, bytes), short, found: read.length / 2 };
}

export const proofFile = (seq: number): string => `proofs/${pad(seq)}.tlog-proof`;
export const blobFile = (sha256: string): string => `blobs/${sha256}`;
export const consistencyFile = (oldSize: number, newSize: number): string => `consistency/${oldSize}-${newSize}.txt`;

/** What a bundle file name says it holds, or undefined for a name outside the format. */
export type BundlePath =
  | { kind: 'manifest' | 'checkpoint' | 'disclosures' | 'story' | 'people' | 'events' | 'inclusion' }
  | { kind: 'event' | 'proof'; seq: number }
  | { kind: 'blob'; sha256: string }
  | { kind: 'consistency'; oldSize: number; newSize: number };

/** The seq in a name like events/00000042.json: 8 or more digits, zero-padded to exactly 8. (Read in place: called per file.) */
function seqIn(path: string, start: number, end: number): number | undefined {
  const length = end - start;
  if (length < 8 || (length > 8 && path.charCodeAt(start) === 0x30)) return undefined;
  let seq = 0;
  for (let i = start; i < end; i++) {
    const digit = path.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    seq = seq * 10 + digit;
  }
  return seq >= 1 && Number.isSafeInteger(seq) ? seq : undefined;
}

const BLOB_FILE = /^blobs\/[0-9a-f]{64}$/;
const CONSISTENCY_FILE = /^consistency\/([1-9][0-9]*)-([1-9][0-9]*)\.txt$/;

/**
 * Classifies a file name of a bundle of `format`; names must be written exactly as the builder
 * writes them. (Called per file: no regex on the common names.)
 */
export function classifyPath(path: string, format: BundleFormat = BUNDLE_FORMAT): BundlePath | undefined {
  if (hasEventLines(format)) {
    if (path === EVENTS_FILE) return { kind: 'events' };
    if (path === INCLUSION_FILE) return { kind: 'inclusion' };
  } else if (path.startsWith('events/') && path.endsWith('.json')) {
    const seq = seqIn(path, 'events/'.length, path.length - '.json'.length);
    return seq === undefined ? undefined : { kind: 'event', seq };
  }
  if (format === BUNDLE_FORMAT_V1 && path.startsWith('proofs/') && path.endsWith('.tlog-proof')) {
    const seq = seqIn(path, 'proofs/'.length, path.length - '.tlog-proof'.length);
    return seq === undefined ? undefined : { kind: 'proof', seq };
  }
  if (path === MANIFEST_FILE) return { kind: 'manifest' };
  if (path === CHECKPOINT_FILE) return { kind: 'checkpoint' };
  if (path === DISCLOSURES_FILE) return { kind: 'disclosures' };
  if (path === STORY_FILE) return { kind: 'story' };
  if (path === PEOPLE_FILE) return { kind: 'people' };
  if (BLOB_FILE.test(path)) return { kind: 'blob', sha256: path.slice('blobs/'.length) };
  const consistency = CONSISTENCY_FILE.exec(path);
  if (consistency !== null) {
    const [oldSize, newSize] = [Number(consistency[1]), Number(consistency[2])];
    if (Number.isSafeInteger(newSize) && oldSize < newSize) return { kind: 'consistency', oldSize, newSize };
  }
  return undefined;
}

export interface BundleManifest {
  format: BundleFormat;
  case: string;
  origin: string;
  exportedAt: string;
  export: { event: string; seq: number };
  /** SHA-256 (hex) of every file except manifest.json (and in format 3, the BOUND_FILES). */
  files: Record<string, string>;
  /** Blobs referenced by events but destroyed by an erasure. */
  erasedBlobs: string[];
}

export interface Disclosed {
  salt: string;
  value: Json;
}

export interface BundleInput {
  caseId: string;
  origin: string;
  exportedAt: string;
  /** The case's events in order, seq 1..N, the last being the case.exported event. */
  events: ReadonlyArray<{ seq: number; bytes: string | Uint8Array }>;
  /** One inclusion proof per event, all against `checkpoint`. */
  proofs: ReadonlyArray<{ seq: number; index: number; proof: readonly Uint8Array[] }>;
  /** The signed checkpoint note. */
  checkpoint: string;
  blobs: ReadonlyMap<string, Uint8Array>;
  erasedBlobs: readonly string[];
  disclosures: Readonly<Record<string, Disclosed>>;
  consistency: ReadonlyArray<{ oldSize: number; newSize: number; proof: readonly Uint8Array[] }>;
  /** The display names story.txt uses, by user id (never emails); an erased person is `{erased: true}`. */
  people?: Readonly<Record<string, BundlePerson>>;
}

/** The exporter handed the builder something inconsistent: a bug, never the auditor's concern. */
export class BundleBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleBuildError';
  }
}

const sha256Hex = (bytes: Uint8Array): string => hash('sha256', bytes, 'hex');

/** Formats 2 and 3: events.jsonl and inclusion.txt: the events in seq order from 1, and one proof for all of them. */
function addEventsV2(input: BundleInput, add: (path: string, content: string | Uint8Array) => void): void {
  const events = [...input.events].sort((a, b) => a.seq - b.seq);
  const lines: Buffer[] = [];
  for (const [i, e] of events.entries()) {
    if (e.seq !== i + 1) throw new BundleBuildError(`event ${i + 1} is missing: a bundle holds the case's events from seq 1`);
    const bytes = Buffer.from(e.bytes);
    if (bytes.includes(0x0a)) throw new BundleBuildError(`event ${e.seq} holds a line break: it is not canonical JSON`);
    lines.push(bytes, NEWLINE);
  }
  add(EVENTS_FILE, Buffer.concat(lines));
  const proofOf = new Map(input.proofs.map((p) => [p.seq, p]));
  const proofs = events.map((e) => proofOf.get(e.seq) ?? raise(`event ${e.seq} has no inclusion proof`));
  const size = checkpointSize(input.checkpoint);
  try {
    add(INCLUSION_FILE, formatMultiproof(size, proofs.map((p) => p.index), multiproofHashes(size, proofs)));
  } catch (error) {
    throw new BundleBuildError(`inclusion proofs: ${(error as Error).message}`);
  }
}

const NEWLINE = Buffer.from('\n');

function raise(message: string): never {
  throw new BundleBuildError(message);
}

/** The tree size on the checkpoint note's second line. */
function checkpointSize(note: string): number {
  const size = Number(note.split('\n')[1]);
  return Number.isSafeInteger(size) && size > 0 ? size : raise('the checkpoint has no tree size');
}

/** Assembles every bundle file, manifest included, in `format` (exports write the current one). */
export function buildBundleFiles(input: BundleInput, format: BundleFormat = BUNDLE_FORMAT): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const add = (path: string, content: string | Uint8Array): void => {
    if (files.has(path)) throw new BundleBuildError(`${path} is given twice`);
    files.set(path, Buffer.from(content));
  };
  if (hasEventLines(format)) addEventsV2(input, add);
  else {
    for (const e of input.events) add(eventFile(e.seq), e.bytes);
    for (const p of input.proofs) add(proofFile(p.seq), formatTlogProof({ index: p.index, proof: p.proof, checkpoint: input.checkpoint }));
  }
  add(CHECKPOINT_FILE, input.checkpoint);
  const erased = new Set(input.erasedBlobs);
  for (const [sha, content] of input.blobs) {
    if (sha256Hex(content) !== sha) throw new BundleBuildError(`blob ${sha} does not hash to its name`);
    if (!erased.has(sha)) add(blobFile(sha), content);
  }
  const commitments = Object.keys(input.disclosures).sort();
  if (commitments.length > 0) {
    // One disclosure per line: readable, and half the size of indented JSON for the verifier to parse.
    const lines = commitments.map((c) => `${JSON.stringify(c)}:${JSON.stringify({ salt: input.disclosures[c]!.salt, value: input.disclosures[c]!.value })}`);
    add(DISCLOSURES_FILE, `{\n${lines.join(',\n')}\n}\n`);
  }
  for (const c of input.consistency) add(consistencyFile(c.oldSize, c.newSize), formatConsistencyProof(c));
  const people = input.people ?? {};
  add(PEOPLE_FILE, writePeople(people));
  add(STORY_FILE, writeStory([...input.events].sort((a, b) => a.seq - b.seq), people));
  files.set(MANIFEST_FILE, Buffer.from(`${JSON.stringify(manifestFor(input, files, format), null, 2)}\n`));
  return files;
}

function manifestFor(input: BundleInput, files: ReadonlyMap<string, Buffer>, format: BundleFormat): BundleManifest {
  const last = [...input.events].sort((a, b) => a.seq - b.seq).at(-1);
  if (last === undefined) throw new BundleBuildError('a bundle needs at least the case.exported event');
  const lastEvent = JSON.parse(Buffer.from(last.bytes).toString('utf8')) as { id: string };
  const paths = [...files.keys()].filter((p) => !isBound(p, format)).sort();
  return {
    format,
    case: input.caseId,
    origin: input.origin,
    exportedAt: input.exportedAt,
    export: { event: lastEvent.id, seq: last.seq },
    files: Object.fromEntries(paths.map((p) => [p, sha256Hex(files.get(p)!)])),
    erasedBlobs: [...new Set(input.erasedBlobs)].sort(),
  };
}
