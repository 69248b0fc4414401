import { describe, expect, it } from 'vitest';
import { sealEvent } from '../timeline/event.js';
import { formatBundleReport } from './bundle-report.js';
import { BUNDLE_FORMAT_V1, buildBundleFiles as buildBundle, type BundleInput } from './bundle.js';
import { formatCheckpoint } from './checkpoint.js';
import { generateSignerKey, parseSignerKey, parseTrustFile, signNoteWithKeys } from './log-keys.js';
import { consistencyProof, inclusionProof, leafHash, rootOf } from './merkle.js';
import { formatTlogProof, parseTlogProof } from './tlog-proof.js';
import { verifyBundle } from './verify-bundle.js';
import { CASE, ORIGIN, actor, erasedScan, fixture, logKey, manifestOf, receipt, relist, sha, stripeResponse, trustFile, type Fixture } from './bundle.fixture.js';

// These tests build format 1 bundles (a file and an inclusion proof per event), which the verifier
// still reads; bundle-v2.test.ts holds the same for format 2, which exports write.
const buildBundleFiles = (input: BundleInput): Map<string, Buffer> => buildBundle(input, BUNDLE_FORMAT_V1);

const otherKey = parseSignerKey(generateSignerKey(ORIGIN));

/** A signed checkpoint for the first `size` leaves of `leaves`. */
function checkpointOf(leaves: readonly Buffer[], size: number, signer = logKey): string {
  return signNoteWithKeys(formatCheckpoint({ origin: ORIGIN, size, root: rootOf(leaves.slice(0, size)) }), [signer]);
}

const seqName = (seq: number): string => String(seq).padStart(8, '0');
const eventPath = (seq: number): string => `events/${seqName(seq)}.json`;
const proofPath = (seq: number): string => `proofs/${seqName(seq)}.tlog-proof`;

describe('a bundle built from real events, tree and signature', () => {
  const { input, events, leaves } = fixture();
  const files = buildBundleFiles(input);

  it('has the documented layout', () => {
    const names = [...files.keys()].sort();
    expect(names).toEqual(
      [
        'blobs/' + sha(receipt),
        'blobs/' + sha(stripeResponse),
        'blobs/' + sha(erasedScan),
        'checkpoint',
        'disclosures.json',
        ...events.map((e) => eventPath(e.seq)),
        'manifest.json',
        'people.json',
        ...events.map((e) => proofPath(e.seq)),
        'story.txt',
      ].sort(),
    );
    const manifest = manifestOf(files);
    expect(manifest).toMatchObject({ format: 'latch-evidence-bundle@1', case: CASE, origin: ORIGIN, export: { event: events.at(-1)!.id, seq: 7 } });
    expect(manifest.erasedBlobs).toEqual([]);
    expect(Object.keys(manifest.files)).toHaveLength(files.size - 1);
    expect(files.get(eventPath(3))!.toString()).toBe(events[2]!.bytes);
    expect(parseTlogProof(files.get(proofPath(1))!.toString()).checkpoint).toBe(input.checkpoint);
  });

  it('VERIFIES, noting what was withheld', () => {
    const report = verifyBundle(files, { trusted: trustFile() });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.caseId).toBe(CASE);
    expect(report.events).toBe(7);
    expect(report.checkpoint).toEqual({ origin: ORIGIN, size: leaves.length, signedBy: [`${ORIGIN}+${logKey.keyHash.toString(16).padStart(8, '0')}`] });
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['manifest', true],
      ['files', true],
      ['events', true],
      ['attachments', true],
      ['personal data', true],
      ['story', true],
      ['checkpoint', true],
      ['inclusion', true],
      ['consistency', true],
    ]);
    expect(report.notices.join('\n')).not.toMatch(/blobs\/.*erased/);
    expect(report.notices.join('\n')).toMatch(/1 personal-data value is committed to but not disclosed/);
    const text = formatBundleReport(report);
    expect(text).toMatch(/^✓ inclusion +7 inclusion proofs lead to the root of tree size \d+$/m);
    expect(text.trimEnd().endsWith('VERIFIED')).toBe(true);
  });

  it('accepts Uint8Arrays and ignores directory entries from a zip reader', () => {
    const plain = new Map<string, Uint8Array>([...files].map(([p, b]) => [p, new Uint8Array(b)]));
    plain.set('events/', new Uint8Array(0));
    expect(verifyBundle(plain, { trusted: trustFile() }).ok).toBe(true);
  });

  it('verifies when the log rotated keys and the auditor trusts only the new one', () => {
    const rotated = buildBundleFiles(fixture({ signers: [otherKey, logKey] }).input);
    const report = verifyBundle(rotated, { trusted: trustFile() });
    expect(report.ok).toBe(true);
    expect(report.checkpoint!.signedBy).toHaveLength(1);
  });
});

type Tamper = (files: Map<string, Buffer>, f: Fixture) => Map<string, Buffer>;

function rename(files: Map<string, Buffer>, from: string, to: string): void {
  const bytes = files.get(from)!;
  files.delete(from);
  files.set(to, bytes);
}

const tampers: Array<[string, Tamper, RegExp[]]> = [
  [
    'an event byte changed',
    (files) => {
      files.set(eventPath(2), Buffer.from(files.get(eventPath(2))!.toString().replace('receipt.pdf', 'receipt.pdg')));
      return files;
    },
    [/^events\/00000002\.json: SHA-256 does not match the manifest$/m, /^events\/00000003\.json: previous-hash link is broken/m, /^proofs\/00000002\.tlog-proof: does not lead to the checkpoint's root/m],
  ],
  [
    'an event byte changed, manifest rewritten to match',
    (files) => {
      files.set(eventPath(2), Buffer.from(files.get(eventPath(2))!.toString().replace('receipt.pdf', 'receipt.pdg')));
      return relist(files);
    },
    [/^events\/00000003\.json: previous-hash link is broken/m, /^proofs\/00000002\.tlog-proof: does not lead to the checkpoint's root/m],
  ],
  [
    'an event re-serialised (not canonical)',
    (files) => {
      files.set(eventPath(4), Buffer.from(JSON.stringify(JSON.parse(files.get(eventPath(4))!.toString()), null, 1)));
      return relist(files);
    },
    [/^events\/00000004\.json: not canonical JSON/m],
  ],
  [
    'an event deleted (a gap)',
    (files) => {
      files.delete(eventPath(3));
      files.delete(proofPath(3));
      return relist(files);
    },
    [/^events\/00000003\.json: event 3 is missing$/m],
  ],
  [
    'the tail deleted',
    (files) => {
      files.delete(eventPath(7));
      files.delete(proofPath(7));
      return relist(files);
    },
    [/^events\/00000007\.json: event 7 is missing \(the bundle must end with the case\.exported event, seq 7\)$/m],
  ],
  [
    'the tail deleted and the manifest pointed at the new last event',
    (files, f) => {
      files.delete(eventPath(7));
      files.delete(proofPath(7));
      return relist(files, (m) => (m.export = { event: f.events[5]!.id, seq: 6 }));
    },
    [/^events\/00000006\.json: the last event is status\.changed, not case\.exported$/m],
  ],
  [
    'two events swapped',
    (files) => {
      const [e2, e3, p2, p3] = [files.get(eventPath(2))!, files.get(eventPath(3))!, files.get(proofPath(2))!, files.get(proofPath(3))!];
      files.set(eventPath(2), e3).set(eventPath(3), e2).set(proofPath(2), p3).set(proofPath(3), p2);
      return relist(files);
    },
    [/^events\/00000002\.json: holds event seq 3, but its file name says 2$/m, /^events\/00000003\.json: holds event seq 2, but its file name says 3$/m, /previous-hash link is broken/],
  ],
  [
    'a forged event inserted',
    (files, f) => {
      const forged = sealEvent({ kind: 'note.added', actor, data: { body: 'approved by the manager' } }, { stream: CASE, seq: 2, hash: f.events[1]!.hash });
      for (let seq = 7; seq >= 3; seq--) {
        rename(files, eventPath(seq), eventPath(seq + 1));
        rename(files, proofPath(seq), proofPath(seq + 1));
      }
      files.set(eventPath(3), Buffer.from(forged.bytes));
      files.set(proofPath(3), files.get(proofPath(4))!); // the forger has no proof of their own
      return relist(files, (m) => (m.export.seq = 8));
    },
    [/^proofs\/00000003\.tlog-proof: does not lead to the checkpoint's root/m, /^events\/00000004\.json: holds event seq 3, but its file name says 4$/m, /index \d+ is also claimed by/],
  ],
  [
    'an attachment blob edited',
    (files) => {
      files.set(`blobs/${sha(receipt)}`, Buffer.from('%PDF-1.7 receipt for order 9999'));
      return relist(files);
    },
    [new RegExp(`^blobs/${sha(receipt)}: content does not match its SHA-256$`, 'm')],
  ],
  [
    'an attachment removed',
    (files) => {
      files.delete(`blobs/${sha(stripeResponse)}`);
      return relist(files);
    },
    [new RegExp(`^blobs/${sha(stripeResponse)}: missing \\(event 5 refers to it\\)$`, 'm')],
  ],
  [
    'a manifest hash changed',
    (files) => {
      const manifest = manifestOf(files);
      manifest.files[eventPath(5)] = sha('something else');
      files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
      return files;
    },
    [/^events\/00000005\.json: SHA-256 does not match the manifest$/m],
  ],
  ['an unlisted extra file', (files) => files.set('notes.txt', Buffer.from('nothing to see')), [/^notes\.txt: not listed in the manifest$/m]],
  [
    'an extra file outside the format, listed',
    (files) => relist(files.set('notes.txt', Buffer.from('nothing to see'))),
    [/^notes\.txt: not a file of the bundle format$/m],
  ],
  [
    'a stray blob nobody refers to',
    (files) => relist(files.set(`blobs/${sha('stray')}`, Buffer.from('stray'))),
    [new RegExp(`^blobs/${sha('stray')}: not referenced by any event$`, 'm')],
  ],
  [
    'a disclosure changed',
    (files) => {
      const disclosures = JSON.parse(files.get('disclosures.json')!.toString()) as Record<string, { value: unknown }>;
      const [commitment] = Object.keys(disclosures);
      disclosures[commitment!]!.value = 'Refund for John Roe';
      return relist(files.set('disclosures.json', Buffer.from(JSON.stringify(disclosures))));
    },
    [/^disclosures\.json: [0-9a-f]{64}: value and salt do not match the commitment$/m],
  ],
  [
    'a proof against another checkpoint',
    (files, f) => {
      const other = checkpointOf(f.leaves, f.leaves.length - 1);
      const proof = parseTlogProof(files.get(proofPath(2))!.toString());
      return relist(files.set(proofPath(2), Buffer.from(formatTlogProof({ ...proof, checkpoint: other }))));
    },
    [/^proofs\/00000002\.tlog-proof: its checkpoint is not the bundle's checkpoint$/m],
  ],
  [
    'a proof for an event that is not in the bundle',
    (files) => relist(files.set(proofPath(9), files.get(proofPath(7))!)),
    [/^proofs\/00000009\.tlog-proof: there is no event 9 in the bundle$/m],
  ],
  [
    'a malformed consistency proof',
    (files) => relist(files.set('consistency/5-23.txt', Buffer.from('latch.dev/consistency-proof@v1\nold 5\nnew 23\nnot base64\n'))),
    [/^consistency\/5-23\.txt: consistency proof: proof hash 1 is not canonical base64/m],
  ],
  [
    'a checkpoint signature by the trusted key altered',
    (files) => {
      const note = files.get('checkpoint')!.toString();
      const sig = note.slice(note.lastIndexOf(' ') + 1, -1);
      const bad = Buffer.from(sig, 'base64');
      bad[10] = bad[10]! ^ 1;
      const forged = note.replace(sig, bad.toString('base64'));
      for (const path of [...files.keys()].filter((p) => p.startsWith('proofs/'))) {
        files.set(path, Buffer.from(files.get(path)!.toString().replace(note, forged)));
      }
      return relist(files.set('checkpoint', Buffer.from(forged)));
    },
    [/^checkpoint: bad signature from trusted key log\.example\/latch\+[0-9a-f]{8}$/m],
  ],
  [
    'the case id changed in the manifest',
    (files) => relist(files, (m) => (m.case = '0190a5c4-9999-7000-8000-000000000009')),
    [/^events\/00000001\.json: belongs to stream "0190a5c4-1111-7000-8000-000000000001", not case 0190a5c4-9999/m],
  ],
  [
    'a malformed proof',
    (files) => relist(files.set(proofPath(6), Buffer.from(files.get(proofPath(6))!.toString().replace('index ', 'index 0')))),
    [/^proofs\/00000006\.tlog-proof: tlog-proof: index "0\d+" is not a decimal integer without leading zeros$/m],
  ],
];

describe('verifyBundle fails, naming the problem, when', () => {
  it.each(tampers)('%s', (_name, tamper, problems) => {
    const f = fixture();
    const report = verifyBundle(tamper(buildBundleFiles(f.input), f), { trusted: trustFile() });
    expect(report.ok).toBe(false);
    const failures = report.failures.join('\n');
    for (const problem of problems) expect(failures).toMatch(problem);
    const text = formatBundleReport(report);
    expect(text).toContain('✗ ');
    expect(text.trimEnd().endsWith(`FAILED (${report.failures.length} problem${report.failures.length === 1 ? '' : 's'})`)).toBe(true);
  });

  it('the checkpoint is signed by a key the auditor does not trust', () => {
    const files = buildBundleFiles(fixture({ signers: [otherKey] }).input);
    const report = verifyBundle(files, { trusted: trustFile() });
    expect(report.ok).toBe(false);
    expect(report.failures).toContain('checkpoint: signed by no trusted key');
    expect(report.checkpoint!.signedBy).toEqual([]);
  });

  it('the checkpoint is signed only by the trusted key of another log (a trust file may list several logs)', () => {
    const staging = parseSignerKey(generateSignerKey('staging.example/latch'));
    const files = buildBundleFiles(fixture({ signers: [staging] }).input);
    const trusted = parseTrustFile(`${logKey.verifierKey}\n${staging.verifierKey}\n`);
    const report = verifyBundle(files, { trusted });
    expect(report.ok).toBe(false);
    expect(report.failures.join('\n')).toMatch(/^checkpoint: signed by no key of the log "log\.example\/latch": staging\.example\/latch\+[0-9a-f]{8} signed it, a key of another log/m);
    expect(report.checkpoint?.signedBy ?? []).toEqual([]);
    // Signed by both, it verifies, and names only its own log's key.
    const both = verifyBundle(buildBundleFiles(fixture({ signers: [logKey, staging] }).input), { trusted });
    expect(both.ok).toBe(true);
    expect(both.checkpoint!.signedBy).toEqual([expect.stringMatching(/^log\.example\/latch\+/)]);
  });

  it('the checkpoint is signed by a trusted key outside its validity window', () => {
    const f = fixture();
    const size = f.leaves.length;
    for (const window of [`until=${size - 1}`, `from=${size + 1}`]) {
      const report = verifyBundle(buildBundleFiles(f.input), { trusted: trustFile(window) });
      expect(report.ok).toBe(false);
      expect(report.failures.join('\n')).toMatch(new RegExp(`^checkpoint: signed by no key trusted for tree size ${size}: .* signed it outside its validity window$`, 'm'));
    }
    expect(verifyBundle(buildBundleFiles(f.input), { trusted: trustFile(`from=${size} until=${size}`) }).ok).toBe(true);
  });

  it('the checkpoint names another log', () => {
    const f = fixture();
    const files = buildBundleFiles({ ...f.input, origin: 'other.example/log' });
    expect(verifyBundle(files, { trusted: trustFile() }).failures).toContain(`checkpoint: origin ${ORIGIN} is not the manifest's log other.example/log`);
  });

  it('the proofs are against another root', () => {
    // Sign a checkpoint for a different tree of the same size, and put it everywhere.
    const f = fixture();
    const forgedLeaves = f.leaves.map((l, i) => (i === 0 ? leafHash(Buffer.from('rewritten history')) : l));
    const forged = buildBundleFiles({ ...f.input, checkpoint: checkpointOf(forgedLeaves, forgedLeaves.length) });
    const report = verifyBundle(forged, { trusted: trustFile() });
    expect(report.ok).toBe(false);
    expect(report.failures.filter((p) => /^proofs\/\d{8}\.tlog-proof: does not lead to the checkpoint's root/.test(p))).toHaveLength(7);
  });
});

describe('attachments absent from the bundle', () => {
  const scan = `blobs/${sha(erasedScan)}`;

  it('VERIFIES an attachment erased before a subject.erased event of the case, with a notice naming both', () => {
    const { input } = fixture({ erased: true });
    const files = buildBundleFiles(input);
    expect(files.has(scan)).toBe(false);
    const report = verifyBundle(files, { trusted: trustFile() });
    expect(report.failures).toEqual([]);
    expect(report.notices.join('\n')).toContain(`${scan}: erased (event 3 refers to it; the subject.erased event 7 records the erasure of the case's files)`);
  });

  it('fails attachments withheld as erased beyond the number of files the subject.erased events record', () => {
    // The erasure records one file of the case (data.blobs 1); the exporter also withholds the
    // receipt, referred to before it, and lists it as erased: one of the two was withheld.
    const { input } = fixture({ erased: true });
    const blobs = new Map(input.blobs);
    blobs.delete(sha(receipt));
    const files = buildBundleFiles({ ...input, blobs, erasedBlobs: [...input.erasedBlobs, sha(receipt)] });
    const report = verifyBundle(files, { trusted: trustFile() });
    expect(report.ok).toBe(false);
    const withheld = report.failures.filter((f) => f.includes('record fewer erased files than are missing: it was withheld'));
    expect(withheld).toHaveLength(1);
    expect(report.notices.filter((n) => n.includes(': erased (event '))).toHaveLength(1);
  });

  it('fails an attachment withheld and listed as erased when the case records no erasure, naming the blob', () => {
    // The exporter's word (erasedBlobs) is not enough: nothing signed says the blob was erased.
    const files = buildBundleFiles({ ...fixture().input, erasedBlobs: [sha(erasedScan)] });
    expect(files.has(scan)).toBe(false);
    const report = verifyBundle(files, { trusted: trustFile() });
    expect(report.ok).toBe(false);
    expect(report.failures).toEqual([
      `${scan}: missing (event 3 refers to it), the manifest lists it as erased, but no subject.erased event of the case after event 3 records an erasure: it was withheld`,
    ]);
  });

  it('fails an attachment referred to after the erasure and withheld as erased', () => {
    const f = fixture({ erased: true });
    const late = Buffer.from('a file attached after the erasure');
    const events = [...f.events];
    const exported = events.pop()!;
    const attached = sealEvent({ kind: 'attachment.added', actor, data: { name: 'late.pdf' }, blobs: [sha(late)] }, { stream: CASE, seq: 7, hash: events.at(-1)!.hash });
    const reexported = sealEvent({ kind: 'case.exported', actor, data: { head: { seq: 8, hash: attached.hash } } }, { stream: CASE, seq: 8, hash: attached.hash });
    const leaves = [...f.leaves, leafHash(Buffer.from(attached.bytes)), leafHash(Buffer.from(reexported.bytes))];
    const all = [...events, attached, reexported];
    const indices = [...f.indices.slice(0, -1), f.leaves.length, f.leaves.length + 1];
    expect(exported.seq).toBe(8);
    const files = buildBundleFiles({
      ...f.input,
      exportedAt: reexported.at,
      events: all.map((e) => ({ seq: e.seq, bytes: e.bytes })),
      proofs: all.map((e, i) => ({ seq: e.seq, index: indices[i]!, proof: inclusionProof(leaves, indices[i]!) })),
      checkpoint: checkpointOf(leaves, leaves.length),
      blobs: new Map([...f.input.blobs, [sha(late), late]]),
      erasedBlobs: [sha(erasedScan), sha(late)],
    });
    const report = verifyBundle(files, { trusted: trustFile() });
    expect(report.failures).toEqual([`blobs/${sha(late)}: missing (event 8 refers to it), the manifest lists it as erased, but no subject.erased event of the case after event 8 records an erasure: it was withheld`]);
  });
});

describe('one reading of every file', () => {
  it('refuses a manifest with a key given twice (JSON.parse reads the last copy, other tools the first)', () => {
    const files = buildBundleFiles(fixture().input);
    const text = files.get('manifest.json')!.toString();
    const forged = text.replace('"files": {', `"files": {\n    "${eventPath(5)}": "${sha('forged event 5')}",`);
    expect(JSON.parse(forged)).toEqual(JSON.parse(text)); // the same to JSON.parse
    const report = verifyBundle(files.set('manifest.json', Buffer.from(forged)), { trusted: trustFile() });
    expect(report.failures).toEqual([`manifest.json: the key "${eventPath(5)}" is given twice: tools disagree on which copy to read`]);
    const twice = text.replace('"format":', '"format": "latch-evidence-bundle@0",\n  "format":');
    expect(verifyBundle(files.set('manifest.json', Buffer.from(twice)), { trusted: trustFile() }).failures).toEqual(['manifest.json: the key "format" is given twice: tools disagree on which copy to read']);
  });

  it('refuses people.json and disclosures.json with a key given twice', () => {
    const files = buildBundleFiles(fixture().input);
    files.set('people.json', Buffer.from('{\n"u-alice":{"name":"Mallory"},\n"u-alice":{"name":"Alice Example"}\n}\n'));
    expect(verifyBundle(relist(files), { trusted: trustFile() }).failures).toContain('people.json: the key "u-alice" is given twice');
    const disclosed = buildBundleFiles(fixture().input);
    const text = disclosed.get('disclosures.json')!.toString();
    const first = text.split('\n')[1]!.replace(/,$/, '');
    disclosed.set('disclosures.json', Buffer.from(text.replace('{\n', `{ \n${first},\n`)));
    expect(verifyBundle(relist(disclosed), { trusted: trustFile() }).failures).toEqual([`disclosures.json: the key ${first.slice(0, 66)} is given twice`]);
  });

  it('refuses a manifest whose export names more than the event and its seq', () => {
    const files = relist(buildBundleFiles(fixture().input), (m) => Object.assign(m.export, { approvedBy: 'the auditor' }));
    expect(verifyBundle(files, { trusted: trustFile() }).failures).toEqual(['manifest.json: export must be { "event": <id>, "seq": <positive integer> }']);
  });

  it('ties exportedAt to the signed case.exported event', () => {
    const f = fixture();
    const report = verifyBundle(buildBundleFiles({ ...f.input, exportedAt: '2020-01-01T00:00:00.000Z' }), { trusted: trustFile() });
    expect(report.failures).toEqual([`manifest.json: exportedAt "2020-01-01T00:00:00.000Z" is not the time of the case.exported event (${f.events.at(-1)!.at})`]);
  });
});

describe('with an earlier checkpoint (--since)', () => {
  const f = fixture({ consistencyFrom: [9] });
  const files = buildBundleFiles(f.input);
  const verify = (since: string): ReturnType<typeof verifyBundle> => verifyBundle(files, { trusted: trustFile(), since });

  it('verifies when the bundle carries the consistency proof', () => {
    const report = verify(checkpointOf(f.leaves, 9));
    expect(report.failures).toEqual([]);
    expect(report.checks.at(-1)).toEqual({ name: 'consistency', ok: true, detail: `your checkpoint (tree size 9) and the bundle's (tree size ${f.leaves.length}) are of one append-only log` });
  });

  it('verifies a checkpoint of the same size and root', () => {
    expect(verify(f.input.checkpoint).ok).toBe(true);
  });

  it('verifies a later checkpoint of the auditor when the bundle proves the bundle is its prefix', () => {
    const longer = [...f.leaves, leafHash(Buffer.from('next'))];
    const later = buildBundleFiles({ ...f.input, consistency: [{ oldSize: f.leaves.length, newSize: longer.length, proof: consistencyProof(longer, f.leaves.length) }] });
    expect(verifyBundle(later, { trusted: trustFile(), since: checkpointOf(longer, longer.length) }).failures).toEqual([]);
  });

  it('fails when the earlier checkpoint is of a different tree', () => {
    const other = f.leaves.map((l, i) => (i === 2 ? leafHash(Buffer.from('rewritten')) : l));
    const report = verify(checkpointOf(other, 9));
    expect(report.ok).toBe(false);
    expect(report.failures.join('\n')).toMatch(/^consistency\/9-\d+\.txt: does not prove that tree \d+ extends tree 9: history was rewritten/m);
  });

  it('fails when a same-size checkpoint has another root (a fork)', () => {
    const other = f.leaves.map((l, i) => (i === 2 ? leafHash(Buffer.from('rewritten')) : l));
    const report = verify(checkpointOf(other, other.length));
    expect(report.failures.join('\n')).toMatch(/^since: your checkpoint and the bundle's have the same size \(\d+\) but different roots: the log has forked$/m);
  });

  it('fails when the bundle has no consistency proof for the auditor\'s size', () => {
    const report = verify(checkpointOf(f.leaves, 5));
    expect(report.ok).toBe(false);
    expect(report.failures.join('\n')).toMatch(/^consistency\/5-\d+\.txt: missing: the bundle cannot show that tree \d+ extends tree 5; ask for an export with --since 5$/m);
  });

  it('fails when the earlier checkpoint is not signed by a trusted key', () => {
    const report = verify(checkpointOf(f.leaves, 9, otherKey));
    expect(report.failures).toContain('since: your checkpoint: signed by no trusted key');
  });
});

describe('verifyBundle never throws', () => {
  const trusted = trustFile();
  const garbage: Array<[string, Map<string, Uint8Array>, RegExp]> = [
    ['an empty bundle', new Map(), /^manifest\.json: missing$/m],
    ['a manifest that is not JSON', new Map([['manifest.json', Buffer.from('{')]]), /^manifest\.json: not JSON$/m],
    ['a manifest of another format', new Map([['manifest.json', Buffer.from('{"format":"zip@2"}')]]), /unknown format "zip@2"/],
    ['a manifest that is a list', new Map([['manifest.json', Buffer.from('[]')]]), /not a JSON object/],
  ];
  it.each(garbage)('on %s', (_name, files, problem) => {
    const report = verifyBundle(files, { trusted });
    expect(report.ok).toBe(false);
    expect(report.failures.join('\n')).toMatch(problem);
    expect(formatBundleReport(report)).toMatch(/FAILED \(1 problem\)\n$/);
  });

  it('on every file replaced by random bytes', () => {
    const files = buildBundleFiles(fixture().input);
    for (const path of files.keys()) if (path !== 'manifest.json') files.set(path, Buffer.from([0xff, 0x00, 0x7b, 0x22, 0x0a, 0x0a]));
    const report = verifyBundle(relist(files), { trusted, since: 'not a note' });
    expect(report.ok).toBe(false);
    expect(report.failures.join('\n')).toMatch(/^events\/00000001\.json: not canonical JSON/m);
    expect(report.failures.join('\n')).toMatch(/^checkpoint: not UTF-8 text$/m);
    expect(report.failures.join('\n')).toMatch(/^disclosures\.json: not UTF-8 text$/m);
  });
});

describe('the story', () => {
  const story = (files: Map<string, Buffer>): string[] => files.get('story.txt')!.toString().trimEnd().split('\n');

  it('tells each event in one line, naming people from people.json, and verifies', () => {
    const { input, events } = fixture();
    const files = buildBundleFiles(input);
    expect(story(files)).toEqual([
      `1 ${events[0]!.at} Alice Example opened a ? case in queue ?`,
      `2 ${events[1]!.at} Alice Example attached a file (?, ? bytes)`,
      `3 ${events[2]!.at} Alice Example attached a file (?, ? bytes)`,
      `4 ${events[3]!.at} Alice Example added a note`,
      `5 ${events[4]!.at} Plugin stripe recorded action.executed`,
      `6 ${events[5]!.at} Alice Example moved the case from new to resolved`,
      `7 ${events[6]!.at} Alice Example exported the evidence bundle (up to event 6)`,
    ]);
    expect(JSON.parse(files.get('people.json')!.toString())).toEqual({ 'u-alice': { name: 'Alice Example' } });
    expect(story(files).join('\n')).not.toContain('Jane');
    const report = verifyBundle(files, { trusted: trustFile() });
    expect(report.failures).toEqual([]);
    expect(report.checks.find((c) => c.name === 'story')).toEqual({ name: 'story', ok: true, detail: '7 lines, each written again from its event' });
  });

  it('catches a story rewritten to say something else, even with the manifest relisted', () => {
    const files = buildBundleFiles(fixture().input);
    const lines = story(files);
    lines[5] = lines[5]!.replace('moved the case from new to resolved', 'moved the case from new to rejected');
    files.set('story.txt', Buffer.from(`${lines.join('\n')}\n`));
    const report = verifyBundle(relist(files), { trusted: trustFile() });
    expect(report.ok).toBe(false);
    expect(report.failures).toEqual([expect.stringMatching(/^story\.txt: line 6 does not match event 6: it says ".*rejected", the events say ".*resolved"$/)]);
    expect(report.checks.find((c) => c.name === 'story')!.ok).toBe(false);
  });

  it('catches a line taken out, a line added, and a name changed in people.json alone', () => {
    const cut = buildBundleFiles(fixture().input);
    cut.set('story.txt', Buffer.from(`${story(cut).slice(0, -1).join('\n')}\n`));
    expect(verifyBundle(relist(cut), { trusted: trustFile() }).failures).toEqual([expect.stringMatching(/^story\.txt: line 7 is missing/)]);
    const added = buildBundleFiles(fixture().input);
    added.set('story.txt', Buffer.from(`${[...story(added), '8 2026-03-01T12:00:00.000Z Bob refunded everyone'].join('\n')}\n`));
    expect(verifyBundle(relist(added), { trusted: trustFile() }).failures).toEqual([expect.stringMatching(/^story\.txt: line 8 tells of no event/)]);
    const renamed = buildBundleFiles(fixture().input);
    renamed.set('people.json', Buffer.from('{"u-alice":{"name":"Mallory"}}'));
    const report = verifyBundle(relist(renamed), { trusted: trustFile() });
    expect(report.ok).toBe(false);
    expect(report.failures.filter((f) => f.startsWith('story.txt'))).toHaveLength(6);
  });

  it('says an erased person is erased, and holds no name for them', () => {
    const { input } = fixture();
    const files = buildBundleFiles({ ...input, people: { 'u-alice': { erased: true } } });
    expect(story(files)[3]).toMatch(/ Erased person added a note$/);
    expect(files.get('people.json')!.toString()).toBe('{\n"u-alice":{"erased":true}\n}\n');
    expect(verifyBundle(files, { trusted: trustFile() }).failures).toEqual([]);
  });

  it('refuses a people.json of the wrong shape', () => {
    const files = buildBundleFiles(fixture().input);
    files.set('people.json', Buffer.from('{"u-alice":{"name":"A","email":"a@example.com"}}'));
    expect(verifyBundle(relist(files), { trusted: trustFile() }).failures).toEqual(['people.json: u-alice: must be {"name": <text>} or {"erased": true}']);
  });

  it('is not required: a bundle from before stories verifies, with a notice', () => {
    const files = buildBundleFiles(fixture().input);
    files.delete('story.txt');
    files.delete('people.json');
    const report = verifyBundle(relist(files), { trusted: trustFile() });
    expect(report.failures).toEqual([]);
    expect(report.notices.join('\n')).toMatch(/story\.txt: absent/);
  });
});
