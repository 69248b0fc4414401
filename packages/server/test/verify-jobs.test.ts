import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildBundleFiles,
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

// `latch verify --jobs N` hashes the bundle's files on N threads: the report must be the same, byte
// for byte, as with one thread, for a bundle that verifies and for one that fails.

const dir = mkdtempSync(join(tmpdir(), 'latch-verify-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CASE = '0190a5c4-1111-7000-8000-000000000001';
const ORIGIN = 'jobs.example/log';
const key = parseSignerKey(generateSignerKey(ORIGIN));
const trust = join(dir, 'trust.txt');
writeFileSync(trust, `${key.verifierKey}\n`);

function bundleFiles(): Map<string, Buffer> {
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
  });
}

const zipFile = (name: string, files: Map<string, Buffer>): string => {
  const path = join(dir, name);
  writeFileSync(path, zipSync(Object.fromEntries([...files].map(([n, b]) => [n, new Uint8Array(b)])), { level: 0 }));
  return path;
};

describe('latch verify --jobs', () => {
  it('gives the same report on one thread and on three, verified or failed', () => {
    const good = zipFile('good.zip', bundleFiles());
    const tampered = bundleFiles();
    tampered.set('events/00000007.json', Buffer.from(tampered.get('events/00000007.json')!.toString().replace('note.added', 'note.addeD')));
    const bad = zipFile('bad.zip', tampered);
    for (const [bundle, status] of [[good, 0], [bad, 3]] as const) {
      const one = runLatch({ ...process.env, LATCH_LOG: 'off' }, ['verify', bundle, '--trust', trust, '--json']);
      const three = runLatch({ ...process.env, LATCH_LOG: 'off' }, ['verify', bundle, '--trust', trust, '--json', '--jobs', '3']);
      expect(one.status, one.stderr).toBe(status);
      expect(three.status, three.stderr).toBe(status);
      expect(three.stdout).toBe(one.stdout);
      expect(JSON.parse(one.stdout).ok).toBe(status === 0);
    }
    expect(runLatch({ ...process.env, LATCH_LOG: 'off' }, ['verify', bad, '--trust', trust, '--json']).stdout).toContain('events/00000007.json: SHA-256 does not match the manifest');
  });

  it('refuses a --jobs that is not a whole number from 1 to 64, in one line', () => {
    const good = zipFile('good2.zip', bundleFiles());
    for (const jobs of ['0', 'two', '65', '1.5']) {
      const run = runLatch({ ...process.env, LATCH_LOG: 'off' }, ['verify', good, '--trust', trust, '--jobs', jobs]);
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toMatch(new RegExp(`--jobs ${jobs.replace('.', '\\.')}: give a whole number of threads from 1 to 64$`));
    }
  });
});
