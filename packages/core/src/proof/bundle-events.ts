/**
 * The events check of `verifyBundle`: each event file's bytes are canonical, belong to the case,
 * sit where their seq says, and link to the one before; the chain ends with the export event.
 *
 * Fields are compared as bytes inside the scanned event rather than decoded: this runs for every
 * event of the case, and decoding would cost more than the check.
 */
import type { CheckRecorder } from './bundle-report.js';
import { ERASED_KIND, EXPORT_EVENT_KIND, MANIFEST_FILE, eventFile, type BundleManifest } from './bundle.js';
import { CanonicalObjectReader, bytesAt } from './canonical-scan.js';
import { F, FIELDS, PACKED_SCAN, packedEnd, packedStart } from './bundle-event-fields.js';
import { nativeAddon } from './native-addon.js';

export { PACKED_SCAN } from './bundle-event-fields.js';

/** Shared by the events without blobs or commitments (most of them), instead of an empty list each. */
const NONE: readonly string[] = Object.freeze([]);

/** An event file as the index gives it; `utf8` when its bytes are known to be UTF-8 (checked once for all of events.jsonl). */
type EventFile = Readonly<{ seq: number; path: string; bytes: Buffer; sha256: string; utf8?: boolean }>;

/** What later checks need from one event file. */
export interface EventFacts {
  readonly seq: number;
  readonly path: string;
  readonly bytes: Buffer;
  /** SHA-256 hex of the bytes: the event hash the next event's `prev` names. */
  readonly hash: string;
  blobs: readonly string[];
  /** Personal-data commitments in `data`. */
  commitments: readonly string[];
  /** A `subject.erased` event: the signed record that attachments referred to before it may be gone. */
  erasure: boolean;
  /** For a `subject.erased` event, how many of the case's files it records as erased (its data.blobs; 0 when that is not a count). */
  erasedFiles: number;
}

/**
 * The facts checkEvents finds, kept on the event itself: format 2's lines are records already
 * (verify-bundle.ts), so that an event is one object for the collector to copy, not three.
 */
export abstract class EventRecord implements EventFacts {
  abstract readonly seq: number;
  abstract readonly bytes: Buffer;
  abstract readonly path: string;
  /** SHA-256 hex of the bytes, computed when asked: kept for every event, it would be copied by each young-generation collection. */
  abstract readonly sha256: string;
  blobs: readonly string[] = NONE;
  commitments: readonly string[] = NONE;
  erasure = false;
  erasedFiles = 0;

  get hash(): string {
    return this.sha256;
  }

  /** Whether bytes [start, end) of `text` are this event's SHA-256 in hex: a `prev` link to it, between its quotes. */
  hashIs(text: Buffer, start: number, end: number): boolean {
    const hash = this.sha256;
    return end - start === hash.length && text.toString('latin1', start, end) === hash;
  }
}

/** The record of an event file that is not one already (format 1's files). Its path is read only to report. */
class CheckedEvent extends EventRecord {
  readonly seq: number;
  readonly bytes: Buffer;

  constructor(private readonly file: EventFile) {
    super();
    this.seq = file.seq;
    this.bytes = file.bytes;
  }

  get path(): string {
    return this.file.path;
  }

  get sha256(): string {
    return this.file.sha256;
  }
}

const reader = new CanonicalObjectReader(FIELDS);

const QUOTE = 0x22;
const ONE = Buffer.from('1');
const ERASURE_KIND = Buffer.from(JSON.stringify(ERASED_KIND));
const NULL = Buffer.from('null');
/**
 * The byte each field's value must start with, which tells a canonical value's type ('digit': a
 * positive integer); fields marked optional may be absent.
 */
const SHAPE: ReadonlyArray<[field: number, first: string, required: boolean]> = [
  [F.actor, '{', true],
  [F.at, '"', true],
  [F.blobs, '[', false],
  [F.data, '{', true],
  [F.id, '"', true],
  [F.kind, '"', true],
  [F.outcome, '"', true],
  [F.reason, '"', false],
  [F.seq, 'digit', true],
  [F.stream, '"', true],
  [F.v, 'digit', true],
];
/** SHAPE as numbers, for the per-event loop: the first byte expected (0 for a positive integer's digit). */
const SHAPE_FIRST = Uint8Array.from(SHAPE.map(([, first]) => (first === 'digit' ? 0 : first.charCodeAt(0))));
const SHAPE_FIELD = Uint8Array.from(SHAPE.map(([field]) => field));
const SHAPE_REQUIRED = Uint8Array.from(SHAPE.map(([, , required]) => (required ? 1 : 0)));
const startsRight = (c: number, first: number): boolean => (first === 0 ? c >= 0x31 && c <= 0x39 : c === first);

/** In canonical JSON a raw `{"` never occurs inside a string, so this only finds commitment objects. */
const COMMITMENT = Buffer.from('{"$pii":"');
const DOLLAR = 0x24; // COMMITMENT[2], the byte the search looks for first
const SHA256_HEX = /^[0-9a-f]{64}$/;
const LOWER_HEX = new Uint8Array(256);
for (const c of '0123456789abcdef') LOWER_HEX[c.charCodeAt(0)] = 1;

/**
 * The fields below are read where the events' scans lie, `scans` at `at` (packedStart and
 * packedEnd): the spans are read into that array, which the story check reads afterwards, so
 * nothing is copied per event.
 */

/** Field `f` of the scanned event is exactly the JSON text `text` (as UTF-8 bytes). Compared in place: no string per event. */
function fieldIs(bytes: Buffer, scans: Int32Array, at: number, f: number, text: Buffer): boolean {
  const start = packedStart(scans, at, f);
  if (start < 0 || packedEnd(scans, at, f) - start !== text.length) return false;
  for (let k = 0; k < text.length; k++) if (bytes[start + k] !== text[k]) return false;
  return true;
}

/** Field `prev` is a JSON string of the SHA-256 in hex of the event `previous`. */
function prevIs(bytes: Buffer, scans: Int32Array, at: number, previous: EventRecord): boolean {
  const start = packedStart(scans, at, F.prev);
  const end = packedEnd(scans, at, F.prev);
  return start >= 0 && end - start >= 2 && bytes[start] === QUOTE && previous.hashIs(bytes, start + 1, end - 1);
}

/** Field `f` is the decimal integer `n`: a seq, checked without formatting it. */
function fieldIsInteger(bytes: Buffer, scans: Int32Array, at: number, f: number, n: number): boolean {
  const start = packedStart(scans, at, f);
  const end = packedEnd(scans, at, f);
  let value = 0;
  for (let k = start; k < end; k++) value = value * 10 + bytes[k]! - 0x30;
  // The shape check let only canonical positive integers through, so equal values mean equal text.
  return start >= 0 && value === n;
}

const fieldText = (bytes: Buffer, scans: Int32Array, at: number, f: number): string => bytes.toString('utf8', packedStart(scans, at, f), packedEnd(scans, at, f));

/**
 * The commitments in bytes [start, end) (an event's data). Found from each '$' (memchr, native):
 * '$' is rare in an event, and looking at every byte of the data in JavaScript costs three times more.
 */
function commitmentsIn(bytes: Buffer, start: number, end: number): readonly string[] {
  let found: string[] | undefined;
  // A commitment object is COMMITMENT, 64 hex digits, then '"}': 75 bytes starting at `o`, its '$' at o + 2.
  for (let dollar = bytes.indexOf(DOLLAR, start + 2); dollar >= 0; dollar = bytes.indexOf(DOLLAR, dollar + 1)) {
    const o = dollar - 2;
    if (o + COMMITMENT.length + 66 > end) break;
    if (!bytesAt(bytes, o, COMMITMENT)) continue;
    const value = o + COMMITMENT.length;
    let hex = true;
    for (let k = value; hex && k < value + 64; k++) hex = LOWER_HEX[bytes[k]!] === 1;
    if (hex && bytes[value + 64] === QUOTE && bytes[value + 65] === 0x7d) (found ??= []).push(bytes.toString('latin1', value, value + 64));
  }
  return found ?? NONE;
}

function readBlobs(bytes: Buffer, scans: Int32Array, at: number): readonly string[] | undefined {
  if (packedStart(scans, at, F.blobs) < 0) return NONE;
  const blobs: unknown = JSON.parse(fieldText(bytes, scans, at, F.blobs));
  return Array.isArray(blobs) && blobs.every((b) => typeof b === 'string' && SHA256_HEX.test(b)) ? (blobs as string[]) : undefined;
}

/**
 * Scans event bytes the way checkEvents does, into `out` at `at` (a packed scan), for checkEvents
 * to use instead of scanning again (`latch verify --jobs` scans on several threads). `utf8`: the
 * bytes are known to be UTF-8. Anything but a canonical object without unexpected fields is
 * flagged 0, for checkEvents to scan again and to explain.
 */
export function packEventScan(bytes: Uint8Array, out: Int32Array, at: number, utf8 = false): void {
  out[at] = reader.readInto(bytes, utf8, out, at + 1) && reader.unexpected.length === 0 ? 1 : 0;
}

/** The event's fields as the addon matches them: their quoted names one after another, and where each lies. */
const QUOTED_FIELDS = FIELDS.map((name) => Buffer.from(JSON.stringify(name)));
const FIELD_KEYS = Buffer.concat(QUOTED_FIELDS);
const FIELD_KEY_BOUNDS = new Int32Array(2 * FIELDS.length);
for (let j = 0, at = 0; j < QUOTED_FIELDS.length; j++) {
  FIELD_KEY_BOUNDS[2 * j] = at;
  FIELD_KEY_BOUNDS[2 * j + 1] = at += QUOTED_FIELDS[j]!.length;
}

/**
 * The packed scans of the events at `bounds` of `bytes` (events.jsonl's lines), read in one call by
 * the native addon (canonical-scan.c) where it is built and the file is UTF-8: an event of the
 * plainest canonical form is flagged 1 with its fields' spans, exactly as packEventScan writes them;
 * any other is flagged 0, and checkEvents reads it again, which decides and explains. Written
 * into `into` when given. Undefined without the addon.
 */
export function scanEventsNatively(bytes: Buffer, bounds: Int32Array, utf8: boolean, into?: Int32Array): Int32Array | undefined {
  const native = nativeAddon();
  if (native === undefined || !utf8) return undefined;
  const scans = into ?? new Int32Array((bounds.length / 2) * PACKED_SCAN);
  return native.scanObjects(bytes, bounds, FIELD_KEYS, FIELD_KEY_BOUNDS, scans) ? scans : undefined;
}

/**
 * Checks the shape of one event, scanning it into `scans` at `at` unless `scanned` (a packed scan
 * given, flagged 1); a problem description when it is not a well-formed event.
 */
function scanEvent(bytes: Buffer, utf8: boolean, scans: Int32Array, at: number, scanned: boolean): string | undefined {
  if (!scanned) {
    if (!reader.readInto(bytes, utf8, scans, at + 1)) return 'not canonical JSON (RFC 8785): the bytes were altered or re-serialised';
    if (reader.unexpected.length > 0) return `unexpected field ${JSON.stringify(reader.unexpected[0])}`;
  }
  for (let k = 0; k < SHAPE.length; k++) {
    const field = SHAPE_FIELD[k]!;
    const start = packedStart(scans, at, field);
    if (start < 0 ? SHAPE_REQUIRED[k] === 1 : !startsRight(bytes[start]!, SHAPE_FIRST[k]!)) return `field ${FIELDS[field]} is missing or of the wrong type`;
  }
  return fieldIs(bytes, scans, at, F.v, ONE) ? undefined : 'unknown event format version';
}

/**
 * Checks the chain. Returns facts for every event file present (well-formed or not) for the later
 * checks, and every event's packed scan in the same order (flag 0 where the event is not a
 * well-formed one), so the story is written from fields found once. `scans`: the packed scans
 * (packEventScan) when done elsewhere.
 */
export function checkEvents(
  eventFiles: readonly EventFile[],
  manifest: BundleManifest,
  check: CheckRecorder,
  pathOf: (seq: number) => string = eventFile,
  scans?: Int32Array,
): { events: EventFacts[]; scans: Int32Array } {
  const given = scans?.length === eventFiles.length * PACKED_SCAN ? scans : undefined;
  const out = given ?? new Int32Array(eventFiles.length * PACKED_SCAN);
  const exportSeq = manifest.export.seq;
  const stream = Buffer.from(JSON.stringify(manifest.case));
  const all: EventFacts[] = [];
  reportGaps(eventFiles, exportSeq, check, pathOf);
  // Format 1 places an event by its file's name, format 2 by its line in events.jsonl.
  const place = pathOf === eventFile ? 'file name' : 'line number';
  // The event before: its hash is compared with the `prev` link where the hash lies, not made a string.
  let previousSeq = -1;
  let previous: EventRecord | undefined;
  for (let i = 0; i < eventFiles.length; i++) {
    const file = eventFiles[i]!;
    const facts = file instanceof EventRecord ? file : new CheckedEvent(file);
    const { seq, bytes } = facts;
    all.push(facts);
    const at = i * PACKED_SCAN;
    const problem = scanEvent(bytes, file.utf8 === true, out, at, given !== undefined && given[at] === 1);
    // Flagged for the story check, which writes lines from the spans of events flagged 1.
    out[at] = problem === undefined ? 1 : 0;
    const blobs = problem !== undefined ? undefined : readBlobs(bytes, out, at);
    if (problem !== undefined || blobs === undefined) {
      check.fail(`${file.path}: ${problem ?? 'field blobs is not a list of SHA-256 hashes'}`);
    } else {
      facts.blobs = blobs;
      facts.commitments = commitmentsIn(bytes, packedStart(out, at, F.data), packedEnd(out, at, F.data));
      facts.erasure = fieldIs(bytes, out, at, F.kind, ERASURE_KIND);
      if (facts.erasure) facts.erasedFiles = erasedFilesOf(fieldText(bytes, out, at, F.data));
      if (!fieldIs(bytes, out, at, F.stream, stream)) check.fail(`${file.path}: belongs to stream ${fieldText(bytes, out, at, F.stream)}, not case ${manifest.case}`);
      if (!fieldIsInteger(bytes, out, at, F.seq, seq)) check.fail(`${file.path}: holds event seq ${fieldText(bytes, out, at, F.seq)}, but its ${place} says ${seq}`);
      if (seq > exportSeq) check.fail(`${file.path}: comes after the export event (seq ${exportSeq})`);
      // The link is checked only across adjacent seqs: a gap is reported once, above.
      const adjacent = previousSeq === seq - 1;
      const linked = seq === 1 ? fieldIs(bytes, out, at, F.prev, NULL) : !adjacent || prevIs(bytes, out, at, previous!);
      if (!linked) check.fail(`${file.path}: previous-hash link is broken (prev is not the SHA-256 of event ${seq - 1})`);
      if (seq === exportSeq) checkExportEvent(facts, out, at, manifest, adjacent ? previous?.hash : undefined, check);
    }
    previousSeq = seq;
    previous = facts;
  }
  check.finish(`${eventFiles.length} events, seq 1..${exportSeq}, hash chain intact, ending with ${EXPORT_EVENT_KIND} (seq ${exportSeq})`);
  return { events: all, scans: out };
}

function reportGaps(files: readonly EventFile[], exportSeq: number, check: CheckRecorder, pathOf: (seq: number) => string): void {
  let expected = 1;
  for (let i = 0; i <= files.length; i++) {
    const seq = i < files.length ? files[i]!.seq : exportSeq + 1;
    if (seq > expected) {
      const tail = seq === exportSeq + 1 ? ` (the bundle must end with the ${EXPORT_EVENT_KIND} event, seq ${exportSeq})` : '';
      const which = seq - expected === 1 ? `event ${expected} is missing` : `events ${expected}..${seq - 1} are missing`;
      check.fail(`${pathOf(expected)}: ${which}${tail}`);
    }
    expected = Math.max(expected, seq + 1);
  }
}

/** The number of files a `subject.erased` event's data records as erased (data.blobs), 0 when it gives none. */
function erasedFilesOf(data: string): number {
  const blobs = (JSON.parse(data) as { blobs?: unknown }).blobs;
  return Number.isSafeInteger(blobs) && (blobs as number) > 0 ? (blobs as number) : 0;
}

/** The export event is a case.exported event, the one the manifest names, and its data.head names the event before it. */
function checkExportEvent(facts: EventFacts, scans: Int32Array, at: number, manifest: BundleManifest, previousHash: string | undefined, check: CheckRecorder): void {
  const { path, seq, bytes } = facts;
  const kind = JSON.parse(fieldText(bytes, scans, at, F.kind)) as string;
  if (kind !== EXPORT_EVENT_KIND) check.fail(`${path}: the last event is ${kind}, not ${EXPORT_EVENT_KIND}`);
  if (JSON.parse(fieldText(bytes, scans, at, F.id)) !== manifest.export.event) check.fail(`${path}: its id is not the manifest's export event ${manifest.export.event}`);
  // exportedAt is only a convenience copy: it must be the time the signed export event records.
  const time = JSON.parse(fieldText(bytes, scans, at, F.at)) as string;
  if (time !== manifest.exportedAt) check.fail(`${MANIFEST_FILE}: exportedAt ${JSON.stringify(manifest.exportedAt)} is not the time of the ${EXPORT_EVENT_KIND} event (${time})`);
  const head = (JSON.parse(fieldText(bytes, scans, at, F.data)) as { head?: { seq?: unknown; hash?: unknown } }).head;
  const expectedHash = seq === 1 ? null : previousHash;
  if (head?.seq !== seq - 1 || head.hash !== expectedHash || Object.keys(head).length !== 2) {
    check.fail(`${path}: data.head does not name event ${seq - 1} and its hash`);
  }
}
