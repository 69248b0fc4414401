import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint } from './checkpoint.js';
import { inclusionProof, leafHash, rootOf, verifyInclusion } from './merkle.js';
import { signNote } from './signed-note.js';
import {
  TlogProofError,
  formatConsistencyProof,
  formatTlogProof,
  isHashBase64,
  parseConsistencyProof,
  parseTlogProof,
} from './tlog-proof.js';

const leaves = Array.from({ length: 11 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const root = rootOf(leaves);
const { privateKey } = generateKeyPairSync('ed25519');
const checkpoint = signNote(formatCheckpoint({ origin: 'log.example/latch', size: 11, root }), 'log.example/latch', privateKey);
const proof = inclusionProof(leaves, 6);

describe('tlog-proof', () => {
  it('formats the C2SP layout and parses it back', () => {
    const text = formatTlogProof({ index: 6, proof, checkpoint });
    const lines = text.split('\n');
    expect(lines[0]).toBe('c2sp.org/tlog-proof@v1');
    expect(lines[1]).toBe('index 6');
    expect(lines.slice(2, 2 + proof.length)).toEqual(proof.map((h) => h.toString('base64')));
    expect(lines[2 + proof.length]).toBe('');
    expect(text.endsWith(`\n\n${checkpoint}`)).toBe(true);
    const parsed = parseTlogProof(text);
    expect(parsed).toEqual({ index: 6, proof, checkpoint });
    expect(verifyInclusion(leaves[6]!, parsed.index, 11, parsed.proof, root)).toBe(true);
  });

  it('carries optional extra data on the second line', () => {
    const extra = Buffer.from('age-v1.2.1-darwin-arm64.tar.gz');
    const text = formatTlogProof({ index: 6, proof, checkpoint, extra });
    expect(text.split('\n')[1]).toBe(`extra ${extra.toString('base64')}`);
    expect(parseTlogProof(text)).toEqual({ index: 6, proof, checkpoint, extra });
  });

  it('allows an empty proof (a one-leaf tree)', () => {
    const text = formatTlogProof({ index: 0, proof: [], checkpoint });
    expect(text).toBe(`c2sp.org/tlog-proof@v1\nindex 0\n\n${checkpoint}`);
    expect(parseTlogProof(text).proof).toEqual([]);
  });

  const good = formatTlogProof({ index: 6, proof, checkpoint });
  /** Sets the unused low bits of the last base64 digit: a second spelling of the same 32 bytes. */
  const nonCanonical = (b64: string): string => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const spelled = `${b64.slice(0, 42)}${alphabet[alphabet.indexOf(b64[42]!) + 1]}=`;
    expect(Buffer.from(spelled, 'base64')).toEqual(Buffer.from(b64, 'base64'));
    return spelled;
  };
  const h0 = proof[0]!.toString('base64');
  const defects: Array<[string, string, RegExp]> = [
    ['a wrong first line', good.replace('tlog-proof@v1', 'tlog-proof@v2'), /first line/],
    ['a leading zero in the index', good.replace('index 6', 'index 06'), /leading zeros/],
    ['a negative index', good.replace('index 6', 'index -6'), /decimal/],
    ['an index beyond 2^53', good.replace('index 6', 'index 9007199254740993'), /too large/],
    ['no index line', good.replace('index 6\n', ''), /index <n>/],
    ['a hash of 31 bytes', good.replace(h0, Buffer.alloc(31, 7).toString('base64')), /proof hash 1/],
    ['non-canonical base64 (decodes to the same bytes)', good.replace(h0, nonCanonical(h0)), /proof hash 1/],
    ['unpadded base64', good.replace(h0, h0.slice(0, -1)), /proof hash 1/],
    ['a hash with a trailing space', good.replace(h0, `${h0} `), /proof hash 1/],
    ['no empty line at all', good.slice(0, good.indexOf('\n\n') + 1), /empty line/],
    ['no empty line before the checkpoint', good.replace('\n\n', '\n'), /proof hash \d+ is not canonical/],
    ['no checkpoint', good.slice(0, good.indexOf('\n\n') + 2), /checkpoint/],
    ['non-canonical extra data', good.replace('index 6', 'extra YQ\nindex 6'), /extra/],
    ['a CRLF line ending', good.replace('index 6\n', 'index 6\r\n'), /decimal/],
  ];
  it.each(defects)('rejects %s', (_name, text, message) => {
    expect(() => parseTlogProof(text)).toThrow(TlogProofError);
    expect(() => parseTlogProof(text)).toThrow(message);
  });

  it('refuses to format impossible proofs', () => {
    expect(() => formatTlogProof({ index: -1, proof, checkpoint })).toThrow(TlogProofError);
    expect(() => formatTlogProof({ index: 1.5, proof, checkpoint })).toThrow(TlogProofError);
    expect(() => formatTlogProof({ index: 6, proof: [Buffer.alloc(20)], checkpoint })).toThrow(/32 bytes/);
    expect(() => formatTlogProof({ index: 6, proof, checkpoint: checkpoint.trimEnd() })).toThrow(/newline/);
  });
});

describe('canonical hash base64', () => {
  it('accepts exactly the encodings Buffer produces for 32 bytes', () => {
    for (let i = 0; i < 200; i++) expect(isHashBase64(leafHash(Buffer.from([i])).toString('base64'))).toBe(true);
    const h = Buffer.alloc(32, 0xff).toString('base64');
    expect(h).toBe('//////////////////////////////////////////8=');
    expect(isHashBase64(h)).toBe(true);
    expect(isHashBase64('/////////////////////////////////////////+=')).toBe(false);
    expect(isHashBase64(Buffer.alloc(33).toString('base64'))).toBe(false);
  });
});

describe('consistency proof text', () => {
  const p = [leaves[0]!, leaves[1]!];

  it('formats and parses', () => {
    const text = formatConsistencyProof({ oldSize: 3, newSize: 11, proof: p });
    expect(text).toBe(`latch.dev/consistency-proof@v1\nold 3\nnew 11\n${p[0]!.toString('base64')}\n${p[1]!.toString('base64')}\n`);
    expect(parseConsistencyProof(text)).toEqual({ oldSize: 3, newSize: 11, proof: p });
    expect(parseConsistencyProof(formatConsistencyProof({ oldSize: 5, newSize: 5, proof: [] }))).toEqual({ oldSize: 5, newSize: 5, proof: [] });
  });

  const good = formatConsistencyProof({ oldSize: 3, newSize: 11, proof: p });
  const defects: Array<[string, string, RegExp]> = [
    ['a missing final newline', good.slice(0, -1), /newline/],
    ['a wrong header', good.replace('@v1', '@v9'), /first line/],
    ['old after new', good.replace('old 3\nnew 11', 'new 11\nold 3'), /line 2/],
    ['old larger than new', good.replace('old 3', 'old 12'), /0 < old ≤ new/],
    ['old size zero', good.replace('old 3', 'old 0'), /0 < old ≤ new/],
    ['a leading zero', good.replace('new 11', 'new 011'), /leading zeros/],
    ['a bad hash', good.replace(p[1]!.toString('base64'), 'not base64'), /proof hash 2/],
    ['an empty line', good.replace('new 11\n', 'new 11\n\n'), /proof hash 1/],
  ];
  it.each(defects)('rejects %s', (_name, text, message) => {
    expect(() => parseConsistencyProof(text)).toThrow(TlogProofError);
    expect(() => parseConsistencyProof(text)).toThrow(message);
  });
});
