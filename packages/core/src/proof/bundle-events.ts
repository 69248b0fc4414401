/**
 * The events check of `verifyBundle`: each event file's bytes are canonical, belong to the case,
 * sit where their seq says, and link to the one before; the chain ends with the export event.
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
const REQUIRED: ReadonlyArray<[(typeof FIELDS)[number], string]> = [
  ['actor', '{'],
  ['at', '"'],
  ['data', '{'],
  ['id', '"'],
  ['kind', '"'],
  ['outcome', '"'],
  ['seq', '0123456789'],
  ['stream', '"'],
  ['v', '0123456789'],
];
const field = (name: (typeof FIELDS)[number]): number => FIELDS.indexOf(name);
const reader = new CanonicalObjectReader(FIELDS);
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** In canonical JSON a raw `{"` never occurs inside a string, so this only matches a commitment object. */
const COMMITMENT = Buffer.from('{"$pii":"');

interface ParsedEvent {
  raw: (name: (typeof FIELDS)[number]) => string | undefined;
  facts: EventFacts;
}

/** Reads one event file; returns a problem description instead when it is not a well-formed event. */
function readEvent(seq: number, bytes: Buffer, hash: string): ParsedEvent | string {
  const scan = reader.read(bytes);
  if (scan === undefined) return 'not canonical JSON (RFC 8785): the bytes were altered or re-serialised';
  if (scan.unexpected.length > 0) return `unexpected field ${JSON.stringify(scan.unexpected[0])}`;
  const raw = (name: (typeof FIELDS)[number]): string | undefined => {
    const span: Span | undefined = scan.spans[field(name)];
    return span === undefined ? undefined : bytes.toString('utf8', span[0], span[1]);
  };
  for (const [name, starts] of REQUIRED) {
    const span = scan.spans[field(name)];
    if (span === undefined || !starts.includes(String.fromCharCode(bytes[span[0]]!))) return `field ${name} is missing or of the wrong type`;
  }
  if (raw('v') !== '1') return `unknown event format version ${raw('v')}`;
  const blobs = readBlobs(raw('blobs'));
  if (blobs === undefined) return 'field blobs is not a list of SHA-256 hashes';
  const path = eventFile(seq);
  return { raw, facts: { seq, path, bytes, hash, blobs, commitments: commitmentsIn(bytes, scan.spans[field('data')]!) } };
}

function readBlobs(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return [];
  const blobs: unknown = JSON.parse(raw);
  return Array.isArray(blobs) && blobs.every((b) => typeof b === 'string' && SHA256_HEX.test(b)) ? (blobs as string[]) : undefined;
}

function commitmentsIn(bytes: Buffer, [start, end]: Span): string[] {
  const found: string[] = [];
  for (let at = bytes.indexOf(COMMITMENT, start); at >= 0 && at < end; at = bytes.indexOf(COMMITMENT, at + 1)) {
    const value = bytes.toString('latin1', at + COMMITMENT.length, at + COMMITMENT.length + 64);
    const close = at + COMMITMENT.length + 64;
    if (SHA256_HEX.test(value) && bytes[close] === 0x22 && bytes[close + 1] === 0x7d) found.push(value);
  }
  return found;
}

/** Checks the chain; returns facts for every event file present (valid or not) for the later checks. */
export function checkEvents(
  files: ReadonlyMap<string, Buffer>,
  hashes: ReadonlyMap<string, string>,
  seqs: readonly number[],
  manifest: BundleManifest,
  check: CheckRecorder,
): EventFacts[] {
  const exportSeq = manifest.export.seq;
  const stream = JSON.stringify(manifest.case);
  const all: EventFacts[] = [];
  const parsed = new Map<number, ParsedEvent>();
  reportGaps(seqs, exportSeq, check);
  for (const seq of seqs) {
    const path = eventFile(seq);
    const bytes = files.get(path)!;
    const event = readEvent(seq, bytes, hashes.get(path)!);
    if (typeof event === 'string') {
      check.fail(`${path}: ${event}`);
      all.push({ seq, path, bytes, hash: hashes.get(path)!, blobs: [], commitments: [] });
      continue;
    }
    all.push(event.facts);
    parsed.set(seq, event);
    if (event.raw('stream') !== stream) check.fail(`${path}: belongs to stream ${event.raw('stream')}, not case ${manifest.case}`);
    if (event.raw('seq') !== String(seq)) check.fail(`${path}: holds event seq ${event.raw('seq')}, but its file name says ${seq}`);
    if (seq > exportSeq) check.fail(`${path}: comes after the export event (seq ${exportSeq})`);
    const previous = seq === 1 ? 'null' : hashes.has(eventFile(seq - 1)) ? JSON.stringify(hashes.get(eventFile(seq - 1))) : undefined;
    if (previous !== undefined && event.raw('prev') !== previous) check.fail(`${path}: previous-hash link is broken (prev is not the SHA-256 of event ${seq - 1})`);
  }
  const exported = parsed.get(exportSeq);
  if (exported !== undefined) checkExportEvent(exported, manifest, hashes, check);
  const first = seqs[0] ?? 0;
  check.finish(`${seqs.length} events, seq ${first}..${seqs.at(-1) ?? 0}, hash chain intact, ending with ${EXPORT_EVENT_KIND} (seq ${exportSeq})`);
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

function checkExportEvent(event: ParsedEvent, manifest: BundleManifest, hashes: ReadonlyMap<string, string>, check: CheckRecorder): void {
  const { path, seq } = event.facts;
  const kind = JSON.parse(event.raw('kind')!) as string;
  if (kind !== EXPORT_EVENT_KIND) check.fail(`${path}: the last event is ${kind}, not ${EXPORT_EVENT_KIND}`);
  if (JSON.parse(event.raw('id')!) !== manifest.export.event) check.fail(`${path}: its id is not the manifest's export event ${manifest.export.event}`);
  const head = (JSON.parse(event.raw('data')!) as { head?: { seq?: unknown; hash?: unknown } }).head;
  const previousHash = seq === 1 ? null : hashes.get(eventFile(seq - 1));
  if (head?.seq !== seq - 1 || head.hash !== previousHash || Object.keys(head).length !== 2) {
    check.fail(`${path}: data.head does not name event ${seq - 1} and its hash`);
  }
}
