import { describe, expect, it } from 'vitest';
import {
  TrustFileError,
  formatTrustFile,
  generateSignerKey,
  keysValidAt,
  parseSignerKey,
  parseSignerKeys,
  parseTrustFile,
  signNoteWithKeys,
} from './log-keys.js';
import { NoteError, keyHash, openNote, parseVerifierKey } from './signed-note.js';

// Known-answer pair from the golang.org/x/mod/sumdb/note package documentation.
const goVerifier = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const goSigner = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof NoteError) return e.reason;
    throw e;
  }
  return 'no error';
}

describe('signer keys', () => {
  it('read the Go note private key format (known answer)', () => {
    const key = parseSignerKey(goSigner);
    expect(key.name).toBe('PeterNeumann');
    expect(key.keyHash).toBe(0xc74f20a3);
    expect(key.verifierKey).toBe(goVerifier);
  });

  it('round-trip: a generated key parses, and its hash is keyHash(name, public key)', () => {
    const text = generateSignerKey('log.example/latch');
    expect(text).toMatch(/^PRIVATE\+KEY\+log\.example\/latch\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const key = parseSignerKey(text);
    const pub = parseVerifierKey(key.verifierKey);
    expect(key.keyHash).toBe(keyHash('log.example/latch', pub.rawKey));
    expect(text.split('+')[3]).toBe(key.keyHash.toString(16).padStart(8, '0'));
    expect(key.privateKey.type).toBe('private');
    expect(key.publicKey.asymmetricKeyType).toBe('ed25519');
    // The private key really is the one the verifier key names.
    const note = signNoteWithKeys('hello\n', [key]);
    expect(openNote(note, [pub]).verifiedBy).toEqual(['log.example/latch']);
  });

  const goKey = goSigner.slice('PRIVATE+KEY+PeterNeumann+c74f20a3+'.length);
  const seed = Buffer.from(goKey, 'base64');
  const defects: Array<[string, string]> = [
    ['a wrong key hash', goSigner.replace('c74f20a3', 'c74f20a4')],
    ['an upper-case key hash', goSigner.replace('c74f20a3', 'C74F20A3')],
    ['a short key', `PRIVATE+KEY+PeterNeumann+c74f20a3+${seed.subarray(0, 32).toString('base64')}`],
    ['a long key', `PRIVATE+KEY+PeterNeumann+c74f20a3+${Buffer.concat([seed, Buffer.of(0)]).toString('base64')}`],
    ['another algorithm', `PRIVATE+KEY+PeterNeumann+c74f20a3+${Buffer.concat([Buffer.of(2), seed.subarray(1)]).toString('base64')}`],
    ['a name with a space', goSigner.replace('PeterNeumann', 'Peter Neumann')],
    ['an empty name', goSigner.replace('PeterNeumann', '')],
    ['no PRIVATE+KEY prefix', goSigner.replace('PRIVATE+KEY+', '')],
    ['a verifier key', goVerifier],
    ['non-canonical base64', goSigner.slice(0, -1)],
  ];
  it.each(defects)('reject %s with invalid-key', (_label, text) => {
    expect(reasonOf(() => parseSignerKey(text))).toBe('invalid-key');
  });

  it('never echo the secret in an error message', () => {
    const bad = goSigner.replace('c74f20a3', 'c74f20a4');
    expect(() => parseSignerKey(bad)).toThrow(/does not match/);
    try {
      parseSignerKey(bad);
    } catch (e) {
      expect((e as Error).message).not.toContain(goKey);
    }
  });

  it('refuse to generate a key with an invalid name', () => {
    expect(reasonOf(() => generateSignerKey('two words'))).toBe('invalid-key');
  });
});

describe('signer key files (rotation)', () => {
  const a = generateSignerKey('log.example/latch');
  const b = generateSignerKey('log.example/latch');

  it('read several keys of one origin, skipping comments and blank lines, and all of them sign', () => {
    const keys = parseSignerKeys(`# current key\n${a}\n\n  # next key, signing during the overlap\n${b}\n`);
    expect(keys.map((k) => k.verifierKey)).toEqual([parseSignerKey(a).verifierKey, parseSignerKey(b).verifierKey]);
    const note = signNoteWithKeys('log.example/latch\n1\nAAAA\n', keys);
    expect(note.match(/^\u2014 /gm)).toHaveLength(2);
    for (const k of keys) expect(openNote(note, [parseVerifierKey(k.verifierKey)]).verifiedBy).toEqual(['log.example/latch']);
  });

  it('refuse keys of different names, duplicates, bad lines and empty files', () => {
    expect(() => parseSignerKeys(`${a}\n${generateSignerKey('other.example/log')}\n`)).toThrow(/line 2: name other.example\/log differs/);
    expect(() => parseSignerKeys(`${a}\n${a}\n`)).toThrow(/line 2: the same key is listed twice/);
    expect(() => parseSignerKeys(`${a}\nPRIVATE+KEY+x\n`)).toThrow(/line 2: malformed signer key/);
    expect(() => parseSignerKeys('# nothing here\n')).toThrow(/no signer key/);
  });
});

describe('trust files', () => {
  const old = parseSignerKey(generateSignerKey('log.example/latch')).verifierKey;
  const current = parseSignerKey(generateSignerKey('log.example/latch')).verifierKey;
  const witness = parseSignerKey(generateSignerKey('witness.example')).verifierKey;

  it('parse keys with validity windows, comments and blank lines', () => {
    const trusted = parseTrustFile(`# Latch log keys\n\n${old} until=1000\n  ${current}   from=900\n${witness}\n`);
    expect(trusted.map((k) => [k.verifierKey, k.from, k.until])).toEqual([
      [old, undefined, 1000],
      [current, 900, undefined],
      [witness, undefined, undefined],
    ]);
    expect(trusted[0]!.publicKey.asymmetricKeyType).toBe('ed25519');
  });

  it("refuse a key listed twice, as Go's VerifierList calls it ambiguous, even with other windows", () => {
    expect(() => parseTrustFile(`${old} until=1000\n${current}\n${old} from=2000\n`)).toThrow(/line 3: key log\.example\/latch\+[0-9a-f]{8} is also listed on line 1: ambiguous/);
    expect(() => parseTrustFile(`${witness}\n# again\n${witness}\n`)).toThrow(TrustFileError);
  });

  it('round-trip through formatTrustFile, which explains itself in a comment', () => {
    const entries = [{ verifierKey: old, from: 0, until: 1000 }, { verifierKey: current, from: 900 }, { verifierKey: witness }];
    const text = formatTrustFile(entries);
    expect(text.startsWith('# ')).toBe(true);
    expect(text).toContain(`${old} from=0 until=1000\n`);
    expect(parseTrustFile(text).map(({ verifierKey, from, until }) => ({ verifierKey, from, until }))).toEqual([
      { verifierKey: old, from: 0, until: 1000 },
      { verifierKey: current, from: 900, until: undefined },
      { verifierKey: witness, from: undefined, until: undefined },
    ]);
    expect(() => formatTrustFile([{ verifierKey: 'nonsense' }])).toThrow(TrustFileError);
    expect(() => formatTrustFile([{ verifierKey: old, from: 5, until: 4 }])).toThrow(/from=5 is after until=4/);
  });

  it('select the keys valid for a checkpoint size, bounds inclusive', () => {
    const trusted = parseTrustFile(`${old} until=1000\n${current} from=900\n`);
    const at = (size: number): string[] => keysValidAt(trusted, size).map((k) => (k.verifierKey === old ? 'old' : 'current'));
    expect(at(0)).toEqual(['old']);
    expect(at(899)).toEqual(['old']);
    expect(at(900)).toEqual(['old', 'current']);
    expect(at(1000)).toEqual(['old', 'current']);
    expect(at(1001)).toEqual(['current']);
  });

  const defects: Array<[string, string, number | undefined, RegExp]> = [
    ['a malformed key', `${old}\nnot-a-key\n`, 2, /malformed verifier key/],
    ['a key with a wrong hash', `${old.replace(/\+[0-9a-f]{8}\+/, '+00000000+')}\n`, 1, /hash does not match/],
    ['an unknown attribute', `${old} since=4\n`, 1, /unknown attribute "since=4"/],
    ['a negative size', `${old} from=-1\n`, 1, /unknown attribute/],
    ['a leading zero', `${old} from=01\n`, 1, /unknown attribute/],
    ['a repeated attribute', `${old} from=1 from=2\n`, 1, /given twice/],
    ['from after until', `\n${old} from=10 until=9\n`, 2, /from=10 is after until=9/],
    ['a size beyond 2^53', `${old} until=9007199254740993\n`, 1, /too large/],
    ['no keys at all', '# empty\n\n', undefined, /lists no keys/],
  ];
  it.each(defects)('reject %s, naming the line', (_label, text, line, message) => {
    let error: unknown;
    try {
      parseTrustFile(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrustFileError);
    expect((error as TrustFileError).line).toBe(line);
    expect((error as Error).message).toMatch(message);
    if (line !== undefined) expect((error as Error).message).toContain(`line ${line}:`);
  });
});
