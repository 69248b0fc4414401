import { describe, expect, it } from 'vitest';
import { sealEvent } from '../timeline/event.js';
import { formatBundleReport } from './bundle-report.js';
import { BUNDLE_FORMAT_V1, BUNDLE_FORMAT_V2, buildBundleFiles, type BundleFormat } from './bundle.js';
import { formatCheckpoint } from './checkpoint.js';
import { signNoteWithKeys } from './log-keys.js';
import { rootOf } from './merkle.js';
import { doWork, itemCount, planWork, workDone, workResults } from './bundle-work.js';
import { sameWithoutNative } from './native-paths.fixture.js';
import { verifyBundle } from './verify-bundle.js';
import { CASE, ORIGIN, actor, erasedScan, fixture, logKey, manifestOf, receipt, relist, sha, stripeResponse, trustFile, type Fixture } from './bundle.fixture.js';

// Formats 2 and 3: events.jsonl holds every event's bytes, one per line, and inclusion.txt one
// proof that all of them are in the log. Every check of format 1 still holds. Format 3 (what
// exports write) lists no SHA-256 in the manifest for events.jsonl, inclusion.txt and story.txt,
// whose every byte the checks hold to the signed log; format 2 lists every file's.

const lines = (files: Map<string, Buffer>, path: string): string[] => files.get(path)!.toString().split('\n');
const setLines = (files: Map<string, Buffer>, path: string, text: string[]): Map<string, Buffer> => files.set(path, Buffer.from(text.join('\n')));
/** Edits line `n` (from 1) of a file. */
const editLine = (files: Map<string, Buffer>, path: string, n: number, edit: (line: string) => string): Map<string, Buffer> =>
  setLines(files, path, lines(files, path).map((l, i) => (i === n - 1 ? edit(l) : l)));

describe('a format 3 bundle', () => {
  const { input, events, leaves, indices } = fixture();
  const files = buildBundleFiles(input);

  it('has the documented layout: events.jsonl, inclusion.txt, and the files of format 1 besides', () => {
    expect([...files.keys()].sort()).toEqual(
      [
        `blobs/${sha(receipt)}`,
        `blobs/${sha(stripeResponse)}`,
        `blobs/${sha(erasedScan)}`,
        'checkpoint',
        'disclosures.json',
        'events.jsonl',
        'inclusion.txt',
        'manifest.json',
        'people.json',
        'story.txt',
      ].sort(),
    );
    expect(manifestOf(files)).toMatchObject({ format: 'latch-evidence-bundle@3', case: CASE, origin: ORIGIN, export: { event: events.at(-1)!.id, seq: 7 } });
    // Every file but these three, whose every byte the checks read, is listed with its SHA-256.
    expect(Object.keys(manifestOf(files).files).sort()).toEqual(
      [...files.keys()].filter((p) => !['manifest.json', 'events.jsonl', 'inclusion.txt', 'story.txt'].includes(p)).sort(),
    );
    expect(Object.entries(manifestOf(files).files).every(([p, h]) => h === sha(files.get(p)!))).toBe(true);
    expect(files.get('events.jsonl')!.toString()).toBe(events.map((e) => `${e.bytes}\n`).join(''));
    const proof = lines(files, 'inclusion.txt');
    expect(proof.slice(0, 3)).toEqual(['latch-evidence-bundle@2 inclusion', `size ${leaves.length}`, `leaves ${indices.join(' ')}`]);
    expect(proof.slice(3, -1).every((l) => /^[A-Za-z0-9+/]{43}=$/.test(l))).toBe(true);
    expect(proof.at(-1)).toBe('');
  });

  it('VERIFIES, with every check of format 1', () => {
    const report = verifyBundle(files, { trusted: trustFile() });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.events).toBe(7);
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual(
      ['manifest', 'files', 'events', 'attachments', 'personal data', 'story', 'checkpoint', 'inclusion', 'consistency'].map((name) => [name, true]),
    );
    const text = formatBundleReport(report);
    expect(text).toMatch(/^✓ manifest +latch-evidence-bundle@3, case /m);
    expect(text).toMatch(/^✓ files +6 files present, each matching its SHA-256 in the manifest; events\.jsonl, inclusion\.txt and story\.txt are checked byte for byte against the signed log below$/m);
    expect(text).toMatch(new RegExp(`^✓ inclusion +7 events, at the leaves inclusion\\.txt lists, lead to the root of tree size ${leaves.length}$`, 'm'));
    expect(text.trimEnd().endsWith('VERIFIED')).toBe(true);
  });

  it('verifies with an erasure, and with a consistency proof for --since', () => {
    const erased = fixture({ erased: true });
    expect(verifyBundle(buildBundleFiles({ ...erased.input, erasedBlobs: [sha(erasedScan)] }), { trusted: trustFile() }).failures).toEqual([]);
    const since = fixture({ consistencyFrom: [5] });
    const old = signNoteWithKeys(formatCheckpoint({ origin: ORIGIN, size: 5, root: rootOf(since.leaves.slice(0, 5)) }), [logKey]);
    expect(verifyBundle(buildBundleFiles(since.input), { trusted: trustFile(), since: old }).failures).toEqual([]);
  });

  it('is read beside formats 1 and 2: the same events verify either way', () => {
    const v1 = buildBundleFiles(input, BUNDLE_FORMAT_V1);
    expect(v1.has('events/00000001.json')).toBe(true);
    expect(verifyBundle(v1, { trusted: trustFile() }).ok).toBe(true);
    const v2 = buildBundleFiles(input, BUNDLE_FORMAT_V2);
    expect(Object.keys(manifestOf(v2).files).sort()).toEqual([...v2.keys()].filter((p) => p !== 'manifest.json').sort());
    expect(v2.get('events.jsonl')).toEqual(files.get('events.jsonl'));
    const report = verifyBundle(v2, { trusted: trustFile() });
    expect(report.failures).toEqual([]);
    expect(formatBundleReport(report)).toMatch(/^✓ files +9 files present, each matching its SHA-256 in the manifest$/m);
  });

  it('in format 2, names a changed event byte by the SHA-256 the manifest lists for events.jsonl', () => {
    const v2 = editLine(buildBundleFiles(input, BUNDLE_FORMAT_V2), 'events.jsonl', 2, (l) => l.replace('receipt.pdf', 'receipt.pdg'));
    expect(verifyBundle(v2, { trusted: trustFile() }).failures).toContain('events.jsonl: SHA-256 does not match the manifest');
  });
});

type Tamper = (files: Map<string, Buffer>, f: Fixture) => Map<string, Buffer>;

const NOT_IN_LOG = /^inclusion\.txt: the events' leaves and its hashes do not lead to the checkpoint's root/m;
const tampers: Array<[string, Tamper, RegExp[]]> = [
  [
    'an event byte changed',
    (files) => editLine(files, 'events.jsonl', 2, (l) => l.replace('receipt.pdf', 'receipt.pdg')),
    [/^events\.jsonl line 3: previous-hash link is broken \(prev is not the SHA-256 of event 2\)$/m, NOT_IN_LOG],
  ],
  [
    'events.jsonl, inclusion.txt and story.txt listed with their SHA-256, as format 2 lists them',
    (files) => {
      const manifest = manifestOf(files);
      for (const path of ['events.jsonl', 'inclusion.txt', 'story.txt']) manifest.files[path] = sha(files.get(path)!);
      return files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
    },
    ['events.jsonl', 'inclusion.txt', 'story.txt'].map((p) => new RegExp(`^${p.replace('.', '\\.')}: listed in the manifest, but latch-evidence-bundle@3 lists no SHA-256 for it`, 'm')),
  ],
  ['story.txt missing', (files) => (files.delete('story.txt'), relist(files)), [/^story\.txt: missing: every bundle of this format tells the case's story$/m]],
  ['story.txt without its last line break', (files) => files.set('story.txt', files.get('story.txt')!.subarray(0, -1)), [/^story\.txt: does not end with a line break$/m]],
  ['story.txt with a line break more', (files) => files.set('story.txt', Buffer.concat([files.get('story.txt')!, Buffer.from('\n')])), [/^story\.txt: line 8 tells of no event: ""$/m]],
  ['an event re-serialised (not canonical)', (files) => relist(editLine(files, 'events.jsonl', 4, (l) => ` ${l}`)), [/^events\.jsonl line 4: not canonical JSON/m]],
  [
    'an event deleted (the lines after it move up)',
    (files) => relist(setLines(files, 'events.jsonl', lines(files, 'events.jsonl').filter((_, i) => i !== 2))),
    [/^events\.jsonl line 3: holds event seq 4, but its line number says 3$/m, /^events\.jsonl line 7: event 7 is missing/m, /^inclusion\.txt: lists 7 leaves for 6 events$/m],
  ],
  [
    'the tail deleted',
    (files) => relist(setLines(files, 'events.jsonl', lines(files, 'events.jsonl').filter((_, i) => i !== 6))),
    [/^events\.jsonl line 7: event 7 is missing \(the bundle must end with the case\.exported event, seq 7\)$/m],
  ],
  [
    'two events swapped',
    (files) => {
      const text = lines(files, 'events.jsonl');
      [text[1], text[2]] = [text[2]!, text[1]!];
      return relist(setLines(files, 'events.jsonl', text));
    },
    [/^events\.jsonl line 2: holds event seq 3, but its line number says 2$/m, /previous-hash link is broken/, NOT_IN_LOG],
  ],
  [
    'a forged, correctly chained event in place of a genuine one',
    (files, f) => {
      const forged = sealEvent({ kind: 'note.added', actor, data: { body: 'approved by the manager' } }, { stream: CASE, seq: 5, hash: f.events[4]!.hash });
      return relist(editLine(files, 'events.jsonl', 6, () => forged.bytes));
    },
    [/^events\.jsonl line 7: previous-hash link is broken/m, NOT_IN_LOG],
  ],
  ['the last line break removed', (files) => relist(files.set('events.jsonl', files.get('events.jsonl')!.subarray(0, -1))), [/^events\.jsonl: does not end with a line break/m]],
  ['inclusion.txt missing', (files) => (files.delete('inclusion.txt'), relist(files)), [/^inclusion\.txt: missing: it proves every event is in the log$/m]],
  ['inclusion.txt for another tree size', (files) => relist(editLine(files, 'inclusion.txt', 2, () => 'size 9')), [/^inclusion\.txt: proves leaves of a tree of size 9, but the checkpoint's tree has \d+$/m]],
  [
    'an event listed at another leaf',
    (files, f) => relist(editLine(files, 'inclusion.txt', 3, () => `leaves ${f.indices.map((i, k) => (k === 3 ? i - 1 : i)).join(' ')}`)),
    [/^inclusion\.txt: /m],
  ],
  [
    'a proof hash altered',
    (files) => relist(editLine(files, 'inclusion.txt', 4, (l) => Buffer.from(Buffer.from(l, 'base64').map((b, k) => (k === 5 ? b ^ 0x10 : b))).toString('base64'))),
    [NOT_IN_LOG],
  ],
  ['a per-event file of format 1 added', (files) => relist(files.set('events/00000001.json', files.get('events.jsonl')!.subarray(0, 10))), [/^events\/00000001\.json: not a file of the bundle format$/m]],
  ['the manifest claims format 1', (files) => relist(files, (m) => (m.format = 'latch-evidence-bundle@1')), [/^events\.jsonl: not a file of the bundle format$/m, /^events\/00000001\.json: events 1\.\.7 are missing/m]],
];

describe('a format 3 bundle fails, naming the problem, when', () => {
  it.each(tampers)('%s', (_name, tamper, problems) => {
    const f = fixture();
    const report = verifyBundle(tamper(buildBundleFiles(f.input), f), { trusted: trustFile() });
    expect(report.ok).toBe(false);
    for (const problem of problems) expect(report.failures.join('\n')).toMatch(problem);
  });
});

describe('a format 3 bundle verified without the native addon (hashed through node:crypto, its events read in TypeScript alone)', () => {
  const both = (files: Map<string, Buffer>): void => void sameWithoutNative(() => verifyBundle(files, { trusted: trustFile() }));
  it('verifies the same', () => both(buildBundleFiles(fixture().input)));
  it.each(tampers)('gives the same report when %s', (_name, tamper) => {
    const f = fixture();
    both(tamper(buildBundleFiles(f.input), f));
  });
});

describe('a format 3 bundle stuffed with lines (a zip of a few kilobytes can unpack to millions)', () => {
  const stuffed = (extra: string, count: number): Map<string, Buffer> => {
    const files = buildBundleFiles(fixture().input);
    return files.set('events.jsonl', Buffer.concat([files.get('events.jsonl')!, Buffer.from(extra.repeat(count))]));
  };

  it('reads no line past the one after the export event, and says so once', () => {
    const { events } = fixture();
    const report = verifyBundle(stuffed(`${'x'.repeat(100)}\n`, 50_000), { trusted: trustFile() });
    expect(report.ok).toBe(false);
    expect(report.failures).toContain(`events.jsonl: more lines than the export event (seq ${events.length}) allows: the lines after line ${events.length + 1} were not read`);
    expect(report.failures.filter((f) => f.startsWith('events.jsonl line'))).toEqual([`events.jsonl line ${events.length + 1}: not canonical JSON (RFC 8785): the bytes were altered or re-serialised`]);
    expect(report.events).toBe(events.length + 1);
  });

  it('refuses a file of lines too short to be events whole, however many the manifest claims', () => {
    const files = relist(stuffed('\n', 200_000), (m) => (m.export.seq = 10_000_000));
    const report = verifyBundle(files, { trusted: trustFile() });
    expect(report.ok).toBe(false);
    expect(report.failures.join('\n')).toMatch(/^events\.jsonl: more than 1000 of its \d+ lines are shorter than any event \(64 bytes\): not a file of events, none of its lines read$/m);
    expect(report.events).toBe(0);
    expect(report.failures.length).toBeLessThan(50);
  });

  it('lists at most a thousand problems of one check, and counts the rest', () => {
    // Every line after the first is a well-formed event of another case: each is a problem.
    const files = buildBundleFiles(fixture().input);
    const first = files.get('events.jsonl')!.toString().split('\n')[0]!;
    const lines = Array.from({ length: 3000 }, (_, i) => first.replace(CASE, `other-case-${String(i).padStart(5, '0')}`));
    const report = verifyBundle(relist(files.set('events.jsonl', Buffer.from(`${lines.join('\n')}\n`)), (m) => (m.export.seq = 3000)), { trusted: trustFile() });
    const events = report.failures.filter((f) => f.startsWith('events.jsonl'));
    expect(events.length).toBe(1000);
    expect(report.failures).toContainEqual(expect.stringMatching(/^events: \d+ more problems, not listed one by one$/));
    expect(formatBundleReport(report)).toMatch(/FAILED \(\d+ problems\)\n$/);
  });
});

describe.each<[string, BundleFormat]>([
  ['format 3, which lists no hash for events.jsonl, inclusion.txt and story.txt', 'latch-evidence-bundle@3'],
  ['format 2', BUNDLE_FORMAT_V2],
])('every one-bit change to a bundle of %s', (_name, format) => {
  it('is caught, in every byte of every file, even with the manifest relisted to match', () => {
    const f = fixture();
    const genuine = buildBundleFiles(f.input, format);
    expect(verifyBundle(genuine, { trusted: trustFile() }).ok).toBe(true);
    let tried = 0;
    const passed: string[] = [];
    for (const [path, bytes] of genuine) {
      for (let i = 0; i < bytes.length; i++) {
        const files = new Map(genuine);
        const flipped = Buffer.from(bytes);
        flipped[i] = flipped[i]! ^ (1 << i % 8);
        files.set(path, flipped);
        // A forger fixes the manifest up; a change to the manifest itself is tried as it is.
        const report = verifyBundle(path === 'manifest.json' ? files : relist(files), { trusted: trustFile() });
        tried++;
        if (report.ok) passed.push(`${path} byte ${i}`);
      }
    }
    expect(passed).toEqual([]);
    expect(tried).toBeGreaterThan(5000);
  }, 120_000);
});

describe('latch verify --jobs: the work shared out to threads', () => {
  /** The files as views of one shared buffer, as `latch verify --jobs` reads a stored zip into shared memory. */
  function inShared(files: Map<string, Buffer>): { files: Map<string, Buffer>; zip: SharedArrayBuffer } {
    const zip = new SharedArrayBuffer([...files.values()].reduce((n, b) => n + b.length, 0) + 1);
    const shared = new Map<string, Buffer>();
    let at = 0;
    for (const [path, bytes] of files) {
      bytes.copy(Buffer.from(zip), at);
      shared.set(path, Buffer.from(zip, at, bytes.length));
      at += bytes.length;
    }
    return { files: shared, zip };
  }

  it('gives the very report one thread gives, however the items fall to threads, on the genuine bundle and on each tampered one', () => {
    const variants: Array<[string, Tamper]> = [['genuine', (files) => files], ...tampers.map(([name, tamper]): [string, Tamper] => [name, tamper])];
    for (const [name, tamper] of variants) {
      const f = fixture();
      const { files, zip } = inShared(tamper(buildBundleFiles(f.input), f));
      const alone = JSON.stringify(verifyBundle(files, { trusted: trustFile() }));
      // Items of 1, 3 or 512 events; threads take turns claiming them, one item or two at a time
      // (each turn a new view of the work, as each thread has its own).
      for (const [perItem, perTurn] of [[512, Infinity], [1, 1], [3, 1], [3, 2]]) {
        const work = planWork(files, zip, { eventsPerItem: perItem });
        while (!workDone(work)) doWork(work, perTurn);
        const done = workResults(work);
        const lines = files.get('events.jsonl')?.toString().split('\n').filter((l, i, all) => i < all.length - 1 || l !== '').length ?? 0;
        expect(done.eventHashes?.leaves?.length ?? 0, name).toBe(32 * lines);
        expect(JSON.stringify(verifyBundle(files, { trusted: trustFile(), ...done })), `${name}, items of ${perItem} events taken ${perTurn} at a time`).toBe(alone);
      }
    }
  });

  it('uses the threads\' story comparisons only for format 2: a stray events.jsonl in a format 1 bundle vouches for no line', () => {
    const f = fixture();
    const v1 = buildBundleFiles(f.input, BUNDLE_FORMAT_V1);
    // The genuine events.jsonl beside format 1's event files, one of which is altered: story.txt's
    // line 3 is that of the genuine event 3, not of the altered one.
    v1.set('events.jsonl', buildBundleFiles(f.input).get('events.jsonl')!);
    v1.set('events/00000003.json', Buffer.from(v1.get('events/00000003.json')!.toString().replace(/"at":"[^"]+"/, '"at":"2001-01-01T00:00:00.000Z"')));
    const { files, zip } = inShared(v1);
    const alone = verifyBundle(files, { trusted: trustFile() });
    expect(alone.failures.some((line) => line.startsWith('story.txt: line 3 '))).toBe(true);
    const work = planWork(files, zip);
    doWork(work);
    expect(JSON.stringify(verifyBundle(files, { trusted: trustFile(), ...workResults(work) }))).toBe(JSON.stringify(alone));
  });

  it('hashes no file the format lists without a hash, and every file format 2 lists', () => {
    const f = fixture();
    for (const [format, unhashed] of [['latch-evidence-bundle@3', ['events.jsonl', 'inclusion.txt', 'story.txt']], [BUNDLE_FORMAT_V2, []]] as const) {
      const { files, zip } = inShared(buildBundleFiles(f.input, format));
      const work = planWork(files, zip);
      doWork(work);
      const hashed = [...workResults(work).fileHashes!.keys()].sort();
      expect(hashed, format).toEqual([...files.keys()].filter((p) => !(unhashed as readonly string[]).includes(p)).sort());
      for (const path of hashed) expect(workResults(work).fileHashes!.get(path), path).toBe(sha(files.get(path)!));
    }
  });

  it('takes events.jsonl\'s lines from the plan only when they cut the file into its lines', () => {
    const f = fixture();
    const { files, zip } = inShared(buildBundleFiles(f.input));
    const alone = JSON.stringify(verifyBundle(files, { trusted: trustFile() }));
    const work = planWork(files, zip);
    doWork(work);
    const done = workResults(work);
    const lines = done.eventHashes!.lines!;
    expect(lines.length).toBe(2 * f.events.length);
    expect(JSON.stringify(verifyBundle(files, { trusted: trustFile(), ...done }))).toBe(alone);
    // Bounds that skip a line, drop the last, or cut a line short are not the file's lines: ignored.
    const skipping = Int32Array.from([...lines.subarray(0, 2), ...lines.subarray(4)]);
    const short = Int32Array.from(lines.subarray(0, -2));
    const cut = Int32Array.from(lines);
    cut[1] = cut[1]! - 1;
    for (const [name, bogus] of [['skipping', skipping], ['short', short], ['cut', cut]] as const) {
      const report = verifyBundle(files, { trusted: trustFile(), eventHashes: { ...done.eventHashes, sha256: undefined, leaves: undefined, scans: undefined, storyMatches: undefined, lines: bogus } });
      expect(JSON.stringify(report), name).toBe(alone);
    }
  });

  it('does each item once: the results are those of one thread, and none is left undone', () => {
    const f = fixture();
    const { files, zip } = inShared(buildBundleFiles(f.input));
    const one = planWork(files, zip);
    expect(doWork(one)).toBe(itemCount(one));
    expect(doWork(one)).toBe(0); // nothing left to claim
    const turns = planWork(files, zip, { eventsPerItem: 2 });
    let done = 0;
    while (!workDone(turns)) done += doWork(turns, 1);
    expect(done).toBe(itemCount(turns));
    const [a, b] = [workResults(one), workResults(turns)];
    expect(b.eventHashes?.sha256?.equals(a.eventHashes!.sha256!)).toBe(true);
    expect(b.eventHashes?.leaves?.equals(a.eventHashes!.leaves!)).toBe(true);
    expect([...b.eventHashes!.scans!]).toEqual([...a.eventHashes!.scans!]);
    expect([...b.eventHashes!.storyMatches!]).toEqual([...a.eventHashes!.storyMatches!]);
    // Every line of the genuine story is the event's line, and every hash is the event's.
    expect([...a.eventHashes!.storyMatches!].every((m) => m === 1)).toBe(true);
    expect(a.eventHashes!.sha256!.toString('latin1', 0, 64)).toBe(sha(f.events[0]!.bytes));
  });
});
