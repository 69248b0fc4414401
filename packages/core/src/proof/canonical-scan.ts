/**
 * One pass over UTF-8 JSON bytes that decides whether they are exactly what `canonicalJson`
 * (RFC 8785, integers only) produces, without decoding or building the value. The offline
 * verifier runs it on every event of a case; JSON.parse followed by re-serialisation costs
 * several times more than this scan.
 *
 * Canonical means: valid UTF-8; no white space outside strings; object keys strictly increasing
 * in UTF-16 code unit order (so no duplicates); strings escaped exactly as JSON.stringify escapes
 * them (", \ and control characters only: \b \t \n \f \r, other controls as lower-case \u00xx;
 * everything else raw); no lone surrogate (canonicalJson refuses them, and valid UTF-8 cannot hold
 * one raw); numbers are safe integers with no leading zero, fraction, exponent or negative zero.
 */
import { isUtf8 } from 'node:buffer';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;
const LETTER_U = 0x75;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** Escape letters JSON.stringify uses besides u: " \ b t n f r. */
const SHORT_ESCAPES = new Set([QUOTE, BACKSLASH, 0x62, 0x74, 0x6e, 0x66, 0x72]);
/** Control characters with a short escape, which therefore may not be written \u00xx. */
const SHORT_ESCAPED_CONTROLS = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);
/** Bytes a string holds as they are: not '"', '\\' or a control character (bytes ≥ 0x80 are checked UTF-8). */
const PLAIN_IN_STRING = new Uint8Array(256).fill(1);
for (let c = 0; c < 0x20; c++) PLAIN_IN_STRING[c] = 0;
PLAIN_IN_STRING[QUOTE] = 0;
PLAIN_IN_STRING[BACKSLASH] = 0;
const LETTER_T = 0x74;
const LETTER_F = 0x66;
const LETTER_N = 0x6e;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= DIGIT_0 && c <= DIGIT_9;
const isLowerHex = (c: number | undefined): boolean => isDigit(c) || (c !== undefined && c >= 0x61 && c <= 0x66);

/** Receives each member of a scanned object: its quoted key's span and its value's span. */
type MemberSink = (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => void;

class Scanner {
  pos = 0;
  constructor(public b: Buffer) {}

  value(): boolean {
    const c = this.b[this.pos];
    if (c === QUOTE) return this.string() !== undefined;
    if (c === OPEN_OBJECT) return this.object();
    if (c === OPEN_ARRAY) return this.array();
    if (c === LETTER_T) return this.literal(TRUE);
    if (c === LETTER_F) return this.literal(FALSE);
    if (c === LETTER_N) return this.literal(NULL);
    return this.number();
  }

  /** Scans an object; `onMember` sees each member. Keys are kept as offsets, not objects: this runs per key. */
  object(onMember?: MemberSink): boolean {
    const b = this.b;
    if (b[++this.pos] === CLOSE_OBJECT) {
      this.pos++;
      return true;
    }
    let previousStart = -1;
    let previousEnd = -1;
    let previousEscaped = false;
    for (;;) {
      if (b[this.pos] !== QUOTE) return false;
      const start = this.pos;
      const escaped = this.string();
      if (escaped === undefined) return false;
      if (previousStart >= 0 && !this.ascending(previousStart, previousEnd, previousEscaped, start, this.pos, escaped)) return false;
      previousStart = start;
      previousEnd = this.pos;
      previousEscaped = escaped;
      if (b[this.pos++] !== COLON) return false;
      const valueStart = this.pos;
      if (!this.value()) return false;
      onMember?.(start, previousEnd, valueStart, this.pos);
      const next = b[this.pos++];
      if (next === CLOSE_OBJECT) return true;
      if (next !== COMMA) return false;
    }
  }

  array(): boolean {
    const b = this.b;
    if (b[++this.pos] === CLOSE_ARRAY) {
      this.pos++;
      return true;
    }
    for (;;) {
      if (!this.value()) return false;
      const next = b[this.pos++];
      if (next === CLOSE_ARRAY) return true;
      if (next !== COMMA) return false;
    }
  }

  /** Scans the string at `pos`: undefined if not canonical, else whether it holds an escape. */
  string(): boolean | undefined {
    const b = this.b;
    let i = this.pos + 1;
    let escaped = false;
    for (;;) {
      while (PLAIN_IN_STRING[b[i]!] === 1) i++; // most bytes: one table look-up each
      const c = b[i];
      if (c === QUOTE) break;
      if (c === undefined || c < 0x20) return undefined; // the bytes ended, or a raw control character
      if (c === BACKSLASH) {
        i = this.escape(i);
        if (i < 0) return undefined;
        escaped = true;
      } else {
        i++; // bytes ≥ 0x80 are parts of valid UTF-8 sequences, written raw by JSON.stringify
      }
    }
    this.pos = i + 1;
    return escaped;
  }

  /** Index after the canonical escape at `i`, or -1. Only controls without a short form use \u. */
  escape(i: number): number {
    const b = this.b;
    const letter = b[i + 1]!;
    if (SHORT_ESCAPES.has(letter)) return i + 2;
    if (letter !== LETTER_U || b[i + 2] !== DIGIT_0 || b[i + 3] !== DIGIT_0) return -1;
    const high = b[i + 4];
    if ((high !== DIGIT_0 && high !== DIGIT_1) || !isLowerHex(b[i + 5])) return -1;
    const code = Number.parseInt(String.fromCharCode(high, b[i + 5]!), 16);
    return SHORT_ESCAPED_CONTROLS.has(code) ? -1 : i + 6;
  }

  number(): boolean {
    const b = this.b;
    const start = this.pos;
    let i = start;
    if (b[i] === MINUS) i++;
    const first = b[i];
    if (!isDigit(first) || (first === DIGIT_0 && i > start)) return false; // no digit, or -0
    i++;
    if (first !== DIGIT_0) while (isDigit(b[i])) i++;
    this.pos = i;
    // A fraction or exponent leaves '.', 'e' or 'E' at pos, which no caller accepts.
    return i - start < 16 || Number.isSafeInteger(Number(b.toString('latin1', start, i)));
  }

  literal(word: Buffer): boolean {
    if (!bytesAt(this.b, this.pos, word)) return false;
    this.pos += word.length;
    return true;
  }

  /** The key at [bStart, bEnd) sorts after the key at [aStart, aEnd) in UTF-16 code unit order. */
  ascending(aStart: number, aEnd: number, aEscaped: boolean, bStart: number, bEnd: number, bEscaped: boolean): boolean {
    if (aEscaped || bEscaped) return this.decode(aStart, aEnd) < this.decode(bStart, bEnd);
    const bytes = this.b;
    const lenA = aEnd - aStart - 2;
    const lenB = bEnd - bStart - 2;
    for (let k = 1; k <= lenA && k <= lenB; k++) {
      const x = bytes[aStart + k]!;
      const y = bytes[bStart + k]!;
      if (x === y) continue;
      // Byte order is UTF-16 order for ASCII. Beyond it supplementary characters sort differently
      // (U+10000 > U+FFFF in UTF-8, but its surrogate 0xD800 < 0xFFFF in UTF-16), so decode.
      return x < 0x80 && y < 0x80 ? x < y : this.decode(aStart, aEnd) < this.decode(bStart, bEnd);
    }
    return lenA < lenB; // one is a prefix of the other; equal keys are a duplicate
  }

  /** The key whose quoted text is at [start, end). */
  decode(start: number, end: number): string {
    return JSON.parse(this.b.toString('utf8', start, end)) as string;
  }
}

/** `bytes` holds `word` at `offset`. A loop: Buffer#compare's native call costs more on a few bytes. */
export function bytesAt(bytes: Uint8Array, offset: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (bytes[offset + k] !== word[k]) return false;
  return true;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Runs `run` over all of the scanner's bytes from the first: false when they are not UTF-8 (unless
 * the caller checked that already), the run fails, or bytes are left over.
 */
function scanAll(scanner: Scanner, run: (scanner: Scanner) => boolean, utf8 = false): boolean {
  if (!utf8 && !isUtf8(scanner.b)) return false;
  scanner.pos = 0;
  try {
    return run(scanner) && scanner.pos === scanner.b.length;
  } catch {
    return false; // nesting deep enough to exhaust the stack: far beyond anything Latch writes
  }
}

/** True when `bytes` are the UTF-8 of exactly `canonicalJson(JSON.parse(text))`. */
export function isCanonicalJson(bytes: Uint8Array): boolean {
  return scanAll(new Scanner(asBuffer(bytes)), (s) => s.value());
}

/** One scanner for canonicalValueEnd, which runs once per disclosure: synchronous, so never used twice at once. */
const NOTHING = Buffer.alloc(0);
const valueScanner = new Scanner(NOTHING);

/**
 * Where the canonical JSON value starting at `start` ends, or -1 when there is none. The caller
 * has checked that `bytes` are valid UTF-8 (once, for all the values it reads from them).
 */
export function canonicalValueEnd(bytes: Buffer, start: number): number {
  const scanner = valueScanner;
  scanner.b = bytes;
  scanner.pos = start;
  try {
    return scanner.value() ? scanner.pos : -1;
  } catch {
    return -1; // nesting deep enough to exhaust the stack
  } finally {
    scanner.b = NOTHING; // not keeping the caller's file alive
  }
}

/**
 * Where each expected top-level member's value is, by position in the key list: bytes
 * [start[i], end[i]), or start[i] = -1 when absent. Keys not in the list, by name.
 */
export interface ObjectScan {
  start: Int32Array;
  end: Int32Array;
  /** start then end, in one array (start and end are views of it): copied at once. */
  spans: Int32Array;
  unexpected: string[];
}

/** An empty scan of an object with `count` expected keys. */
export function objectScan(count: number): ObjectScan {
  const spans = new Int32Array(2 * count).fill(-1);
  return { start: spans.subarray(0, count), end: spans.subarray(count), spans, unexpected: [] };
}

/**
 * Reads canonical JSON objects with a known set of (ASCII) top-level keys, e.g. event bodies.
 * One reader reads many objects, so its result is reused: a scan holds until the next `read`.
 */
export class CanonicalObjectReader {
  readonly #keys: Buffer[];
  /**
   * The first key that could be a member's, by quoted length and first character (-1: none), and
   * the next candidate after each key: typed arrays, dense, as they are consulted per member.
   */
  readonly #first: Int16Array;
  readonly #next: Int16Array;
  readonly #scan: ObjectScan;
  /** Where the read in progress writes each key's start (at #base + i) and end (at #base + keys + i). */
  #target: Int32Array;
  #base = 0;
  readonly #scanner = new Scanner(Buffer.alloc(0));
  readonly #onMember: MemberSink = (keyStart, keyEnd, valueStart, valueEnd) => {
    const b = this.#scanner.b;
    const slot = (keyEnd - keyStart) * 256 + b[keyStart + 1]!;
    for (let i = slot < this.#first.length ? this.#first[slot]! : -1; i >= 0; i = this.#next[i]!) {
      if (!bytesAt(b, keyStart, this.#keys[i]!)) continue;
      this.#target[this.#base + i] = valueStart;
      this.#target[this.#base + this.#keys.length + i] = valueEnd;
      return;
    }
    this.#scan.unexpected.push(JSON.parse(b.toString('utf8', keyStart, keyEnd)) as string);
  };
  /** The keys are given in canonical order: an object of them can be read in step with the list (#readInOrder). */
  readonly #inOrder: boolean;
  readonly #object = (scanner: Scanner): boolean => {
    if (this.#inOrder && this.#readInOrder()) return true;
    this.#target.fill(-1, this.#base, this.#base + 2 * this.#keys.length);
    scanner.pos = 0;
    return scanner.b[0] === OPEN_OBJECT && scanner.object(this.#onMember);
  };

  constructor(keys: readonly string[]) {
    this.#keys = keys.map((k) => Buffer.from(JSON.stringify(k)));
    this.#inOrder = keys.every((k, i) => i === 0 || keys[i - 1]! < k);
    this.#first = new Int16Array(256 * (Math.max(0, ...this.#keys.map((k) => k.length)) + 1)).fill(-1);
    this.#next = new Int16Array(keys.length).fill(-1);
    // Chained last to first, so a slot's first candidate is the earliest key.
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = this.#keys[i]!;
      const slot = k.length * 256 + (k[1] ?? 0);
      this.#next[i] = this.#first[slot]!;
      this.#first[slot] = i;
    }
    this.#scan = objectScan(keys.length);
    this.#target = this.#scan.spans;
  }

  /**
   * The usual object, read in step with the keys: each member is one of the keys after the last
   * one found, its quoted name and ':' matched as bytes where they stand, so that canonical order
   * and no duplicate follow from the keys' order, with no key decoded, compared with the one
   * before or looked up. Values are scanned as the general reading scans them. False for anything
   * else (an unexpected or escaped key, a value that is not canonical): the general reading then
   * decides, and names what is wrong.
   */
  #readInOrder(): boolean {
    const scanner = this.#scanner;
    const b = scanner.b;
    const keys = this.#keys;
    const target = this.#target;
    const starts = this.#base;
    const ends = starts + keys.length;
    if (b[0] !== OPEN_OBJECT) return false;
    if (b[1] === CLOSE_OBJECT) {
      scanner.pos = 2;
      return true;
    }
    let at = 1;
    for (let next = 0; ; ) {
      let i = next;
      while (i < keys.length && !(bytesAt(b, at, keys[i]!) && b[at + keys[i]!.length] === COLON)) i++;
      if (i === keys.length) return false;
      scanner.pos = at + keys[i]!.length + 1;
      target[starts + i] = scanner.pos;
      if (!scanner.value()) return false;
      target[ends + i] = scanner.pos;
      next = i + 1;
      const c = b[scanner.pos++];
      if (c === CLOSE_OBJECT) return true;
      if (c !== COMMA) return false;
      at = scanner.pos;
    }
  }

  /**
   * The member spans, or undefined when the bytes are not a canonical JSON object. `utf8`: the
   * caller has checked that the bytes are UTF-8 (once for a whole file of them, say).
   */
  read(bytes: Uint8Array, utf8 = false): ObjectScan | undefined {
    return this.readInto(bytes, utf8, this.#scan.spans, 0) ? this.#scan : undefined;
  }

  /**
   * Reads as `read` does, writing each key's value span into `target` instead: its start at
   * `base + i`, its end at `base + keys + i` (-1 when absent), for a caller that keeps the spans of
   * many objects in one array. False when the bytes are not a canonical JSON object. The keys found
   * that are not expected are in `unexpected` until the next read.
   */
  readInto(bytes: Uint8Array, utf8: boolean, target: Int32Array, base: number): boolean {
    this.#target = target;
    this.#base = base;
    target.fill(-1, base, base + 2 * this.#keys.length);
    const unexpected = this.#scan.unexpected;
    if (unexpected.length > 0) unexpected.length = 0;
    this.#scanner.b = asBuffer(bytes);
    try {
      return scanAll(this.#scanner, this.#object, utf8);
    } finally {
      // Nothing of the caller's is kept past the read (a whole file's buffer, say).
      this.#target = this.#scan.spans;
      this.#scanner.b = NOTHING;
    }
  }

  /** The keys the last read found that are not expected. */
  get unexpected(): readonly string[] {
    return this.#scan.unexpected;
  }
}
