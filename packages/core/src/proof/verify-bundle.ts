/**
 * The offline verifier for evidence bundles (docs/evidence-bundle.md describes every check).
 * It never throws: anything malformed becomes a named failure in the report.
 */
import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { checkCheckpoint, checkSince } from './bundle-checkpoint.js';
import { checkBlobs, checkDisclosures } from './bundle-contents.js';
import { checkEvents } from './bundle-events.js';
import { checkInclusion } from './bundle-inclusion.js';
import { CheckRecorder, emptyReport, type BundleReport } from './bundle-report.js';
import { BUNDLE_FORMAT, MANIFEST_FILE, classifyPath, type BundleManifest, type BundlePath } from './bundle.js';
import type { TrustedKey } from './log-keys.js';

export interface VerifyBundleOptions {
  /** The auditor's keys (from a trust file); keys in the bundle are never used. */
  trusted: readonly TrustedKey[];
  /** An earlier signed checkpoint the auditor holds, to check the log only grew since. */
  since?: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MANIFEST_FIELDS = ['case', 'erasedBlobs', 'export', 'exportedAt', 'files', 'format', 'origin'];

/** Why the manifest is unusable, or undefined when its shape is right. */
function manifestProblem(m: Record<string, unknown>): string | undefined {
  if (m.format !== BUNDLE_FORMAT) return `unknown format ${JSON.stringify(m.format)}: this verifier reads ${BUNDLE_FORMAT}`;
  const unknown = Object.keys(m).find((k) => !MANIFEST_FIELDS.includes(k));
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown)}`;
  for (const name of ['case', 'origin', 'exportedAt'] as const) {
    if (typeof m[name] !== 'string' || m[name] === '') return `${name} must be a non-empty string`;
  }
  const exp = m.export as { event?: unknown; seq?: unknown } | null;
  if (typeof exp !== 'object' || exp === null || typeof exp.event !== 'string' || !Number.isSafeInteger(exp.seq) || (exp.seq as number) < 1) {
    return 'export must be { "event": <id>, "seq": <positive integer> }';
  }
  // Each hash is compared with the SHA-256 computed in lower-case hex, so only its type matters here.
  const files = m.files as Record<string, unknown> | null;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) return 'files must map each path to a SHA-256 in hex';
  for (const path in files) if (typeof files[path] !== 'string') return `files: the hash of ${path} is not a string`;
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
    try {
      manifest = JSON.parse(bytes.toString('utf8'));
      const isObject = manifest !== null && typeof manifest === 'object' && !Array.isArray(manifest);
      problem = isObject ? manifestProblem(manifest as Record<string, unknown>) : 'not a JSON object';
    } catch {
      problem = 'not JSON';
    }
  }
  if (problem !== undefined) check.fail(`${MANIFEST_FILE}: ${problem}`);
  const m = manifest as BundleManifest;
  check.finish(problem === undefined ? `${BUNDLE_FORMAT}, case ${m.case}, ${Object.keys(m.files).length} files listed` : '');
  return problem === undefined ? m : undefined;
}

/** Every listed file present with its SHA-256, and nothing unlisted; returns each present file's hash. */
function checkFiles(files: ReadonlyMap<string, Buffer>, manifest: BundleManifest, check: CheckRecorder): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const [path, bytes] of files) if (path !== MANIFEST_FILE) hashes.set(path, hash('sha256', bytes, 'hex'));
  for (const path in manifest.files) {
    if (path === MANIFEST_FILE || classifyPath(path) === undefined) check.fail(`${path}: not a file of the bundle format`);
    const expected = manifest.files[path];
    const actual = hashes.get(path);
    if (actual === undefined) check.fail(`${path}: listed in the manifest but missing`);
    else if (actual !== expected) check.fail(`${path}: SHA-256 does not match the manifest`);
  }
  for (const path of hashes.keys()) {
    if (!Object.hasOwn(manifest.files, path)) check.fail(`${path}: not listed in the manifest`);
  }
  check.finish(`${hashes.size} files present, each matching its SHA-256 in the manifest`);
  return hashes;
}

/** The present files by kind; names outside the format are left out (the files check names them). */
function sortFiles(files: ReadonlyMap<string, Buffer>): { events: number[]; proofs: number[]; blobs: string[]; consistency: string[] } {
  const sorted = { events: [] as number[], proofs: [] as number[], blobs: [] as string[], consistency: [] as string[] };
  for (const path of files.keys()) {
    const kind: BundlePath | undefined = classifyPath(path);
    if (kind?.kind === 'event') sorted.events.push(kind.seq);
    else if (kind?.kind === 'proof') sorted.proofs.push(kind.seq);
    else if (kind?.kind === 'blob') sorted.blobs.push(kind.sha256);
    else if (kind?.kind === 'consistency') sorted.consistency.push(path);
  }
  sorted.events.sort((a, b) => a - b);
  sorted.proofs.sort((a, b) => a - b);
  return sorted;
}

/** Zip readers may list directories as entries ending in '/'; they carry nothing. */
function asFiles(input: ReadonlyMap<string, Uint8Array>): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const [path, bytes] of input) {
    if (path.endsWith('/') && bytes.length === 0) continue;
    files.set(path, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  return files;
}

function run(input: ReadonlyMap<string, Uint8Array>, options: VerifyBundleOptions, report: BundleReport): void {
  const files = asFiles(input);
  const step = (name: string): CheckRecorder => new CheckRecorder(name, report);
  const manifest = readManifest(files.get(MANIFEST_FILE), step('manifest'));
  if (manifest === undefined) {
    for (const name of ['files', 'events', 'attachments', 'personal data', 'checkpoint', 'inclusion', 'consistency']) step(name).skip('no usable manifest');
    return;
  }
  report.caseId = manifest.case;
  const hashes = checkFiles(files, manifest, step('files'));
  const sorted = sortFiles(files);
  const events = checkEvents(files, hashes, sorted.events, manifest, step('events'));
  report.events = events.length;
  checkBlobs(events, sorted.blobs, hashes, manifest, step('attachments'));
  checkDisclosures(files, events, step('personal data'));
  const checkpoint = checkCheckpoint(files, manifest.origin, options.trusted, step('checkpoint'));
  if (checkpoint !== undefined) report.checkpoint = { origin: checkpoint.origin, size: checkpoint.size, signedBy: checkpoint.signedBy };
  checkInclusion(files, events, sorted.proofs, checkpoint, step('inclusion'));
  checkSince(files, sorted.consistency, options.since, checkpoint, options.trusted, step('consistency'));
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
