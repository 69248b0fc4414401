/**
 * The attachment (blob) check of `verifyBundle`: every blob the events name by hash is present and
 * matching, or its absence is covered by the signed record. An erasure empties the blobs only the
 * erased subject's cases refer to and records `subject.erased` on each of those cases, with the
 * number of the case's files it emptied (data.blobs), so a blob may be absent only when a
 * `subject.erased` event of this case comes after the first event referring to it, and those events
 * count at least as many files as are absent (a blob shared with another case is erased only when
 * that case is the subject's too, and then that case carries its own `subject.erased`). The
 * manifest's `erasedBlobs` is the exporter's word, never enough alone.
 */
import type { EventFacts } from './bundle-events.js';
import type { CheckRecorder } from './bundle-report.js';
import { ERASED_KIND, blobFile, type BundleManifest } from './bundle.js';

export function checkBlobs(
  events: readonly EventFacts[],
  blobFiles: ReadonlyArray<{ path: string; sha256: string }>,
  manifest: BundleManifest,
  check: CheckRecorder,
): void {
  const blobsPresent = blobFiles.map((f) => f.path.slice('blobs/'.length));
  const contentHash = new Map(blobFiles.map((f) => [f.path.slice('blobs/'.length), f.sha256]));
  const referencedBy = new Map<string, number>();
  let lastErasure = 0;
  // Indexed loops: this runs once per verification, before it is optimised, and an unoptimised
  // for-of allocates a result per element.
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    for (let k = 0; k < event.blobs.length; k++) if (!referencedBy.has(event.blobs[k]!)) referencedBy.set(event.blobs[k]!, event.seq);
    if (event.erasure) lastErasure = Math.max(lastErasure, event.seq);
  }
  const erased = new Set(manifest.erasedBlobs);
  const present = new Set(blobsPresent);
  const covered = erasuresCovering(events, referencedBy, (sha, seq) => !present.has(sha) && seq < lastErasure && erased.has(sha));
  let erasedCount = 0;
  for (const [sha, seq] of referencedBy) {
    if (present.has(sha)) {
      if (erased.has(sha)) check.fail(`${blobFile(sha)}: present, but the manifest lists it as erased`);
    } else if (seq < lastErasure && erased.has(sha) && covered.has(sha)) {
      erasedCount++;
      const by = covered.get(sha)!;
      check.notice(`${blobFile(sha)}: erased (event ${seq} refers to it; the ${ERASED_KIND} event ${by} records the erasure of the case's files); the event still commits to its SHA-256, but the content is gone`);
    } else if (seq < lastErasure && erased.has(sha)) {
      check.fail(`${blobFile(sha)}: missing (event ${seq} refers to it), the manifest lists it as erased, but the ${ERASED_KIND} events after event ${seq} record fewer erased files than are missing: it was withheld`);
    } else {
      const why = seq < lastErasure ? 'and the manifest does not list it as erased' : erased.has(sha) ? `the manifest lists it as erased, but no ${ERASED_KIND} event of the case after event ${seq} records an erasure: it was withheld` : '';
      check.fail(`${blobFile(sha)}: missing (event ${seq} refers to it)${why === '' ? '' : `, ${why}`}`);
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

/**
 * Which absent blobs the erasure events account for, and by which event: each `subject.erased` event
 * accounts for as many files as it records, each referred to before it. Blobs are taken latest
 * reference first and given the latest erasure with a file left to account for: the latest-referred
 * blob has the fewest erasures to choose from, so no other order accounts for more. A blob none is
 * left for was withheld.
 */
function erasuresCovering(events: readonly EventFacts[], referencedBy: ReadonlyMap<string, number>, absentAsErased: (sha: string, seq: number) => boolean): Map<string, number> {
  const erasures = events.filter((e) => e.erasure && e.erasedFiles > 0).map((e) => ({ seq: e.seq, left: e.erasedFiles }));
  const absent = [...referencedBy].filter(([sha, seq]) => absentAsErased(sha, seq)).sort((a, b) => b[1] - a[1]);
  const covered = new Map<string, number>();
  for (const [sha, seq] of absent) {
    // The latest erasure after the reference with a file left (erasures are few: a plain search).
    for (let k = erasures.length - 1; k >= 0 && erasures[k]!.seq > seq; k--) {
      if (erasures[k]!.left === 0) continue;
      erasures[k]!.left--;
      covered.set(sha, erasures[k]!.seq);
      break;
    }
  }
  return covered;
}
