/**
 * C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature), Ed25519 only.
 *
 * A cosignature is a signed-note signature line on a checkpoint:
 *   `— <witness name> base64(key ID (4 bytes) ‖ timestamp (u64, big-endian) ‖ Ed25519 signature (64))`
 * over the message `cosignature/v1\ntime <timestamp>\n<checkpoint body>`.
 *
 * Key ID = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ 32-byte public key)[:4]; the witness verifier key (vkey) is
 * `name+<8 hex key ID>+base64(0x04 ‖ public key)`. The signing key uses the Go note private key
 * format with the same type byte: `PRIVATE+KEY+name+<8 hex key ID>+base64(0x04 ‖ Ed25519 seed)`.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { NoteError, isValidKeyName, readSignatureLine } from '../proof/signed-note.js';

/** Signature type byte of Ed25519 cosignature/v1 keys. */
export const COSIGNATURE_V1_ED25519 = 0x04;
const SIG_PREFIX = '\u2014 ';
const PRIVATE_PREFIX = 'PRIVATE+KEY+';
/** PKCS#8 DER for an Ed25519 private key, up to the 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** Key ID (4) + timestamp (8) + Ed25519 signature (64). */
const COSIGNATURE_BYTES = 76;
const MAX_TIMESTAMP = 2n ** 63n - 1n;

/** A witness's public key, parsed from its vkey. */
export interface WitnessKey {
  name: string;
  /** Key ID as an unsigned 32-bit integer. */
  keyId: number;
  rawKey: Buffer;
  publicKey: KeyObject;
  /** The vkey text, `name+keyid+base64(0x04 ‖ key)`. */
  verifierKey: string;
}

/** A witness's signing key. */
export interface WitnessSigner extends WitnessKey {
  privateKey: KeyObject;
}

/** One verified cosignature. */
export interface Cosignature {
  /** The witness's vkey. */
  verifierKey: string;
  name: string;
  /** POSIX seconds the witness says it cosigned at. */
  timestamp: number;
  /** The signature line, newline included, ready to append to the checkpoint note. */
  line: string;
}

const invalid = (message: string): never => {
  throw new NoteError('invalid-key', message);
};
const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** Key ID for a cosignature/v1 Ed25519 key. */
export function cosignatureKeyId(name: string, rawPublicKey: Uint8Array): number {
  return createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Uint8Array.of(0x0a, COSIGNATURE_V1_ED25519))
    .update(rawPublicKey)
    .digest()
    .readUInt32BE(0);
}

function strictBase64(s: string): Buffer | null {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  const b = Buffer.from(s, 'base64');
  return b.toString('base64') === s ? b : null;
}

function rawPublic(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') invalid(`expected an Ed25519 key, got ${pub.asymmetricKeyType ?? pub.type}`);
  return Buffer.from(pub.export({ format: 'jwk' }).x ?? '', 'base64url');
}

function witnessKey(name: string, rawKey: Buffer): WitnessKey {
  const keyId = cosignatureKeyId(name, rawKey);
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: rawKey.toString('base64url') }, format: 'jwk' });
  const verifierKey = `${name}+${hex8(keyId)}+${Buffer.concat([Uint8Array.of(COSIGNATURE_V1_ED25519), rawKey]).toString('base64')}`;
  return { name, keyId, rawKey, publicKey, verifierKey };
}

/** `name+keyid+key` split where the name has no '+' and the id is hex (the base64 may hold '+'). */
function splitKey(s: string, what: string): { name: string; idHex: string; key: Buffer } {
  const p1 = s.indexOf('+');
  const p2 = s.indexOf('+', p1 + 1);
  if (p1 < 0 || p2 < 0) invalid(`malformed ${what}: want name+keyid+key`);
  const name = s.slice(0, p1);
  const idHex = s.slice(p1 + 1, p2);
  if (!isValidKeyName(name)) invalid(`malformed ${what}: invalid key name ${JSON.stringify(name)}`);
  if (!/^[0-9a-f]{8}$/.test(idHex)) invalid(`malformed ${what}: key ID must be 8 lowercase hex digits`);
  const key = strictBase64(s.slice(p2 + 1));
  if (key === null || key.length !== 33) invalid(`malformed ${what}: key must be base64 of 33 bytes`);
  if (key![0] !== COSIGNATURE_V1_ED25519) {
    invalid(`${what} has signature type 0x${key![0]!.toString(16).padStart(2, '0')}; a cosignature/v1 Ed25519 key has type 0x04`);
  }
  return { name, idHex, key: key!.subarray(1) };
}

/** Parses a witness vkey; throws NoteError('invalid-key') naming the defect. */
export function parseWitnessKey(text: string): WitnessKey {
  const { name, idHex, key } = splitKey(text, 'witness key');
  const parsed = witnessKey(name, key);
  if (hex8(parsed.keyId) !== idHex) invalid('witness key ID does not match its name and key');
  return { ...parsed, verifierKey: text };
}

/** A new witness signing key named `name`, in the note private key format with type 0x04. */
export function generateWitnessKey(name: string): string {
  if (!isValidKeyName(name)) invalid(`invalid witness name ${JSON.stringify(name)}: must be non-empty with no spaces or '+'`);
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
  const keyId = cosignatureKeyId(name, rawPublic(privateKey));
  return `${PRIVATE_PREFIX}${name}+${hex8(keyId)}+${Buffer.concat([Uint8Array.of(COSIGNATURE_V1_ED25519), seed]).toString('base64')}`;
}

/** Parses a witness signing key; never echoes the key in an error. */
export function parseWitnessSigner(text: string): WitnessSigner {
  if (!text.startsWith(PRIVATE_PREFIX)) invalid(`malformed witness signing key: must start with ${PRIVATE_PREFIX}`);
  const { name, idHex, key } = splitKey(text.slice(PRIVATE_PREFIX.length), 'witness signing key');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, key]), format: 'der', type: 'pkcs8' });
  const parsed = witnessKey(name, rawPublic(privateKey));
  if (hex8(parsed.keyId) !== idHex) invalid('witness signing key ID does not match its name and key');
  return { ...parsed, privateKey };
}

/** The message a cosignature signs: `cosignature/v1\ntime <t>\n` then the checkpoint body. */
export function cosignatureMessage(checkpointBody: string, timestamp: number | bigint): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${BigInt(timestamp).toString()}\n${checkpointBody}`, 'utf8');
}

/** Cosigns a checkpoint body (note text, final newline included): the signature line to answer. */
export function cosignCheckpoint(checkpointBody: string, signer: WitnessSigner, timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`cosignature timestamp ${timestamp} is not a non-negative integer`);
  if (!checkpointBody.endsWith('\n')) throw new NoteError('malformed', 'checkpoint body must end with a newline');
  const signature = sign(null, cosignatureMessage(checkpointBody, timestamp), signer.privateKey);
  const blob = Buffer.alloc(COSIGNATURE_BYTES);
  blob.writeUInt32BE(signer.keyId, 0);
  blob.writeBigUInt64BE(BigInt(timestamp), 4);
  signature.copy(blob, 12);
  return `${SIG_PREFIX}${signer.name} ${blob.toString('base64')}\n`;
}

/** A signature line, split but not verified. */
export interface SignatureLine {
  name: string;
  /** Key ID / key hash: the first 4 bytes of the signature. */
  keyId: number;
  blob: Buffer;
  line: string;
}

/** Splits a signed note into its text (final newline included) and signature lines; throws NoteError('malformed'). */
export function splitSignedNote(note: string): { text: string; signatures: SignatureLine[] } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed', 'malformed note: no blank line before signatures');
  const block = note.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) throw new NoteError('malformed', 'malformed note: signature block missing or not newline-terminated');
  return { text: note.slice(0, split + 1), signatures: parseSignatureLines(block) };
}

/** Parses newline-terminated signature lines (a witness's answer, or a note's signature block). */
export function parseSignatureLines(block: string): SignatureLine[] {
  if (block.length === 0 || !block.endsWith('\n')) throw new NoteError('malformed', 'signature lines must end with a newline');
  return block
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const fail = (why: string): never => {
        throw new NoteError('malformed', `signature line ${i + 1}: ${why}`);
      };
      const { name, blob } = readSignatureLine(line, fail);
      return { name, keyId: blob.readUInt32BE(0), blob, line: `${line}\n` };
    });
}

/** Why a cosignature by a listed witness was refused. */
export interface CosignatureProblem {
  verifierKey: string;
  problem: string;
}

/**
 * Checks the cosignatures on a note by the listed witnesses. Lines by other keys are ignored (the
 * log's own signature among them). A listed witness's line that does not verify, or is dated more
 * than `maxFutureSeconds` ahead of `now`, is a problem; each witness counts once.
 */
export function verifyCosignatures(
  note: string,
  witnesses: readonly WitnessKey[],
  options: { now?: number; maxFutureSeconds?: number } = {},
): { text: string; cosignatures: Cosignature[]; problems: CosignatureProblem[] } {
  const { text, signatures } = splitSignedNote(note);
  return { text, ...checkCosignatureLines(text, signatures, witnesses, options) };
}

/** As verifyCosignatures, for lines already split from a note (or answered by a witness) over `text`. */
export function checkCosignatureLines(
  text: string,
  signatures: readonly SignatureLine[],
  witnesses: readonly WitnessKey[],
  options: { now?: number; maxFutureSeconds?: number } = {},
): { cosignatures: Cosignature[]; problems: CosignatureProblem[] } {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const maxFuture = options.maxFutureSeconds ?? 600;
  const cosignatures: Cosignature[] = [];
  const problems: CosignatureProblem[] = [];
  const done = new Set<string>();
  for (const sig of signatures) {
    const key = witnesses.find((w) => w.name === sig.name && w.keyId === sig.keyId);
    if (key === undefined || done.has(key.verifierKey)) continue;
    const refuse = (problem: string) => problems.push({ verifierKey: key.verifierKey, problem: `${key.name}+${hex8(key.keyId)}: ${problem}` });
    if (sig.blob.length !== COSIGNATURE_BYTES) {
      refuse(`cosignature is ${sig.blob.length} bytes, not ${COSIGNATURE_BYTES}`);
      continue;
    }
    const timestamp = sig.blob.readBigUInt64BE(4);
    if (timestamp > MAX_TIMESTAMP) {
      refuse('cosignature timestamp exceeds 2^63-1');
      continue;
    }
    if (!verify(null, cosignatureMessage(text, timestamp), key.publicKey, sig.blob.subarray(12))) {
      refuse('cosignature does not verify');
      continue;
    }
    if (timestamp > BigInt(now + maxFuture)) {
      refuse(`cosignature is dated ${timestamp}, in the future`);
      continue;
    }
    done.add(key.verifierKey);
    cosignatures.push({ verifierKey: key.verifierKey, name: key.name, timestamp: Number(timestamp), line: sig.line });
  }
  return { cosignatures, problems };
}
