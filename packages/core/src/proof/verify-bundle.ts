/**
 * The offline verifier for evidence bundles (docs/evidence-bundle.md describes every check).
 * It never throws: anything malformed becomes a named failure in the report.
 */
import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { checkCheckpoint, checkSince } from './bundle-checkpoint.js';
import { checkBlobs } from './bundle-contents.js';
import { checkDisclosures } from './bundle-disclosures.js';
import { EventRecord, PACKED_SCAN, checkEvents, scanEventsNatively } from './bundle-events.js';
import { checkInclusion, checkInclusionV2 } from './bundle-inclusion.js';
import { checkStory } from './bundle-story.js';
import { duplicateKey } from './json-duplicates.js';
import { CheckRecorder, MAX_LISTED_PROBLEMS, emptyReport, type BundleReport } from './bundle-report.js';
import { LEAF_PREFIX, NO_PREFIX, hashSpans } from './sha256-batch.js';
import { BUNDLE_FORMAT, BUNDLE_FORMATS, EVENTS_FILE, MANIFEST_FILE, classifyPath, eventFile, eventLine, hasEventLines, eventLineBounds, eventLineLimit, isBound, MIN_EVENT_BYTES, type BundleFormat, type BundleManifest, type BundlePath } from './bundle.js';
import type { TrustedKey } from './log-keys.js';

export interface VerifyBundleOptions {
  /** The auditor's keys (from a trust file); keys in the bundle are never used. */
  trusted: readonly TrustedKey[];
  /** An earlier signed checkpoint the auditor holds, to check the log only grew since. */
  since?: string;
  /** SHA-256 (hex) of files already hashed elsewhere (`latch verify --jobs` hashes on several threads); the rest are hashed here. */
  fileHashes?: ReadonlyMap<string, string>;
  /**
   * Work done elsewhere on a format 2 or 3 bundle's events (`latch verify --jobs` does it on several
   * threads, bundle-work.ts), for the lines of events.jsonl in order: each event's SHA-256 (64 hex
   * digits each, one after another), RFC 6962 leaf hash (32 bytes each), packed canonical scan
   * (packEventScan), and 1 where story.txt's line is the event's line (a 0 is checked here again).
   * Any of them may be given; the rest is computed here. `lines`: events.jsonl's line bounds
   * (lineBounds) as the work's plan found them, used only when they cut the file into its lines.
   */
  eventHashes?: { sha256?: Buffer; leaves?: Buffer; storyMatches?: Uint8Array; scans?: Int32Array; lines?: Int32Array };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MANIFEST_FIELDS = ['case', 'erasedBlobs', 'export', 'exportedAt', 'files', 'format', 'origin'];

/** Why the manifest is unusable, or undefined when its shape is right. */
function manifestProblem(m: Record<string, unknown>): string | undefined {
  if (!BUNDLE_FORMATS.includes(m.format as BundleFormat)) return `unknown format ${JSON.stringify(m.format)}: this verifier reads ${BUNDLE_FORMATS.join(', ')}`;
  const unknown = Object.keys(m).find((k) => !MANIFEST_FIELDS.includes(k));
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown)}`;
  for (const name of ['case', 'origin', 'exportedAt'] as const) {
    if (typeof m[name] !== 'string' || m[name] === '') return `${name} must be a non-empty string`;
  }
  const exp = m.export as { event?: unknown; seq?: unknown } | null;
  if (typeof exp !== 'object' || exp === null || typeof exp.event !== 'string' || !Number.isSafeInteger(exp.seq) || (exp.seq as number) < 1 || Object.keys(exp).length !== 2) {
    return 'export must be { "event": <id>, "seq": <positive integer> }';
  }
  // Each hash is compared with the SHA-256 computed in lower-case hex: anything else fails there, by name.
  const files = m.files as Record<string, unknown> | null;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) return 'files must map each path to a SHA-256 in hex';
  if (!Array.isArray(m.erasedBlobs) || !m.erasedBlobs.every((h) => typeof h === 'string' && SHA256_HEX.test(h))) {
    return 'erasedBlobs must be a list of SHA-256 hashes in hex';
  }
  return undefined;
}

function readManifest(bytes: Buffer | undefined, check: CheckRecorder): BundleManifest | undefined {
  let problem: string | undefined;
  let manifest: unknown;
  if (bytes === undefined) problem = 'missing';
  else if (!isUtf8(bytes)) problem = 'not UTF-8 text';
  else {
    const text = bytes.toString('utf8');
    try {
      manifest = JSON.parse(text);
      const isObject = manifest !== null && typeof manifest === 'object' && !Array.isArray(manifest);
      const duplicate = isObject ? duplicateKey(text) : undefined;
      if (duplicate !== undefined) problem = `the key ${JSON.stringify(duplicate)} is given twice: tools disagree on which copy to read`;
      else problem = isObject ? manifestProblem(manifest as Record<string, unknown>) : 'not a JSON object';
    } catch {
      problem = 'not JSON';
    }
  }
  if (problem !== undefined) check.fail(`${MANIFEST_FILE}: ${problem}`);
  const m = manifest as BundleManifest;
  check.finish(problem === undefined ? `${m.format}, case ${m.case}, log ${m.origin}` : '');
  return problem === undefined ? m : undefined;
}

/** A present file, hashed and classified once for all the checks. */
interface BundleFile {
  path: string;
  bytes: Buffer;
  /** Undefined for a file the format lists without a hash (isBound). */
  sha256: string | undefined;
  kind: BundlePath['kind'] | undefined;
  /** For an event or proof file, the seq its name gives. */
  seq: number;
}

/** A file hashed for the checks: every file but those the format lists without a hash. */
type HashedFile = BundleFile & { sha256: string };

/** The present files by kind. Checks get the files themselves: a map lookup per event would cost more than the check. */
interface BundleIndex {
  all: BundleFile[];
  /** Format 1: each event file; formats 2 and 3: each line of events.jsonl. */
  events: HashedFile[];
  proofs: Map<number, BundleFile>;
  blobs: HashedFile[];
  consistency: string[];
  /** Formats 2 and 3: inclusion.txt. */
  inclusion?: BundleFile;
  /** Formats 2 and 3: each line's RFC 6962 leaf hash, 32 bytes each, in the order of `events`. */
  leaves?: Buffer;
  /** Formats 2 and 3: the lines' packed scans, where they were read natively or given (checkEvents). */
  scans?: Int32Array;
}

/** Whether the files are sorted by seq already: sorting ten thousand costs a copy of them. */
function inSeqOrder(files: readonly BundleFile[]): boolean {
  for (let k = 1; k < files.length; k++) if (files[k - 1]!.seq > files[k]!.seq) return false;
  return true;
}

function indexFiles(files: ReadonlyMap<string, Buffer>, manifest: BundleManifest, options: VerifyBundleOptions, check: CheckRecorder): BundleIndex {
  const format = manifest.format;
  const fileHashes = options.fileHashes;
  const index: BundleIndex = { all: [], events: [], proofs: new Map(), blobs: [], consistency: [] };
  for (const [path, bytes] of files) {
    if (path === MANIFEST_FILE) continue;
    const name = classifyPath(path, format);
    const seq = name?.kind === 'event' || name?.kind === 'proof' ? name.seq : 0;
    const kind = name?.kind;
    // An event file or a blob is never bound (isBound), so it always has its hash.
    const file = { path, bytes, sha256: isBound(path, format) ? undefined : (fileHashes?.get(path) ?? hash('sha256', bytes, 'hex')), kind, seq };
    index.all.push(file);
    if (kind === 'event') index.events.push(file as HashedFile);
    else if (kind === 'proof') index.proofs.set(seq, file);
    else if (kind === 'blob') index.blobs.push(file as HashedFile);
    else if (kind === 'consistency') index.consistency.push(path);
    else if (kind === 'events') ({ lines: index.events, leaves: index.leaves, scans: index.scans } = eventLines(bytes, options.eventHashes, check, manifest.export.seq));
    else if (kind === 'inclusion') index.inclusion = file;
  }
  if (!inSeqOrder(index.events)) index.events.sort((a, b) => a.seq - b.seq);
  return index;
}

/** What all the lines of events.jsonl share. */
interface EventLines {
  /** The SHA-256s of all the lines, 64 hex digits each, one after another. */
  readonly sha256: Buffer;
  /** Known to be UTF-8: the whole file is (a line break never falls inside a character). */
  readonly utf8: boolean;
}

/**
 * A line of events.jsonl, and the facts the events check finds in it (one object per event: the
 * collector copies every one that lives through the run). Its name is written only for a report
 * that names it, and its SHA-256 read from the lines' when asked (the events check asks once, as
 * it walks the chain): ten thousand strings kept for the whole verification would be copied by
 * every young-generation collection.
 */
class EventLineFile extends EventRecord implements HashedFile {
  constructor(
    readonly seq: number,
    readonly bytes: Buffer,
    private readonly lines: EventLines,
  ) {
    super();
  }

  get kind(): 'event' {
    return 'event';
  }

  get utf8(): boolean {
    return this.lines.utf8;
  }

  get path(): string {
    return eventLine(this.seq);
  }

  get sha256(): string {
    return this.lines.sha256.toString('latin1', 64 * (this.seq - 1), 64 * this.seq);
  }

  /** Compared where the lines' hashes lie: no string per event. */
  override hashIs(text: Buffer, start: number, end: number): boolean {
    return end - start === 64 && text.compare(this.lines.sha256, 64 * (this.seq - 1), 64 * this.seq, start, end) === 0;
  }
}

/**
 * Whether `bounds` are the lines of `bytes` as lineBounds gives them: each starts after the line
 * break that ends the one before, ends at a line break or at the end of the file, and together they
 * cover every byte. (A line break inside a line is not looked for: the canonical scan refuses one.)
 */
function areLinesOf(bounds: Int32Array, bytes: Buffer): boolean {
  if (bounds.length % 2 !== 0) return false;
  let start = 0;
  for (let k = 0; k < bounds.length; k += 2) {
    const end = bounds[k + 1]!;
    if (bounds[k] !== start || end < start || end > bytes.length || (end < bytes.length && bytes[end] !== 0x0a)) return false;
    start = end + 1;
  }
  return start >= bytes.length;
}

/**
 * events.jsonl (formats 2 and 3) as one entry per line (line n is event seq n), each a view of the file's
 * bytes, and each line's leaf hash. A last line without its '\n' is still read, and reported. The
 * lines' SHA-256s and leaf hashes are computed in two batches (sha256-batch.ts), and the lines read
 * first by the native addon where it is built (scanEventsNatively), unless given.
 */
function eventLines(bytes: Buffer, done: VerifyBundleOptions['eventHashes'], check: CheckRecorder, exportSeq: number): { lines: HashedFile[]; leaves?: Buffer; scans?: Int32Array } {
  const given = done?.lines;
  // The plan's lines, when they are the whole file's (it had none left over, none short).
  const planned = given !== undefined && given.length <= 2 * eventLineLimit(exportSeq) && areLinesOf(given, bytes);
  const read = planned ? undefined : eventLineBounds(bytes, exportSeq);
  const bounds = planned ? given : read!.bounds;
  if (read?.leftOver === true) {
    check.fail(
      read.byMemory
        ? `${EVENTS_FILE}: more than ${read.limit} lines: verifying them would take more memory than this process may use (node's --max-old-space-size sets it); the lines after line ${read.limit} were not read`
        : `${EVENTS_FILE}: more lines than the export event (seq ${exportSeq}) allows: the lines after line ${read.limit} were not read`,
    );
  }
  if (read?.short === true) {
    check.fail(`${EVENTS_FILE}: more than ${MAX_LISTED_PROBLEMS} of its ${read.found} lines are shorter than any event (${MIN_EVENT_BYTES} bytes): not a file of events, none of its lines read`);
    return { lines: [] };
  }
  const count = bounds.length / 2;
  let sha256 = done?.sha256;
  if (sha256?.length !== 64 * count) hashSpans(bytes, bounds, NO_PREFIX, (sha256 = Buffer.allocUnsafe(64 * count)), true);
  let leaves = done?.leaves;
  if (leaves?.length !== 32 * count) hashSpans(bytes, bounds, LEAF_PREFIX, (leaves = Buffer.allocUnsafe(32 * count)), false);
  const shared: EventLines = { sha256, utf8: isUtf8(bytes) };
  const scans = done?.scans?.length === count * PACKED_SCAN ? done.scans : scanEventsNatively(bytes, bounds, shared.utf8);
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) {
    check.fail(`${EVENTS_FILE}: does not end with a line break (its last line, event ${count}, may be cut short)`);
  }
  const lines: HashedFile[] = [];
  for (let k = 0; k < count; k++) lines.push(new EventLineFile(k + 1, bytes.subarray(bounds[2 * k], bounds[2 * k + 1]), shared));
  return { lines, leaves, ...(scans !== undefined ? { scans } : {}) };
}

/**
 * Every listed file present with its SHA-256, named as the format names files, and nothing
 * unlisted but the files format 3 lists without a hash (isBound), which must not be listed.
 */
function checkFiles(index: BundleIndex, manifest: BundleManifest, check: CheckRecorder): void {
  const format = manifest.format;
  const listed = manifest.files;
  let matched = 0;
  const bound: string[] = [];
  for (const { path, sha256, kind } of index.all) {
    if (sha256 === undefined) {
      bound.push(path);
      if (Object.hasOwn(listed, path)) check.fail(`${path}: listed in the manifest, but ${format} lists no SHA-256 for it: every byte of it is checked against the signed log`);
      continue;
    }
    // One lookup: only an own property can hold a string (nothing on Object.prototype is one).
    const found: unknown = listed[path];
    const expected = typeof found === 'string' || Object.hasOwn(listed, path) ? found : undefined;
    if (expected === undefined) check.fail(`${path}: not listed in the manifest`);
    else matched++;
    if (kind === undefined) check.fail(`${path}: not a file of the bundle format`);
    if (expected !== undefined && expected !== sha256) check.fail(`${path}: SHA-256 does not match the manifest`);
  }
  // Each present file matched a distinct entry; any other entry names a file that is not here.
  if (matched !== Object.keys(listed).length) {
    const present = new Set(index.all.map((f) => f.path));
    for (const path in listed) {
      if (present.has(path)) continue;
      if (path === MANIFEST_FILE || classifyPath(path, format) === undefined) check.fail(`${path}: not a file of the bundle format`);
      check.fail(`${path}: listed in the manifest but missing`);
    }
  }
  const hashed = `${index.all.length - bound.length} files present, each matching its SHA-256 in the manifest`;
  if (bound.length === 0) return check.finish(hashed);
  const names = bound.sort();
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  check.finish(`${hashed}; ${list} ${names.length === 1 ? 'is' : 'are'} checked byte for byte against the signed log below`);
}

/** Zip readers may list directories as entries ending in '/'; they carry nothing. */
function isDirectory(path: string, bytes: Uint8Array): boolean {
  return path.endsWith('/') && bytes.length === 0;
}

function asFiles(input: ReadonlyMap<string, Uint8Array>): ReadonlyMap<string, Buffer> {
  let usable = true;
  for (const [path, bytes] of input) usable &&= Buffer.isBuffer(bytes) && !isDirectory(path, bytes);
  if (usable) return input as ReadonlyMap<string, Buffer>; // the usual case: no copy of a map of every file
  const files = new Map<string, Buffer>();
  for (const [path, bytes] of input) {
    if (isDirectory(path, bytes)) continue;
    files.set(path, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  return files;
}

/**
 * Runs one check, so that a fault in it (a bug: every check is written never to throw) is reported as
 * that check's failure and the checks after it still run and are reported.
 */
function guarded(check: CheckRecorder, run: (check: CheckRecorder) => void): void {
  try {
    run(check);
  } catch (e) {
    check.fail(`${check.name}: verifier: internal error: ${e instanceof Error ? e.message : String(e)}`);
    check.finish('');
  }
}

function run(input: ReadonlyMap<string, Uint8Array>, options: VerifyBundleOptions, report: BundleReport): void {
  const files = asFiles(input);
  const step = (name: string): CheckRecorder => new CheckRecorder(name, report);
  const manifest = readManifest(files.get(MANIFEST_FILE), step('manifest'));
  if (manifest === undefined) {
    for (const name of ['files', 'events', 'attachments', 'personal data', 'story', 'checkpoint', 'inclusion', 'consistency']) step(name).skip('no usable manifest');
    return;
  }
  report.caseId = manifest.case;
  const v2 = hasEventLines(manifest.format);
  const filesCheck = step('files');
  const index = indexFiles(files, manifest, options, filesCheck);
  checkFiles(index, manifest, filesCheck);
  const { events, scans } = checkEvents(index.events, manifest, step('events'), v2 ? eventLine : eventFile, v2 ? index.scans : undefined);
  report.events = events.length;
  guarded(step('attachments'), (check) => checkBlobs(events, index.blobs, manifest, check));
  guarded(step('personal data'), (check) => checkDisclosures(files, events, check));
  guarded(step('story'), (check) => checkStory(files, events, scans, check, v2 ? options.eventHashes?.storyMatches : undefined, manifest.format === BUNDLE_FORMAT));
  const checkpoint = checkCheckpoint(files, manifest.origin, options.trusted, step('checkpoint'));
  if (checkpoint !== undefined) report.checkpoint = { origin: checkpoint.origin, size: checkpoint.size, signedBy: checkpoint.signedBy };
  guarded(step('inclusion'), (check) => (v2 ? checkInclusionV2(events, index.inclusion, checkpoint, check, index.leaves) : checkInclusion(events, index.proofs, checkpoint, check)));
  guarded(step('consistency'), (check) => checkSince(files, index.consistency, options.since, checkpoint, options.trusted, check));
}

/** Verifies an evidence bundle (file name → bytes) offline against the auditor's trusted keys. Never throws. */
export function verifyBundle(files: ReadonlyMap<string, Uint8Array>, options: VerifyBundleOptions): BundleReport {
  const report = emptyReport();
  try {
    run(files, options, report);
  } catch (e) {
    report.failures.push(`verifier: internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
  report.ok = report.failures.length === 0 && report.checks.length > 0 && report.checks.every((c) => c.ok);
  return report;
}
