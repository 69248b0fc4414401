/**
 * The log's signing keys and the auditor's trust file.
 *
 * Signer keys use the Go golang.org/x/mod/sumdb/note private key format, so keys can be made and
 * checked with Go tooling too: `PRIVATE+KEY+<name>+<8 hex key hash>+<base64(0x01 ‖ Ed25519 seed)>`.
 *
 * A trust file lists verifier keys, one per line, each optionally limited to the checkpoint sizes
 * it may sign: `<verifier key> [from=<size>] [until=<size>]`. Limits let an auditor keep trusting
 * a retired key for the history it signed without trusting it for anything later.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  NoteError,
  cosignNote,
  isValidKeyName,
  parseVerifierKey,
  signNote,
  verifierKey as formatVerifierKey,
  type ParsedVerifierKey,
} from './signed-note.js';

const PRIVATE_PREFIX = 'PRIVATE+KEY+';
const ALG_ED25519 = 0x01;
/** PKCS#8 DER for an Ed25519 private key, up to the 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SignerKey {
  name: string;
  keyHash: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The matching verifier key, `name+hash+base64(0x01 ‖ public key)`, to publish. */
  verifierKey: string;
}

function invalid(message: string): never {
  throw new NoteError('invalid-key', message);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** A new Ed25519 signer key for `name` (the log origin), in the Go note private key format. */
export function generateSignerKey(name: string): string {
  if (!isValidKeyName(name)) invalid(`invalid key name ${JSON.stringify(name)}: must be non-empty with no spaces or '+'`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
  const hash = parseVerifierKey(formatVerifierKey(name, publicKey)).keyHash;
  return `${PRIVATE_PREFIX}${name}+${hex8(hash)}+${Buffer.concat([Uint8Array.of(ALG_ED25519), seed]).toString('base64')}`;
}

/** Parses one signer key; throws NoteError('invalid-key') on any defect, naming it but never echoing the key. */
export function parseSignerKey(text: string): SignerKey {
  if (!text.startsWith(PRIVATE_PREFIX)) invalid(`malformed signer key: must start with ${PRIVATE_PREFIX}`);
  // As in a verifier key, the name has no '+' and the hash is hex; the base64 may contain '+'.
  const rest = text.slice(PRIVATE_PREFIX.length);
  const p1 = rest.indexOf('+');
  const p2 = rest.indexOf('+', p1 + 1);
  if (p1 < 0 || p2 < 0) invalid('malformed signer key: want PRIVATE+KEY+name+keyhash+key');
  const name = rest.slice(0, p1);
  const hashHex = rest.slice(p1 + 1, p2);
  const keyB64 = rest.slice(p2 + 1);
  if (!isValidKeyName(name)) invalid('malformed signer key: invalid key name');
  if (!/^[0-9a-f]{8}$/.test(hashHex)) invalid('malformed signer key: key hash must be 8 lowercase hex digits');
  const key = Buffer.from(keyB64, 'base64');
  if (key.toString('base64') !== keyB64 || key.length !== 33) invalid('malformed signer key: key must be base64 of 33 bytes');
  if (key[0] !== ALG_ED25519) invalid(`unsupported signer key algorithm 0x${key[0]!.toString(16)}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, key.subarray(1)]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const verifierKey = formatVerifierKey(name, publicKey);
  const parsed = parseVerifierKey(verifierKey);
  if (hex8(parsed.keyHash) !== hashHex) invalid('signer key hash does not match its name and key');
  return { name, keyHash: parsed.keyHash, privateKey, publicKey, verifierKey };
}

/**
 * Parses the log's signer keys, one per line (blank lines and `#` comments ignored). During a key
 * rotation two keys are listed and both sign; they must share one name, the log origin.
 */
export function parseSignerKeys(text: string): SignerKey[] {
  const keys: SignerKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    let key: SignerKey;
    try {
      key = parseSignerKey(line);
    } catch (e) {
      throw new NoteError('invalid-key', `signer keys, line ${i + 1}: ${(e as Error).message}`);
    }
    if (keys.length > 0 && key.name !== keys[0]!.name) {
      invalid(`signer keys, line ${i + 1}: name ${key.name} differs from ${keys[0]!.name}; all keys must be named for the log origin`);
    }
    if (keys.some((k) => k.keyHash === key.keyHash)) invalid(`signer keys, line ${i + 1}: the same key is listed twice`);
    keys.push(key);
  });
  if (keys.length === 0) invalid('no signer key found');
  return keys;
}

/** Signs note text with every key (in order): the signed note a rotating log publishes. */
export function signNoteWithKeys(text: string, keys: readonly SignerKey[]): string {
  if (keys.length === 0) invalid('signing needs at least one key');
  const [first, ...others] = keys;
  let note = signNote(text, first!.name, first!.privateKey);
  for (const key of others) note = cosignNote(note, key.name, key.privateKey);
  return note;
}

/** A verifier key the auditor trusts, for checkpoints of size from ≤ s (≤ until, when given). */
export interface TrustedKey extends ParsedVerifierKey {
  verifierKey: string;
  from?: number;
  until?: number;
}

/** A trust file line is malformed; `line` is 1-based (absent when the file as a whole is at fault). */
export class TrustFileError extends Error {
  readonly line: number | undefined;
  constructor(message: string, line?: number) {
    super(line === undefined ? `trust file: ${message}` : `trust file, line ${line}: ${message}`);
    this.name = 'TrustFileError';
    this.line = line;
  }
}

function parseTrustLine(line: string, lineNo: number): TrustedKey {
  const [key, ...attributes] = line.split(/\s+/);
  let parsed: ParsedVerifierKey;
  try {
    parsed = parseVerifierKey(key!);
  } catch (e) {
    throw new TrustFileError((e as Error).message, lineNo);
  }
  const entry: TrustedKey = { ...parsed, verifierKey: key! };
  for (const attribute of attributes) {
    const match = /^(from|until)=(0|[1-9][0-9]*)$/.exec(attribute);
    if (match === null) throw new TrustFileError(`unknown attribute ${JSON.stringify(attribute)}: want from=<size> or until=<size>`, lineNo);
    const name = match[1] as 'from' | 'until';
    const value = Number(match[2]);
    if (entry[name] !== undefined) throw new TrustFileError(`${name}= is given twice`, lineNo);
    if (!Number.isSafeInteger(value)) throw new TrustFileError(`${name}=${match[2]} is too large`, lineNo);
    entry[name] = value;
  }
  if (entry.from !== undefined && entry.until !== undefined && entry.from > entry.until) {
    throw new TrustFileError(`from=${entry.from} is after until=${entry.until}`, lineNo);
  }
  return entry;
}

/** Parses a trust file; throws TrustFileError with the line number of the first defect. */
export function parseTrustFile(text: string): TrustedKey[] {
  const keys: TrustedKey[] = [];
  const lineOf = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const key = parseTrustLine(line, i + 1);
    // Go's note.VerifierList answers "ambiguous key" for a name and key hash listed twice: so do we, at once.
    const id = `${key.name}+${key.keyHash}`;
    const first = lineOf.get(id);
    if (first !== undefined) throw new TrustFileError(`key ${key.name}+${key.keyHash.toString(16).padStart(8, '0')} is also listed on line ${first}: ambiguous`, i + 1);
    lineOf.set(id, i + 1);
    keys.push(key);
  });
  if (keys.length === 0) throw new TrustFileError('lists no keys');
  return keys;
}

/** Formats a trust file, with a header comment explaining the syntax. */
export function formatTrustFile(entries: ReadonlyArray<{ verifierKey: string; from?: number; until?: number }>): string {
  const header = [
    '# Latch trust file: verifier keys whose checkpoint signatures you accept.',
    '# One key per line, optionally limited to checkpoint tree sizes: from=<size> until=<size> (inclusive).',
  ];
  const lines = entries.map((e, i) => {
    const parts = [e.verifierKey, e.from === undefined ? '' : `from=${e.from}`, e.until === undefined ? '' : `until=${e.until}`];
    const line = parts.filter((part) => part !== '').join(' ');
    parseTrustLine(line, header.length + i + 1); // refuse to write a line we could not read back
    return line;
  });
  return `${[...header, ...lines].join('\n')}\n`;
}

/** The trusted keys allowed to sign a checkpoint of tree size `size`. */
export function keysValidAt(trusted: readonly TrustedKey[], size: number): TrustedKey[] {
  return trusted.filter((k) => (k.from === undefined || k.from <= size) && (k.until === undefined || size <= k.until));
}

/**
 * The trusted keys allowed to sign the log `origin`'s checkpoint of tree size `size`: a log's key is
 * named for its origin, so a trust file listing several logs' keys lets each vouch only for its own.
 */
export function logKeysValidAt(trusted: readonly TrustedKey[], origin: string, size: number): TrustedKey[] {
  return keysValidAt(trusted, size).filter((k) => k.name === origin);
}
