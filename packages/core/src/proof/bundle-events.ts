/**
 * The events check of `verifyBundle`: each event file's bytes are canonical, belong to the case,
 * sit where their seq says, and link to the one before; the chain ends with the export event.
 *
 * Fields are compared as bytes inside the scanned event rather than decoded: this runs for every
 * event of the case, and decoding would cost more than the check.
 */
import type { CheckRecorder } from './bundle-report.js';
import { EXPORT_EVENT_KIND, eventFile, type BundleManifest } from './bundle.js';
import { CanonicalObjectReader, type Span } from './canonical-scan.js';

/** What later checks need from one event file. */
export interface EventFacts {
  seq: number;
  path: string;
  bytes: Buffer;
  /** SHA-256 hex of the bytes: the event hash the next event's `prev` names. */
  hash: string;
  blobs: string[];
  /** Personal-data commitments in `data`. */
  commitments: string[];
}

const FIELDS = ['actor', 'at', 'blobs', 'data', 'id', 'kind', 'outcome', 'prev', 'reason', 'seq', 'stream', 'v'] as const;
type Field = (typeof FIELDS)[number];
const at = (name: Field): number => FIELDS.indexOf(name);
const [BLOBS, DATA, ID, KIND, PREV, SEQ, STREAM, V] = (['blobs', 'data', 'id', 'kind', 'prev', 'seq', 'stream', 'v'] as const).map(at) as [
  number, number, number, number, number, number, number, number,
];
const reader = new CanonicalObjectReader(FIELDS);

const QUOTE = 0x22;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
/** The first byte of a canonical value tells its type. */
const REQUIRED: ReadonlyArray<[number, (first: number | undefined) => boolean]> = [
  [at('actor'), (c) => c === OPEN_OBJECT],
  [at('at'), (c) => c === QUOTE],
  [at('data'), (c) => c === OPEN_OBJECT],
  [at('id'), (c) => c === QUOTE],
  [at('kind'), (c) => c === QUOTE],
  [at('outcome'), (c) => c === QUOTE],
  [at('seq'), isDigit],
  [at('stream'), (c) => c === QUOTE],
  [at('v'), isDigit],
];
const OPTIONAL: ReadonlyArray<[number, (first: number | undefined) => boolean]> = [
  [at('blobs'), (c) => c === OPEN_ARRAY],
  [at('reason'), (c) => c === QUOTE],
];
/** In canonical JSON a raw `{"` never occurs inside a string, so this only finds commitment objects. */
const COMMITMENT = Buffer.from('{"$pii":"');
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The bytes in `span` are exactly the ASCII `text`, in quotes when `quoted`. */
function spanIs(bytes: Buffer, [start, end]: Span, text: string, quoted = false): boolean {
  const q = quoted ? 1 : 0;
  if (end - start !== text.length + 2 * q || (quoted && (bytes[start] !== QUOTE || bytes[end - 1] !== QUOTE))) return false;
  for (let k = 0; k < text.length; k++) if (bytes[start + q + k] !== text.charCodeAt(k)) return false;
  return true;
}

function isHex64At(bytes: Buffer, offset: number): boolean {
  for (let k = offset; k < offset + 64; k++) {
    const c = bytes[k];
    if (!(isDigit(c) || (c !== undefined && c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

function commitmentsIn(bytes: Buffer, [start, end]: Span): string[] {
  const found: string[] = [];
  for (let i = bytes.indexOf(COMMITMENT, start); i >= 0 && i < end; i = bytes.indexOf(COMMITMENT, i + 1)) {
    const value = i + COMMITMENT.length;
    if (isHex64At(bytes, value) && bytes[value + 64] === QUOTE && bytes[value + 65] === 0x7d) found.push(bytes.toString('latin1', value, value + 64));
  }
  return found;
}

interface ReadEvent {
  spans: Array<Span | undefined>;
  facts: EventFacts;
}

/** Reads one event file; a problem description instead when it is not a well-formed event. */
function readEvent(seq: number, path: string, bytes: Buffer, hash: string): ReadEvent | string {
  const scan = reader.read(bytes);
  if (scan === undefined) return 'not canonical JSON (RFC 8785): the bytes were altered or re-serialised';
  if (scan.unexpected.length > 0) return `unexpected field ${JSON.stringify(scan.unexpected[0])}`;
  const { spans } = scan;
  for (const [i, ok] of REQUIRED) if (spans[i] === undefined || !ok(bytes[spans[i][0]])) return `field ${FIELDS[i]} is missing or of the wrong type`;
  for (const [i, ok] of OPTIONAL) if (spans[i] !== undefined && !ok(bytes[spans[i][0]])) return `field ${FIELDS[i]} is of the wrong type`;
  if (!spanIs(bytes, spans[V]!, '1')) return 'unknown event format version';
  const blobs = spans[BLOBS] === undefined ? [] : readBlobs(bytes, spans[BLOBS]);
  if (blobs === undefined) return 'field blobs is not a list of SHA-256 hashes';
  return { spans, facts: { seq, path, bytes, hash, blobs, commitments: commitmentsIn(bytes, spans[DATA]!) } };
}

function readBlobs(bytes: Buffer, [start, end]: Span): string[] | undefined {
  const blobs: unknown = JSON.parse(bytes.toString('utf8', start, end));
  return Array.isArray(blobs) && blobs.every((b) => typeof b === 'string' && SHA256_HEX.test(b)) ? (blobs as string[]) : undefined;
}

const text = (bytes: Buffer, span: Span): string => bytes.toString('utf8', span[0], span[1]);

/** Checks the chain; returns facts for every event file present (well-formed or not) for the later checks. */
export function checkEvents(
  files: ReadonlyMap<string, Buffer>,
  hashes: ReadonlyMap<string, string>,
  seqs: readonly number[],
  manifest: BundleManifest,
  check: CheckRecorder,
): EventFacts[] {
  const exportSeq = manifest.export.seq;
  const caseId = manifest.case;
  const stream = JSON.stringify(caseId);
  const all: EventFacts[] = [];
  let exported: ReadEvent | undefined;
  let previousSeq = 0;
  let previousHash = '';
  reportGaps(seqs, exportSeq, check);
  for (const seq of seqs) {
    const path = eventFile(seq);
    const bytes = files.get(path)!;
    const hash = hashes.get(path)!;
    const event = readEvent(seq, path, bytes, hash);
    // The link is checked only across adjacent seqs: a gap is reported once, above.
    const linked = seq === 1 || previousSeq === seq - 1;
    const expectedPrev = seq === 1 ? null : previousHash;
    previousSeq = seq;
    previousHash = hash;
    if (typeof event === 'string') {
      check.fail(`${path}: ${event}`);
      all.push({ seq, path, bytes, hash, blobs: [], commitments: [] });
      continue;
    }
    all.push(event.facts);
    const { spans } = event;
    if (!spanIs(bytes, spans[STREAM]!, stream)) check.fail(`${path}: belongs to stream ${text(bytes, spans[STREAM]!)}, not case ${caseId}`);
    if (!spanIs(bytes, spans[SEQ]!, String(seq))) check.fail(`${path}: holds event seq ${text(bytes, spans[SEQ]!)}, but its file name says ${seq}`);
    if (seq > exportSeq) check.fail(`${path}: comes after the export event (seq ${exportSeq})`);
    const prev = spans[PREV];
    if (linked && (prev === undefined || !(expectedPrev === null ? spanIs(bytes, prev, 'null') : spanIs(bytes, prev, expectedPrev, true)))) {
      check.fail(`${path}: previous-hash link is broken (prev is not the SHA-256 of event ${seq - 1})`);
    }
    if (seq === exportSeq) exported = event;
  }
  if (exported !== undefined) checkExportEvent(exported, manifest, hashes, check);
  check.finish(`${seqs.length} events, seq 1..${exportSeq}, hash chain intact, ending with ${EXPORT_EVENT_KIND} (seq ${exportSeq})`);
  return all;
}

function reportGaps(seqs: readonly number[], exportSeq: number, check: CheckRecorder): void {
  let expected = 1;
  for (const seq of [...seqs, exportSeq + 1]) {
    if (seq > expected) {
      const tail = seq === exportSeq + 1 ? ` (the bundle must end with the ${EXPORT_EVENT_KIND} event, seq ${exportSeq})` : '';
      const which = seq - expected === 1 ? `event ${expected} is missing` : `events ${expected}..${seq - 1} are missing`;
      check.fail(`${eventFile(expected)}: ${which}${tail}`);
    }
    expected = Math.max(expected, seq + 1);
  }
}

function checkExportEvent({ facts, spans }: ReadEvent, manifest: BundleManifest, hashes: ReadonlyMap<string, string>, check: CheckRecorder): void {
  const { path, seq, bytes } = facts;
  const kind = JSON.parse(text(bytes, spans[KIND]!)) as string;
  if (kind !== EXPORT_EVENT_KIND) check.fail(`${path}: the last event is ${kind}, not ${EXPORT_EVENT_KIND}`);
  if (JSON.parse(text(bytes, spans[ID]!)) !== manifest.export.event) check.fail(`${path}: its id is not the manifest's export event ${manifest.export.event}`);
  const head = (JSON.parse(text(bytes, spans[DATA]!)) as { head?: { seq?: unknown; hash?: unknown } }).head;
  const previousHash = seq === 1 ? null : hashes.get(eventFile(seq - 1));
  if (head?.seq !== seq - 1 || head.hash !== previousHash || Object.keys(head).length !== 2) {
    check.fail(`${path}: data.head does not name event ${seq - 1} and its hash`);
  }
}
