/**
 * The evidence-bundle fixture the verifier's tests share (bundle.test.ts for format 1,
 * bundle-v2.test.ts for format 2): a case of a few events, its attachments and disclosures, in a log
 * where other cases' leaves are interleaved with its own, signed by a test log key. Test code only:
 * `*.fixture.ts` files are left out of the build.
 */
import { createHash } from 'node:crypto';
import { sealEvent, sealEvents, type EventDraft, type SealedEvent } from '../timeline/event.js';
import { personal } from '../timeline/personal-data.js';
import { isBound, type BundleInput, type BundleManifest } from './bundle.js';
import { formatCheckpoint } from './checkpoint.js';
import { generateSignerKey, parseSignerKey, parseTrustFile, signNoteWithKeys, type SignerKey, type TrustedKey } from './log-keys.js';
import { consistencyProof, inclusionProof, leafHash, rootOf } from './merkle.js';

export const ORIGIN = 'log.example/latch';
export const CASE = '0190a5c4-1111-7000-8000-000000000001';
export const actor = { type: 'user', id: 'u-alice' } as const;
export const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

export const logKey = parseSignerKey(generateSignerKey(ORIGIN));
export const trustFile = (line = ''): TrustedKey[] => parseTrustFile(`${logKey.verifierKey} ${line}\n`);

export const receipt = Buffer.from('%PDF-1.7 receipt for order 1042');
export const stripeResponse = Buffer.from('{"id":"re_123","status":"succeeded"}');
export const erasedScan = Buffer.from('passport scan (erased on request)');

/** The case's events; with `erased`, a subject.erased event records that the passport scan was erased. */
export function caseEvents(erased = false): SealedEvent[] {
  const drafts: EventDraft[] = [
    { kind: 'case.created', actor, data: { title: personal('Refund for Jane Doe'), amount_minor: 4999 } },
    { kind: 'attachment.added', actor, data: { name: 'receipt.pdf' }, blobs: [sha(receipt)] },
    { kind: 'attachment.added', actor, data: { name: personal('passport.jpg') }, blobs: [sha(erasedScan)] },
    { kind: 'note.added', actor, data: { body: personal('called the customer') } },
    { kind: 'action.executed', actor: { type: 'plugin', id: 'stripe' }, data: { action: 'refund' }, blobs: [sha(stripeResponse)] },
    { kind: 'status.changed', actor, data: { from: 'new', to: 'resolved' } },
    ...(erased ? [{ kind: 'subject.erased', actor, data: { erasureId: 'e-1', values: 1, blobs: 1 } }] : []),
  ];
  const sealed = sealEvents(drafts, { stream: CASE, seq: 0, hash: null });
  const last = sealed.at(-1)!;
  const exported = sealEvent(
    { kind: 'case.exported', actor, data: { head: { seq: last.seq, hash: last.hash } } },
    { stream: CASE, seq: last.seq, hash: last.hash },
  );
  return [...sealed, exported];
}

export interface Fixture {
  events: SealedEvent[];
  leaves: Buffer[];
  /** Leaf index of each event, by seq - 1. */
  indices: number[];
  input: BundleInput;
}

/** A log where the case's events are interleaved with other cases' leaves, and its bundle. */
export function fixture(options: { signers?: SignerKey[]; consistencyFrom?: number[]; erased?: boolean } = {}): Fixture {
  const events = caseEvents(options.erased);
  const leaves: Buffer[] = [];
  const indices: number[] = [];
  events.forEach((e, i) => {
    for (let k = 0; k < 1 + (i % 3); k++) leaves.push(leafHash(Buffer.from(`another case, leaf ${leaves.length}`)));
    indices.push(leaves.length);
    leaves.push(leafHash(Buffer.from(e.bytes)));
  });
  for (let k = 0; k < 3; k++) leaves.push(leafHash(Buffer.from(`later leaf ${k}`)));
  const checkpoint = signNoteWithKeys(formatCheckpoint({ origin: ORIGIN, size: leaves.length, root: rootOf(leaves) }), options.signers ?? [logKey]);
  const disclosures = Object.fromEntries(
    events.flatMap((e) => e.disclosures).filter((d) => d.value !== 'passport.jpg').map((d) => [d.commitment, { salt: d.salt, value: d.value }]),
  );
  const input: BundleInput = {
    caseId: CASE,
    origin: ORIGIN,
    exportedAt: events.at(-1)!.at,
    events: events.map((e) => ({ seq: e.seq, bytes: e.bytes })),
    proofs: events.map((e, i) => ({ seq: e.seq, index: indices[i]!, proof: inclusionProof(leaves, indices[i]!) })),
    checkpoint,
    blobs: new Map([receipt, stripeResponse, erasedScan].map((b) => [sha(b), b])),
    erasedBlobs: options.erased ? [sha(erasedScan)] : [],
    disclosures,
    consistency: (options.consistencyFrom ?? []).map((oldSize) => ({ oldSize, newSize: leaves.length, proof: consistencyProof(leaves, oldSize) })),
    people: { 'u-alice': { name: 'Alice Example' } },
  };
  return { events, leaves, indices, input };
}

export function manifestOf(files: Map<string, Buffer>): BundleManifest {
  return JSON.parse(files.get('manifest.json')!.toString()) as BundleManifest;
}

/**
 * Rewrites the manifest to list the files as they now are, as its format lists them (after
 * `change`, which may change the format): what a careful forger would do.
 */
export function relist(files: Map<string, Buffer>, change: (m: BundleManifest) => void = () => {}): Map<string, Buffer> {
  const manifest = manifestOf(files);
  change(manifest);
  manifest.files = Object.fromEntries([...files].filter(([p]) => p !== 'manifest.json' && !isBound(p, manifest.format)).map(([p, b]) => [p, sha(b)]));
  files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
  return files;
}
