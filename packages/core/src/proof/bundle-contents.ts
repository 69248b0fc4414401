/**
 * The attachment (blob) and personal-data checks of `verifyBundle`: what the events commit to by
 * hash is either present and matching, or recorded as erased.
 */
import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { canonicalJson, type Json } from '../canonical.js';
import type { EventFacts } from './bundle-events.js';
import type { CheckRecorder } from './bundle-report.js';
import { DISCLOSURES_FILE, blobFile, type BundleManifest } from './bundle.js';

const SALT_HEX = /^(?:[0-9a-f]{2})+$/;
const SURROGATE = /[\ud800-\udfff]/;

/** Reused input for commitment hashes (salt ‖ canonical value); grown when a value is larger. */
let commitmentInput = Buffer.alloc(4096);

/**
 * The same as `commitTo` (timeline/personal-data.ts), faster for the usual disclosed value, a
 * string: its canonical form is JSON.stringify's unless it holds a surrogate (canonicalJson then
 * decides, and refuses lone ones). A bundle can hold tens of thousands of disclosures.
 */
export function commitmentFor(value: Json, salt: string): string {
  const scalar = value === null || typeof value === 'boolean' || (typeof value === 'string' && !SURROGATE.test(value));
  const canonical = scalar ? JSON.stringify(value) : canonicalJson(value);
  const size = salt.length / 2 + Buffer.byteLength(canonical, 'utf8');
  if (commitmentInput.length < size) commitmentInput = Buffer.alloc(2 * size);
  const saltBytes = commitmentInput.write(salt, 0, 'hex');
  const valueBytes = commitmentInput.write(canonical, saltBytes, 'utf8');
  return hash('sha256', commitmentInput.subarray(0, saltBytes + valueBytes), 'hex');
}

export function checkBlobs(
  events: readonly EventFacts[],
  blobFiles: ReadonlyArray<{ path: string; sha256: string }>,
  manifest: BundleManifest,
  check: CheckRecorder,
): void {
  const blobsPresent = blobFiles.map((f) => f.path.slice('blobs/'.length));
  const contentHash = new Map(blobFiles.map((f) => [f.path.slice('blobs/'.length), f.sha256]));
  const referencedBy = new Map<string, number>();
  for (const event of events) for (const sha of event.blobs) if (!referencedBy.has(sha)) referencedBy.set(sha, event.seq);
  const erased = new Set(manifest.erasedBlobs);
  const present = new Set(blobsPresent);
  let erasedCount = 0;
  for (const [sha, seq] of referencedBy) {
    if (erased.has(sha)) {
      erasedCount++;
      if (present.has(sha)) check.fail(`${blobFile(sha)}: present, but the manifest lists it as erased`);
      else check.notice(`${blobFile(sha)}: erased (event ${seq} refers to it); the event still commits to its SHA-256, but the content is gone`);
    } else if (!present.has(sha)) {
      check.fail(`${blobFile(sha)}: missing (event ${seq} refers to it)`);
    }
  }
  for (const sha of blobsPresent) {
    if (!referencedBy.has(sha)) check.fail(`${blobFile(sha)}: not referenced by any event`);
    else if (contentHash.get(sha) !== sha) check.fail(`${blobFile(sha)}: content does not match its SHA-256`);
  }
  for (const sha of erased) if (!referencedBy.has(sha)) check.notice(`erasedBlobs lists ${sha}, which no event refers to`);
  const held = referencedBy.size - erasedCount;
  check.finish(`${held} referenced blob${held === 1 ? '' : 's'} present and matching their SHA-256${erasedCount > 0 ? `, ${erasedCount} erased` : ''}`);
}

function readDisclosures(bytes: Buffer | undefined): Record<string, unknown> | string {
  if (bytes === undefined) return {};
  if (!isUtf8(bytes)) return 'not UTF-8 text';
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : 'not a JSON object';
}

/** Why a disclosure does not open its commitment, or undefined when it does. */
function disclosureProblem(commitment: string, entry: unknown): string | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return 'not an object with salt and value';
  const { salt, value } = entry as { salt?: unknown; value?: unknown };
  if (typeof salt !== 'string' || !SALT_HEX.test(salt) || value === undefined || Object.keys(entry).length !== 2) {
    return 'must hold exactly a hex salt and a value';
  }
  // A match also shows the commitment is well formed: the computed one is 64 lower-case hex digits.
  try {
    return commitmentFor(value as Json, salt) === commitment ? undefined : 'value and salt do not match the commitment';
  } catch {
    return 'value cannot be canonicalised (floats are not allowed)';
  }
}

export function checkDisclosures(files: ReadonlyMap<string, Buffer>, events: readonly EventFacts[], check: CheckRecorder): void {
  const committed = new Set<string>();
  for (const event of events) for (const c of event.commitments) committed.add(c);
  const disclosures = readDisclosures(files.get(DISCLOSURES_FILE));
  if (typeof disclosures === 'string') {
    check.fail(`${DISCLOSURES_FILE}: ${disclosures}`);
    return check.finish('');
  }
  let disclosed = 0;
  for (const commitment in disclosures) {
    const problem = disclosureProblem(commitment, disclosures[commitment]) ?? (committed.has(commitment) ? undefined : 'no event commits to this value');
    if (problem !== undefined) check.fail(`${DISCLOSURES_FILE}: ${commitment}: ${problem}`);
    else disclosed++;
  }
  // Each disclosed value matched a distinct commitment that some event holds; the others are withheld.
  const withheld = committed.size - disclosed;
  if (withheld > 0) {
    check.notice(`${withheld} personal-data value${withheld === 1 ? ' is' : 's are'} committed to but not disclosed (erased, or not shown to you); the hashes still verify`);
  }
  check.finish(`${disclosed} disclosed value${disclosed === 1 ? '' : 's'} match their commitments${withheld > 0 ? `, ${withheld} not disclosed` : ''}`);
}
