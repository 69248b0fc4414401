/**
 * The attachment (blob) check of `verifyBundle`: every blob the events name by hash is either
 * present and matching, or recorded as erased.
 */
import type { EventFacts } from './bundle-events.js';
import type { CheckRecorder } from './bundle-report.js';
import { blobFile, type BundleManifest } from './bundle.js';

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
