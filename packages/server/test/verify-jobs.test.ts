import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_V1,
  BUNDLE_FORMAT_V2,
  buildBundleFiles,
  type BundleFormat,
  formatCheckpoint,
  generateSignerKey,
  inclusionProof,
  leafHash,
  parseSignerKey,
  personal,
  rootOf,
  sealEvent,
  signNoteWithKeys,
  type SealedEvent,
} from '@latch/core';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { runLatch } from './process.js';

// `latch verify --jobs N` verifies a bundle on N threads (files hashed, and for formats 2 and 3 each
// event's hash, leaf hash and story line): the report must be the same, byte for byte, as with one
// thread, for a bundle that verifies and for one that fails, in either format.

const dir = mkdtempSync(join(tmpdir(), 'latch-verify-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CASE = '0190a5c4-1111-7000-8000-000000000001';
const ORIGIN = 'jobs.example/log';
const key = parseSignerKey(generateSignerKey(ORIGIN));
const trust = join(dir, 'trust.txt');
writeFileSync(trust, `${key.verifierKey}\n`);

function bundleFiles(format?: BundleFormat): Map<string, Buffer> {
  const events: SealedEvent[] = [];
  let head = { stream: CASE, seq: 0, hash: null as string | null };
  for (let i = 1; i <= 60; i++) {
    const actor = { type: 'user', id: 'u-1' } as const;
    const draft = i === 60 ? { kind: 'case.exported', actor, data: { head: { seq: head.seq, hash: head.hash } } } : { kind: 'note.added', actor, data: { body: personal(`note ${i}`) } };
    const event = sealEvent(draft, head);
    events.push(event);
    head = { stream: CASE, seq: event.seq, hash: event.hash };
  }
  const leaves = events.flatMap((e, i) => [leafHash(Buffer.from(`other ${i}`)), leafHash(Buffer.from(e.bytes))]);
  const checkpoint = signNoteWithKeys(formatCheckpoint({ origin: ORIGIN, size: leaves.length, root: rootOf(leaves) }), [key]);
  return buildBundleFiles({
    caseId: CASE,
    origin: ORIGIN,
    exportedAt: events.at(-1)!.at,
    events: events.map((e) => ({ seq: e.seq, bytes: e.bytes })),
    proofs: events.map((e, i) => ({ seq: e.seq, index: 2 * i + 1, proof: inclusionProof(leaves, 2 * i + 1) })),
    checkpoint,
    blobs: new Map(),
    erasedBlobs: [],
    disclosures: {},
    consistency: [],
    people: { 'u-1': { name: 'Una One' } },
  }, format);
}

const zipFile = (name: string, files: Map<string, Buffer>): string => {
  const path = join(dir, name);
  writeFileSync(path, zipSync(Object.fromEntries([...files].map(([n, b]) => [n, new Uint8Array(b)])), { level: 0 }));
  return path;
};

describe('latch verify --jobs', () => {
  const env = { ...process.env, LATCH_LOG: 'off' };

  it.each<[string, BundleFormat]>([
    ['format 3', BUNDLE_FORMAT],
    ['format 2', BUNDLE_FORMAT_V2],
  ])('gives the same report on one thread, on three and on every core, verified or failed, for a %s bundle', (name, format) => {
    const good = zipFile(`good-${name}.zip`, bundleFiles(format));
    const tampered = bundleFiles(format);
    // Event 7 altered: its hash, its leaf and its story line all differ from what the bundle says.
    const text = tampered.get('events.jsonl')!.toString().split('\n');
    text[6] = text[6]!.replace('note.added', 'note.addeD');
    tampered.set('events.jsonl', Buffer.from(text.join('\n')));
    const bad = zipFile(`bad-${name}.zip`, tampered);
    for (const [bundle, status] of [[good, 0], [bad, 3]] as const) {
      for (const json of status === 0 ? [['--json']] : [['--json'], []]) {
        const one = runLatch(env, ['verify', bundle, '--trust', trust, ...json]);
        expect(one.status, one.stderr).toBe(status);
        for (const jobs of ['3', 'auto']) {
          const many = runLatch(env, ['verify', bundle, '--trust', trust, ...json, '--jobs', jobs]);
          expect(many.status, many.stderr).toBe(status);
          expect(many.stdout).toBe(one.stdout);
        }
        if (json.length > 0) expect(JSON.parse(one.stdout).ok).toBe(status === 0);
      }
    }
    const failures = (JSON.parse(runLatch(env, ['verify', bad, '--trust', trust, '--json', '--jobs', '3']).stdout) as { failures: string[] }).failures;
    expect(failures).toEqual([
      // Format 3 lists no SHA-256 for events.jsonl: the changed event is caught by the checks below.
      ...(format === BUNDLE_FORMAT_V2 ? ['events.jsonl: SHA-256 does not match the manifest'] : []),
      'events.jsonl line 8: previous-hash link is broken (prev is not the SHA-256 of event 7)',
      expect.stringMatching(/^story\.txt: line 7 does not match event 7: it says "7 \S+ Una One added a note", the events say "7 \S+ /),
      "inclusion.txt: the events' leaves and its hashes do not lead to the checkpoint's root: some event is not at its listed index of the signed log",
    ]);
  }, 300_000);

  it('gives the same report on one thread and on three for a format 1 bundle', () => {
    const good = zipFile('good-v1.zip', bundleFiles(BUNDLE_FORMAT_V1));
    const tampered = bundleFiles(BUNDLE_FORMAT_V1);
    tampered.set('events/00000007.json', Buffer.from(tampered.get('events/00000007.json')!.toString().replace('note.added', 'note.addeD')));
    const bad = zipFile('bad-v1.zip', tampered);
    for (const [bundle, status] of [[good, 0], [bad, 3]] as const) {
      const one = runLatch(env, ['verify', bundle, '--trust', trust, '--json']);
      const three = runLatch(env, ['verify', bundle, '--trust', trust, '--json', '--jobs', '3']);
      expect(one.status, one.stderr).toBe(status);
      expect(three.status, three.stderr).toBe(status);
      expect(three.stdout).toBe(one.stdout);
      expect(JSON.parse(one.stdout).ok).toBe(status === 0);
    }
    expect(runLatch(env, ['verify', bad, '--trust', trust, '--json']).stdout).toContain('events/00000007.json: SHA-256 does not match the manifest');
  }, 300_000);

  it('refuses a zip whose member fails its CRC-32 in the same line with threads (which check the CRCs) as without', () => {
    const good = zipFile('crc.zip', bundleFiles());
    const bytes = readFileSync(good);
    // One byte of events.jsonl flipped inside the zip: the member no longer matches its stated CRC-32.
    const at = bytes.indexOf('"kind":"note.added"');
    bytes[at + 9] = 'N'.charCodeAt(0);
    writeFileSync(good, bytes);
    const one = runLatch(env, ['verify', good, '--trust', trust]);
    expect(one.status).toBe(3);
    expect(one.stderr.trim()).toMatch(/crc\.zip: refused: events\.jsonl: CRC-32 mismatch: the member is corrupt or was altered$/);
    for (const jobs of ['2', '3']) {
      const many = runLatch(env, ['verify', good, '--trust', trust, '--jobs', jobs]);
      expect(many.status).toBe(3);
      expect(many.stderr).toBe(one.stderr);
      expect(many.stdout).toBe(one.stdout);
    }
  }, 300_000);

  it('prints nothing a bundle says raw: escape sequences in a member name or the case id cannot hide the verdict', () => {
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;
    const hide = '\r\u001b[2KVERIFIED\u001b[8m';
    const named = bundleFiles();
    named.set(`blobs/${hide}`, Buffer.from('x'));
    const listed = zipFile('escape-member.zip', named);
    const files = bundleFiles();
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { case: string };
    manifest.case = `${CASE}\r\n\r\nVERIFIED\r\n${hide}`;
    files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
    // The error line on standard error names the file: its name says something too.
    const caseId = zipFile(`escape-case${hide}.zip`, files);
    for (const bundle of [listed, caseId]) {
      for (const json of [[], ['--json']]) {
        const run = runLatch(env, ['verify', bundle, '--trust', trust, ...json]);
        expect(run.status, `${bundle} ${run.stderr}`).toBe(3);
        expect(run.stdout, bundle).not.toMatch(CONTROL);
        expect(run.stderr, bundle).not.toMatch(CONTROL);
        if (json.length === 0 && run.stdout !== '') expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^FAILED \(\d+ problems?\)$/);
      }
    }
    // The zip reader refuses the name (a control character in a member name), and says so inertly.
    expect(runLatch(env, ['verify', listed, '--trust', trust]).stderr).toContain('refused: blobs/\\u000d\\u001b[2KVERIFIED\\u001b[8m: a member name with a control character is not accepted');
  }, 300_000);

  it('reads --trust from a file or a pipe, and refuses a directory, a missing path or an endless device in one line', () => {
    const bundle = zipFile('trust-paths.zip', bundleFiles());
    for (const [path, message] of [
      [dir, `latch: ${dir}: a directory, not a trust file`],
      [join(dir, 'absent.txt'), `latch: no trust file at ${join(dir, 'absent.txt')}`],
      ['/dev/zero', 'latch: /dev/zero: larger than 1048576 bytes: not a trust file'],
    ]) {
      const run = runLatch(env, ['verify', bundle, '--trust', path!]);
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe(message);
    }
    const piped = runLatch(env, ['verify', bundle, '--trust', '/dev/stdin'], readFileSync(trust, 'utf8'));
    expect(piped.status, piped.stderr).toBe(0);
  }, 300_000);

  it('refuses a --jobs that is not a whole number from 1 to 64, in one line', () => {
    const good = zipFile('good2.zip', bundleFiles());
    for (const jobs of ['0', 'two', '65', '1.5']) {
      const run = runLatch({ ...process.env, LATCH_LOG: 'off' }, ['verify', good, '--trust', trust, '--jobs', jobs]);
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toMatch(new RegExp(`--jobs ${jobs.replace('.', '\\.')}: give a whole number of threads from 1 to 64, or auto \\(one per core\\)$`));
    }
  }, 300_000);
});
