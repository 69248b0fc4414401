import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NoteError, cosignNote, keyHash, openNote, parseVerifierKey, signNote, verifierKey } from './signed-note.js';

function keypair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof NoteError) return e.reason;
    throw e;
  }
  return 'no error';
}

// Known-answer vector from the golang.org/x/mod/sumdb/note package documentation.
const goVerifier = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const goSkey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const goText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const goNote =
  goText + '\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';

describe('signed notes: known answers', () => {
  it('opens the Go sumdb/note example', () => {
    const key = parseVerifierKey(goVerifier);
    expect(key.name).toBe('PeterNeumann');
    expect(key.keyHash).toBe(0xc74f20a3);
    expect(openNote(goNote, [key])).toEqual({ text: goText, verifiedBy: ['PeterNeumann'] });
  });

  it('reproduces the Go example byte for byte from its private key (Ed25519 is deterministic)', () => {
    const seed = Buffer.from(goSkey.split('+').slice(4).join('+'), 'base64').subarray(1);
    const pub = parseVerifierKey(goVerifier).rawKey;
    const privateKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: pub.toString('base64url') },
      format: 'jwk',
    });
    expect(verifierKey('PeterNeumann', privateKey)).toBe(goVerifier);
    expect(signNote(goText, 'PeterNeumann', privateKey)).toBe(goNote);
  });
});

describe('signed notes: round trip and rejection', () => {
  const log = keypair();
  const witness = keypair();
  const other = keypair();
  const logKey = parseVerifierKey(verifierKey('log.example/latch', log.publicKey));
  const witnessKey = parseVerifierKey(verifierKey('witness.example', witness.publicKey));
  const text = 'log.example/latch\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';

  it('verifier keys have the documented shape and key hash', () => {
    const vkey = verifierKey('log.example/latch', log.publicKey);
    expect(vkey).toMatch(/^log\.example\/latch\+[0-9a-f]{8}\+[A-Za-z0-9+/]{43}[A-Za-z0-9+/=]{1}$/);
    expect(logKey.keyHash).toBe(keyHash('log.example/latch', logKey.rawKey));
    expect(logKey.rawKey.length).toBe(32);
  });

  it('round-trips, with the em dash signature line after a blank line', () => {
    const note = signNote(text, 'log.example/latch', log.privateKey);
    expect(note.startsWith(`${text}\n\u2014 log.example/latch `)).toBe(true);
    expect(note.endsWith('\n')).toBe(true);
    expect(openNote(note, [logKey])).toEqual({ text, verifiedBy: ['log.example/latch'] });
  });

  it('accepts cosignatures and ignores signatures from unknown keys', () => {
    const note = cosignNote(signNote(text, 'log.example/latch', log.privateKey), 'witness.example', witness.privateKey);
    expect(openNote(note, [logKey, witnessKey]).verifiedBy).toEqual(['log.example/latch', 'witness.example']);
    expect(openNote(note, [witnessKey]).verifiedBy).toEqual(['witness.example']);
  });

  it('rejects tampered text', () => {
    const note = signNote(text, 'log.example/latch', log.privateKey);
    expect(reasonOf(() => openNote(note.replace('\n3\n', '\n4\n'), [logKey]))).toBe('bad-signature');
  });

  it('rejects a tampered signature', () => {
    const note = signNote(text, 'log.example/latch', log.privateKey);
    const line = note.slice(note.lastIndexOf('\u2014'));
    const blob = Buffer.from(line.trim().split(' ')[2]!, 'base64');
    blob[10]! ^= 1;
    const bad = note.replace(line, `\u2014 log.example/latch ${blob.toString('base64')}\n`);
    expect(() => openNote(bad, [logKey])).toThrow(/bad signature from trusted key log\.example\/latch/);
  });

  it('rejects a signature by the wrong key under the trusted name', () => {
    // Same name, different key: the key hash differs, so the signature is simply not trusted.
    const note = signNote(text, 'log.example/latch', other.privateKey);
    expect(reasonOf(() => openNote(note, [logKey]))).toBe('untrusted');
  });

  it('rejects a signature whose key hash claims the trusted key but was made by another key', () => {
    const forged = signNote(text, 'log.example/latch', other.privateKey);
    const line = forged.slice(forged.lastIndexOf('\u2014'));
    const blob = Buffer.from(line.trim().split(' ')[2]!, 'base64');
    blob.writeUInt32BE(logKey.keyHash, 0);
    const bad = forged.replace(line, `\u2014 log.example/latch ${blob.toString('base64')}\n`);
    expect(reasonOf(() => openNote(bad, [logKey]))).toBe('bad-signature');
  });

  it('rejects notes signed only by untrusted keys', () => {
    const note = signNote(text, 'witness.example', witness.privateKey);
    expect(() => openNote(note, [logKey])).toThrow(/no trusted signature/);
    expect(reasonOf(() => openNote(note, []))).toBe('untrusted');
  });

  it('refuses to sign, and rejects, text without a final newline', () => {
    expect(reasonOf(() => signNote('no newline', 'log.example/latch', log.privateKey))).toBe('malformed');
    expect(reasonOf(() => signNote('', 'log.example/latch', log.privateKey))).toBe('malformed');
    expect(reasonOf(() => signNote('tab\there\n', 'log.example/latch', log.privateKey))).toBe('malformed');
    const note = signNote(text, 'log.example/latch', log.privateKey);
    expect(reasonOf(() => openNote(note.slice(0, -1), [logKey]))).toBe('malformed');
  });

  it('rejects malformed notes', () => {
    const note = signNote(text, 'log.example/latch', log.privateKey);
    const sigLine = note.slice(note.lastIndexOf('\u2014'));
    expect(reasonOf(() => openNote(text, [logKey]))).toBe('malformed'); // no signature block
    expect(reasonOf(() => openNote(note.replace('\u2014 ', '-- '), [logKey]))).toBe('malformed');
    expect(reasonOf(() => openNote(note.replace('\u2014 ', '\u2014'), [logKey]))).toBe('malformed');
    expect(reasonOf(() => openNote(`${text}\n\u2014 log.example/latch AAAA\n`, [logKey]))).toBe('malformed');
    expect(reasonOf(() => openNote(`${text}\n\u2014 log.example/latch not*base64\n`, [logKey]))).toBe('malformed');
    expect(reasonOf(() => openNote(`${text}\n${sigLine.repeat(101)}`, [logKey]))).toBe('malformed');
  });

  it('follows Go on the edges: a control character in a signature name is malformed; names are checked with unicode.IsSpace', () => {
    const note = signNote(text, 'log.example/latch', log.privateKey);
    // Go's Open refuses any control character but '\n' in the whole note, signature lines included.
    expect(reasonOf(() => openNote(note.replace('\u2014 log.example/latch', '\u2014 log.example\u0001/latch'), [logKey]))).toBe('malformed');
    expect(reasonOf(() => openNote(`${note}\u2014 other\u007f${note.slice(note.lastIndexOf(' '))}`, [logKey]))).not.toBe('malformed'); // DEL is not below 0x20
    // U+0085 (NEXT LINE) is white space to Go; U+FEFF (BOM) is not, though JavaScript's \s says the reverse.
    expect(reasonOf(() => verifierKey('log\u0085example', log.publicKey))).toBe('invalid-key');
    expect(reasonOf(() => verifierKey('log\u00a0example', log.publicKey))).toBe('invalid-key');
    expect(reasonOf(() => verifierKey('log\u3000example', log.publicKey))).toBe('invalid-key');
    const bom = signNote(text, 'log\ufeffexample', log.privateKey);
    expect(openNote(bom, [parseVerifierKey(verifierKey('log\ufeffexample', log.publicKey))]).verifiedBy).toEqual(['log\ufeffexample']);
    expect(reasonOf(() => openNote(note.replace('\u2014 log.example/latch', '\u2014 log\u0085example'), [logKey]))).toBe('malformed');
  });

  it('rejects bad key names and verifier keys', () => {
    expect(reasonOf(() => verifierKey('has space', log.publicKey))).toBe('invalid-key');
    expect(reasonOf(() => verifierKey('a+b', log.publicKey))).toBe('invalid-key');
    expect(reasonOf(() => verifierKey('', log.publicKey))).toBe('invalid-key');
    expect(reasonOf(() => signNote(text, 'log.example/latch', log.publicKey))).toBe('invalid-key');
    const vkey = verifierKey('log.example/latch', log.publicKey);
    const [name, hash] = vkey.split('+') as [string, string];
    const key = vkey.slice(name.length + hash.length + 2);
    expect(reasonOf(() => parseVerifierKey(`${name}+${hash}`))).toBe('invalid-key');
    expect(reasonOf(() => parseVerifierKey(`other+${hash}+${key}`))).toBe('invalid-key'); // hash mismatch
    expect(reasonOf(() => parseVerifierKey(`${name}+${hash.toUpperCase()}x+${key}`))).toBe('invalid-key');
    const wrongAlg = Buffer.from(key, 'base64');
    wrongAlg[0] = 0x02;
    expect(reasonOf(() => parseVerifierKey(`${name}+${hash}+${wrongAlg.toString('base64')}`))).toBe('invalid-key');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(reasonOf(() => verifierKey('x', rsa.publicKey))).toBe('invalid-key');
  });
});
