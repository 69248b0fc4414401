/**
 * C2SP tlog-proof (https://c2sp.org/tlog-proof): an inclusion proof with its signed checkpoint,
 * verifiable offline. And Latch's own small text form for a consistency proof between two sizes.
 *
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64>]
 *   index <decimal>
 *   <base64 hash, leaf sibling first>   (zero or more)
 *   <empty line>
 *   <signed checkpoint note, verbatim>
 */
import { HASH_SIZE } from './merkle.js';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
export const CONSISTENCY_PROOF_HEADER = 'latch.dev/consistency-proof@v1';
/** A SHA-256 tree of at most 2^64 leaves has at most 64 proof hashes. */
const MAX_PROOF_HASHES = 64;

/** A tlog-proof or consistency-proof text is malformed; the message names the defect. */
export class TlogProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlogProofError';
  }
}

export interface TlogProof {
  index: number;
  proof: Buffer[];
  checkpoint: string;
  extra?: Buffer;
}

export interface ConsistencyProofText {
  oldSize: number;
  newSize: number;
  proof: Buffer[];
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const BASE64_DIGIT = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_DIGIT[c.charCodeAt(0)] = 1;
/** Digits whose low two bits are zero: the only ones that may end the base64 of 32 bytes. */
const LAST_DIGIT = new Uint8Array(128);
for (const c of 'AEIMQUYcgkosw048') LAST_DIGIT[c.charCodeAt(0)] = 1;

/**
 * True when `line` is the canonical base64 of a 32-byte hash: 42 digits, a digit with its low bits
 * zero, then '='. (A table loop: twice as fast as the equivalent regex, and verifiers call it per line.)
 */
export function isHashBase64(line: string): boolean {
  if (line.length !== 44 || line.charCodeAt(43) !== 0x3d || LAST_DIGIT[line.charCodeAt(42)] !== 1) return false;
  for (let i = 0; i < 42; i++) if (BASE64_DIGIT[line.charCodeAt(i)] !== 1) return false;
  return true;
}

function encodeHash(h: Uint8Array, what: string): string {
  if (h.length !== HASH_SIZE) throw new TlogProofError(`${what}: proof hashes must be ${HASH_SIZE} bytes, got ${h.length}`);
  return Buffer.from(h).toString('base64');
}

function decodeDecimal(text: string, what: string): number {
  if (!DECIMAL.test(text)) throw new TlogProofError(`${what} ${JSON.stringify(text)} is not a decimal integer without leading zeros`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new TlogProofError(`${what} ${text} is too large`);
  return n;
}

function decodeHashLines(lines: readonly string[], what: string): string[] {
  if (lines.length > MAX_PROOF_HASHES) throw new TlogProofError(`${what}: more than ${MAX_PROOF_HASHES} proof hashes`);
  lines.forEach((line, i) => {
    if (!isHashBase64(line)) throw new TlogProofError(`${what}: proof hash ${i + 1} is not canonical base64 of ${HASH_SIZE} bytes`);
  });
  return [...lines];
}

/** Formats a tlog-proof. `checkpoint` is the signed note exactly as the log issued it. */
export function formatTlogProof(p: { index: number; proof: readonly Uint8Array[]; checkpoint: string; extra?: Uint8Array }): string {
  if (!Number.isSafeInteger(p.index) || p.index < 0) throw new TlogProofError(`tlog-proof: index ${p.index} is not a non-negative integer`);
  if (p.proof.length > MAX_PROOF_HASHES) throw new TlogProofError(`tlog-proof: more than ${MAX_PROOF_HASHES} proof hashes`);
  if (!p.checkpoint.endsWith('\n')) throw new TlogProofError('tlog-proof: the checkpoint must end with a newline');
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra !== undefined) lines.push(`extra ${Buffer.from(p.extra).toString('base64')}`);
  lines.push(`index ${p.index}`, ...p.proof.map((h) => encodeHash(h, 'tlog-proof')));
  return `${lines.join('\n')}\n\n${p.checkpoint}`;
}

/** The tlog-proof lines before the checkpoint, hashes still in base64. */
interface TlogProofHeader {
  index: number;
  hashes: string[];
  extra?: string;
}

/** Parses the part of a tlog-proof before its empty line (without that line). Throws TlogProofError. */
function parseTlogProofHeader(header: string): TlogProofHeader {
  const lines = header.split('\n');
  if (lines[0] !== TLOG_PROOF_HEADER) throw new TlogProofError(`tlog-proof: first line must be ${TLOG_PROOF_HEADER}`);
  let next = 1;
  let extra: string | undefined;
  if (lines[next]?.startsWith('extra ')) {
    extra = lines[next]!.slice('extra '.length);
    if (Buffer.from(extra, 'base64').toString('base64') !== extra) throw new TlogProofError('tlog-proof: extra data is not canonical base64');
    next++;
  }
  const indexLine = lines[next] ?? '';
  if (!indexLine.startsWith('index ')) throw new TlogProofError(`tlog-proof: line ${next + 1} must be "index <n>"`);
  const index = decodeDecimal(indexLine.slice('index '.length), 'tlog-proof: index');
  const hashes = decodeHashLines(lines.slice(next + 1), 'tlog-proof');
  return extra === undefined ? { index, hashes } : { index, hashes, extra };
}

/** Parses a tlog-proof strictly; throws TlogProofError naming the first defect. */
export function parseTlogProof(text: string): TlogProof {
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw new TlogProofError('tlog-proof: no empty line before the checkpoint');
  const { index, hashes, extra } = parseTlogProofHeader(text.slice(0, blank));
  const checkpoint = text.slice(blank + 2);
  if (checkpoint.length === 0 || !checkpoint.endsWith('\n')) throw new TlogProofError('tlog-proof: the checkpoint is missing or does not end with a newline');
  const proof = hashes.map((h) => Buffer.from(h, 'base64'));
  return extra === undefined ? { index, proof, checkpoint } : { index, proof, checkpoint, extra: Buffer.from(extra, 'base64') };
}

/** Formats a Latch consistency proof between two tree sizes. */
export function formatConsistencyProof(p: { oldSize: number; newSize: number; proof: readonly Uint8Array[] }): string {
  checkSizes(p.oldSize, p.newSize);
  const lines = [CONSISTENCY_PROOF_HEADER, `old ${p.oldSize}`, `new ${p.newSize}`, ...p.proof.map((h) => encodeHash(h, 'consistency proof'))];
  return `${lines.join('\n')}\n`;
}

/** Parses a Latch consistency proof strictly; throws TlogProofError naming the first defect. */
export function parseConsistencyProof(text: string): ConsistencyProofText {
  if (!text.endsWith('\n')) throw new TlogProofError('consistency proof: must end with a newline');
  const [header, oldLine, newLine, ...rest] = text.slice(0, -1).split('\n');
  if (header !== CONSISTENCY_PROOF_HEADER) throw new TlogProofError(`consistency proof: first line must be ${CONSISTENCY_PROOF_HEADER}`);
  if (!oldLine?.startsWith('old ')) throw new TlogProofError('consistency proof: line 2 must be "old <size>"');
  if (!newLine?.startsWith('new ')) throw new TlogProofError('consistency proof: line 3 must be "new <size>"');
  const oldSize = decodeDecimal(oldLine.slice(4), 'consistency proof: old size');
  const newSize = decodeDecimal(newLine.slice(4), 'consistency proof: new size');
  checkSizes(oldSize, newSize);
  const proof = decodeHashLines(rest, 'consistency proof').map((h) => Buffer.from(h, 'base64'));
  return { oldSize, newSize, proof };
}

function checkSizes(oldSize: number, newSize: number): void {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 1 || oldSize > newSize) {
    throw new TlogProofError(`consistency proof: sizes must satisfy 0 < old ≤ new, got old ${oldSize}, new ${newSize}`);
  }
}
