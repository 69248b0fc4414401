/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys.
 *
 * A note is UTF-8 text ending in a newline, then a blank line, then one or more signature lines
 * `— <key name> <base64(key hash (4 bytes, big-endian) ‖ signature)>\n` (U+2014 em dash + space).
 * The Ed25519 signature covers the text including its final newline.
 *
 * Key hash = first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key).
 * Verifier key = `<name>+<8 lowercase hex digits of key hash>+<base64(0x01 ‖ public key)>`.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** Signature type byte for Ed25519 in key hashes and verifier keys. */
const ALG_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 ';
/** Same cap as Go's golang.org/x/mod/sumdb/note. */
export const MAX_NOTE_SIGNATURES = 100;

export type NoteErrorReason = 'malformed' | 'untrusted' | 'bad-signature' | 'invalid-key';

/** Raised by the signed-note functions; `reason` says which check failed. */
export class NoteError extends Error {
  readonly reason: NoteErrorReason;
  constructor(reason: NoteErrorReason, message: string) {
    super(message);
    this.name = 'NoteError';
    this.reason = reason;
  }
}

export interface ParsedVerifierKey {
  name: string;
  /** Key hash as an unsigned 32-bit integer. */
  keyHash: number;
  /** Raw 32-byte Ed25519 public key. */
  rawKey: Buffer;
  publicKey: KeyObject;
}

export interface OpenedNote {
  text: string;
  /** Names of the trusted keys whose signatures verified, in signature order. */
  verifiedBy: string[];
}

/**
 * Non-empty, no Unicode white space, no '+': Go's note.isValidName, which tests unicode.IsSpace,
 * the Unicode White_Space property (U+0085 is space, U+FEFF is not; JavaScript's \s says otherwise).
 */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\p{White_Space}+]/u.test(name) && Buffer.from(name, 'utf8').toString('utf8') === name;
}

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new NoteError('invalid-key', `invalid key name ${JSON.stringify(name)}: must be non-empty with no spaces or '+'`);
  }
}

/** Key hash for an Ed25519 key: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key), big-endian. */
export function keyHash(name: string, rawPublicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Uint8Array.of(0x0a, ALG_ED25519))
    .update(rawPublicKey)
    .digest();
  return digest.readUInt32BE(0);
}

function rawEd25519(key: KeyObject): Buffer {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new NoteError('invalid-key', `expected an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`);
  }
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x ?? '', 'base64url');
  if (raw.length !== 32) throw new NoteError('invalid-key', 'Ed25519 public key is not 32 bytes');
  return raw;
}

/** Strict standard base64 (padded, canonical). */
function decodeBase64(s: string): Buffer | null {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  const b = Buffer.from(s, 'base64');
  return b.toString('base64') === s ? b : null;
}

/** `name+hexkeyhash+base64(0x01 ‖ pubkey)` for an Ed25519 public (or private) key. */
export function verifierKey(name: string, publicKey: KeyObject): string {
  assertKeyName(name);
  const raw = rawEd25519(publicKey);
  const hash = keyHash(name, raw).toString(16).padStart(8, '0');
  return `${name}+${hash}+${Buffer.concat([Uint8Array.of(ALG_ED25519), raw]).toString('base64')}`;
}

/** Parse and check a verifier key string; throws NoteError('invalid-key') on any defect. */
export function parseVerifierKey(s: string): ParsedVerifierKey {
  // The name has no '+', the hash is hex; the base64 key may itself contain '+'.
  const p1 = s.indexOf('+');
  const p2 = s.indexOf('+', p1 + 1);
  if (p1 < 0 || p2 < 0) throw new NoteError('invalid-key', 'malformed verifier key: want name+keyhash+key');
  const name = s.slice(0, p1);
  const hashHex = s.slice(p1 + 1, p2);
  const keyB64 = s.slice(p2 + 1);
  assertKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(hashHex)) throw new NoteError('invalid-key', 'malformed verifier key: key hash must be 8 lowercase hex digits');
  const key = decodeBase64(keyB64);
  if (key === null || key.length !== 33) throw new NoteError('invalid-key', 'malformed verifier key: key must be base64 of 33 bytes');
  if (key[0] !== ALG_ED25519) throw new NoteError('invalid-key', `unsupported verifier key algorithm 0x${key[0]!.toString(16)}`);
  const rawKey = key.subarray(1);
  const hash = Number.parseInt(hashHex, 16);
  if (keyHash(name, rawKey) !== hash) throw new NoteError('invalid-key', 'verifier key hash does not match name and key');
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: rawKey.toString('base64url') }, format: 'jwk' });
  return { name, keyHash: hash, rawKey, publicKey };
}

/** Text must be non-empty, end in '\n', and have no control characters other than '\n'. */
function checkText(text: string): string | null {
  if (text.length === 0 || !text.endsWith('\n')) return 'note text must end with a newline';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) return 'note text contains a control character';
  if (/\p{Cs}/u.test(text)) return 'note text is not valid UTF-8';
  return null;
}

function signatureLine(text: string, name: string, privateKey: KeyObject): string {
  assertKeyName(name);
  if (privateKey.type !== 'private') throw new NoteError('invalid-key', 'signing needs a private key');
  const raw = rawEd25519(privateKey);
  const sig = sign(null, Buffer.from(text, 'utf8'), privateKey);
  const blob = Buffer.alloc(4 + sig.length);
  blob.writeUInt32BE(keyHash(name, raw), 0);
  sig.copy(blob, 4);
  return `${SIG_PREFIX}${name} ${blob.toString('base64')}\n`;
}

/** Sign `text` (which must end in a newline) and return the full signed note. */
export function signNote(text: string, name: string, privateKey: KeyObject): string {
  const problem = checkText(text);
  if (problem !== null) throw new NoteError('malformed', problem);
  return `${text}\n${signatureLine(text, name, privateKey)}`;
}

/** Add a further signature (e.g. a witness cosignature) to an already signed note. */
export function cosignNote(note: string, name: string, privateKey: KeyObject): string {
  const { text } = splitNote(note);
  return `${note}${signatureLine(text, name, privateKey)}`;
}

interface NoteSignature {
  name: string;
  keyHash: number;
  signature: Buffer;
}

function splitNote(note: string): { text: string; signatures: NoteSignature[] } {
  // Go's note.Open refuses a control character anywhere in the note, signature lines included.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw new NoteError('malformed', 'malformed note: it contains a control character');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed', 'malformed note: no blank line before signatures');
  const text = note.slice(0, split + 1);
  const problem = checkText(text);
  if (problem !== null) throw new NoteError('malformed', `malformed note: ${problem}`);
  const sigBlock = note.slice(split + 2);
  if (sigBlock.length === 0 || !sigBlock.endsWith('\n')) {
    throw new NoteError('malformed', 'malformed note: signature block missing or not newline-terminated');
  }
  const lines = sigBlock.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw new NoteError('malformed', `malformed note: more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures = lines.map((line, i) => {
    const fail = (why: string): never => {
      throw new NoteError('malformed', `malformed note: signature line ${i + 1}: ${why}`);
    };
    const { name, blob } = readSignatureLine(line, fail);
    return { name, keyHash: blob.readUInt32BE(0), signature: blob.subarray(4) };
  });
  return { text, signatures };
}

/**
 * One signature line `— <name> <base64(key hash ‖ signature)>` (without its newline): the key name
 * and the decoded bytes, at least a 4-byte key hash and one byte. `fail` says why it is malformed.
 */
export function readSignatureLine(line: string, fail: (why: string) => never): { name: string; blob: Buffer } {
  if (!line.startsWith(SIG_PREFIX)) fail("does not start with '\u2014 '");
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) fail('missing signature');
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) fail('invalid key name');
  const blob = decodeBase64(rest.slice(space + 1));
  if (blob === null || blob.length < 5) fail('signature is not base64 of key hash and signature');
  return { name, blob: blob! };
}

/**
 * Verify `note` against the trusted verifier keys and return its text.
 *
 * Signatures by unknown keys are ignored; a signature by a trusted key (matched by name and key
 * hash) that does not verify rejects the whole note. Throws NoteError: 'malformed' for syntax
 * errors, 'bad-signature' for a failed trusted signature, 'untrusted' when no trusted key signed.
 */
export function openNote(note: string, trusted: readonly ParsedVerifierKey[]): OpenedNote {
  const { text, signatures } = splitNote(note);
  const message = Buffer.from(text, 'utf8');
  const verifiedBy: string[] = [];
  const seen = new Set<string>();
  for (const sig of signatures) {
    const key = trusted.find((k) => k.name === sig.name && k.keyHash === sig.keyHash);
    if (key === undefined) continue;
    const id = `${key.name}+${key.keyHash}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (sig.signature.length !== 64 || !verify(null, message, key.publicKey, sig.signature)) {
      throw new NoteError('bad-signature', `bad signature from trusted key ${key.name}+${key.keyHash.toString(16).padStart(8, '0')}`);
    }
    verifiedBy.push(key.name);
  }
  if (verifiedBy.length === 0) {
    const names = signatures.map((s) => s.name).join(', ');
    throw new NoteError('untrusted', `no trusted signature on note (signed by: ${names})`);
  }
  return { text, verifiedBy };
}
