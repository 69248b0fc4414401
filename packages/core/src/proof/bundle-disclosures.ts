/**
 * The personal-data check of `verifyBundle`: each disclosure in disclosures.json opens the
 * commitment it is filed under, and some event holds that commitment.
 *
 * A bundle can hold tens of thousands of disclosures, so the file is first read as the builder
 * lays it out, one `"<commitment>":{"salt":"<hex>","value":<value>}` per line: when a value's text
 * is already canonical JSON (the byte scanner decides), SHA-256(salt ‖ JCS(value)) is the hash of
 * the salt and that text, with no parsing or re-serialising. Any other layout, and any value that
 * is not canonical as written, goes to the general path (JSON.parse, then `commitTo`'s definition),
 * which gives the same verdicts and explains what is wrong.
 */
import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { canonicalJson, type Json } from '../canonical.js';
import type { EventFacts } from './bundle-events.js';
import type { CheckRecorder } from './bundle-report.js';
import { DISCLOSURES_FILE } from './bundle.js';
import { bytesAt, canonicalValueEnd } from './canonical-scan.js';
import { HashInput } from './hash-input.js';
import { nativeAddon } from './native-addon.js';
import { NO_PREFIX, hashSpans } from './sha256-batch.js';
import { duplicateKey, inexactNumber } from './json-duplicates.js';

const SALT_HEX = /^(?:[0-9a-f]{2})+$/;
const SURROGATE = /[\ud800-\udfff]/;

/** Reused input for commitment hashes (salt ‖ canonical value); grown when a value is larger. */
const commitmentInput = new HashInput(4096);

/**
 * The same as `commitTo` (timeline/personal-data.ts), faster for the usual disclosed value, a
 * string: its canonical form is JSON.stringify's unless it holds a surrogate (canonicalJson then
 * decides, and refuses lone ones).
 */
export function commitmentFor(value: Json, salt: string): string {
  const scalar = value === null || typeof value === 'boolean' || (typeof value === 'string' && !SURROGATE.test(value));
  const canonical = scalar ? JSON.stringify(value) : canonicalJson(value);
  const input = commitmentInput.ofSize(salt.length / 2 + Buffer.byteLength(canonical, 'utf8'));
  const saltBytes = input.write(salt, 0, 'hex');
  const valueBytes = input.write(canonical, saltBytes, 'utf8');
  return hash('sha256', commitmentInput.view(saltBytes + valueBytes), 'hex');
}

const MISMATCH = 'value and salt do not match the commitment';

/** One disclosure's commitment, and why it does not open (undefined when it does). */
interface Opened {
  commitment: string;
  problem: string | undefined;
}

const LINE_START = Buffer.from('"');
const SALT_START = Buffer.from('":{"salt":"');
const VALUE_START = Buffer.from('","value":');
const FIRST_LINE = Buffer.from('{\n');
const NEXT_LINE = Buffer.from('},\n');
const LAST_LINE = Buffer.from('}\n}\n');
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let d = 0; d < 16; d++) HEX_VALUE['0123456789abcdef'.charCodeAt(d)] = d;

/** The end of the run of lower-case hex digits at `i`. */
function hexEnd(bytes: Buffer, i: number): number {
  while (HEX_VALUE[bytes[i]!]! >= 0) i++;
  return i;
}

/**
 * The inputs of the commitments disclosures.json opens, salt ‖ value each, written one after
 * another into one buffer to be hashed in one batch (sha256-batch.ts), and where each one's
 * commitment stands in the file.
 */
class CommitmentInputs {
  /** Never longer than the file: a salt's bytes take half its hex digits, a value as many as its text. */
  readonly #inputs: Buffer;
  #bounds: Int32Array;
  #keys: Int32Array;
  #count = 0;
  #end = 0;

  constructor(private readonly file: Buffer) {
    this.#inputs = Buffer.allocUnsafe(file.length);
    this.#bounds = new Int32Array(64);
    this.#keys = new Int32Array(32);
  }

  /** Adds the input of the salt (hex text at [saltStart, saltEnd)) and the value at [valueStart, valueEnd); its commitment's hex digits are at `key`. */
  add(key: number, saltStart: number, saltEnd: number, valueStart: number, valueEnd: number): void {
    const bytes = this.file;
    const input = this.#inputs;
    if (this.#count === this.#keys.length) {
      this.#keys = grown(this.#keys);
      this.#bounds = grown(this.#bounds);
    }
    const start = this.#end;
    let at = start;
    for (let k = saltStart; k < saltEnd; k += 2) input[at++] = HEX_VALUE[bytes[k]!]! * 16 + HEX_VALUE[bytes[k + 1]!]!;
    at += bytes.copy(input, at, valueStart, valueEnd);
    this.#bounds[2 * this.#count] = start;
    this.#bounds[2 * this.#count + 1] = at;
    this.#keys[this.#count++] = key;
    this.#end = at;
  }

  /** Each disclosure added, in order, with whether its input's SHA-256 is the commitment it is filed under. */
  opened(): Opened[] {
    return openedFrom(this.file, this.#keys, this.#inputs, this.#bounds, this.#count);
  }
}

/**
 * The disclosures whose commitments' 64 hex digits stand at keys[0..count) of `file`, each opening
 * its commitment when the SHA-256 of its input, inputs[bounds[2k], bounds[2k + 1]), is those digits.
 * The inputs are hashed in one batch.
 */
function openedFrom(file: Buffer, keys: Int32Array, inputs: Buffer, bounds: Int32Array, count: number): Opened[] {
  const digests = Buffer.allocUnsafe(64 * count);
  hashSpans(inputs, bounds.subarray(0, 2 * count), NO_PREFIX, digests, true);
  const opened: Opened[] = [];
  for (let k = 0; k < count; k++) {
    const key = keys[k]!;
    opened.push({ commitment: file.toString('latin1', key, key + 64), problem: file.compare(digests, 64 * k, 64 * k + 64, key, key + 64) === 0 ? undefined : MISMATCH });
  }
  return opened;
}

function grown(values: Int32Array): Int32Array {
  const more = new Int32Array(2 * values.length);
  more.set(values);
  return more;
}

/** The 64 hex digits at `a` sort before those at `b`. */
function hexBefore(bytes: Buffer, a: number, b: number): boolean {
  for (let k = 0; k < 64; k++) if (bytes[a + k] !== bytes[b + k]) return bytes[a + k]! < bytes[b + k]!;
  return false;
}

/**
 * Reads disclosures.json laid out exactly as the builder writes it: canonical values, and the
 * commitments in increasing order, so none is given twice (JSON.parse would keep only the last).
 * Undefined for anything else. The caller has checked that the bytes are UTF-8.
 */
function readDisclosuresFast(bytes: Buffer): Opened[] | undefined {
  if (!bytesAt(bytes, 0, FIRST_LINE)) return undefined;
  const inputs = new CommitmentInputs(bytes);
  let previous = -1;
  for (let i = FIRST_LINE.length; ; ) {
    const keyEnd = i + 1 + 64;
    if (!bytesAt(bytes, i, LINE_START) || hexEnd(bytes, i + 1) !== keyEnd || !bytesAt(bytes, keyEnd, SALT_START)) return undefined;
    if (previous >= 0 && !hexBefore(bytes, previous, i + 1)) return undefined;
    previous = i + 1;
    const saltStart = keyEnd + SALT_START.length;
    const saltEnd = hexEnd(bytes, saltStart);
    if (saltEnd === saltStart || (saltEnd - saltStart) % 2 !== 0 || !bytesAt(bytes, saltEnd, VALUE_START)) return undefined;
    const valueStart = saltEnd + VALUE_START.length;
    const valueEnd = canonicalValueEnd(bytes, valueStart);
    if (valueEnd < 0) return undefined;
    inputs.add(i + 1, saltStart, saltEnd, valueStart, valueEnd);
    if (valueEnd + LAST_LINE.length === bytes.length && bytesAt(bytes, valueEnd, LAST_LINE)) return inputs.opened();
    if (!bytesAt(bytes, valueEnd, NEXT_LINE)) return undefined;
    i = valueEnd + NEXT_LINE.length;
  }
}

/** The shortest line of the builder's layout: `"<64 hex>":{"salt":"<2 hex>","value":0},`. */
const SHORTEST_LINE = 1 + 64 + SALT_START.length + 2 + VALUE_START.length + 1 + NEXT_LINE.length;

/**
 * readDisclosuresFast's reading through the native addon (native/disclosures.c), where it is built:
 * it places each commitment and writes each input (salt ‖ value text) for the layout the builder
 * writes with values of the plainest canonical form, and gives up on anything else, which
 * readDisclosuresFast then reads. The inputs are hashed and compared here.
 */
function readDisclosuresNatively(bytes: Buffer): Opened[] | undefined {
  const native = nativeAddon();
  if (native === undefined) return undefined;
  const capacity = Math.floor(bytes.length / SHORTEST_LINE) + 1;
  const keys = new Int32Array(capacity);
  const bounds = new Int32Array(2 * capacity);
  const inputs = Buffer.allocUnsafe(bytes.length);
  const count = native.readDisclosures(bytes, keys, inputs, bounds);
  return count < 0 ? undefined : openedFrom(bytes, keys, inputs, bounds, count);
}

function parseDisclosures(bytes: Buffer): Record<string, unknown> | string {
  if (!isUtf8(bytes)) return 'not UTF-8 text';
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  const duplicate = duplicateKey(bytes.toString('utf8'));
  if (duplicate !== undefined) return `the key ${JSON.stringify(duplicate)} is given twice`;
  const number = inexactNumber(bytes.toString('utf8'));
  if (number !== undefined) return `the number ${JSON.stringify(number.slice(0, 40))} is not exactly the integer JSON.parse reads it as (readers that keep every digit would show another value than the one committed to)`;
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : 'not a JSON object';
}

/** Why a disclosure does not open its commitment, or undefined when it does. */
function disclosureProblem(commitment: string, entry: unknown): string | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return 'not an object with salt and value';
  const { salt, value } = entry as { salt?: unknown; value?: unknown };
  if (typeof salt !== 'string' || !SALT_HEX.test(salt) || value === undefined || Object.keys(entry).length !== 2) {
    return 'must hold exactly a hex salt and a value';
  }
  // A match also shows the commitment is well formed: the computed one is 64 lower-case hex digits.
  try {
    return commitmentFor(value as Json, salt) === commitment ? undefined : MISMATCH;
  } catch {
    return 'value cannot be canonicalised (floats are not allowed)';
  }
}

/** Each disclosure's commitment and its problem; a problem with the whole file instead. */
function openDisclosures(bytes: Buffer | undefined): Opened[] | string {
  if (bytes === undefined) return [];
  // Both fast readings take the file's bytes as UTF-8: checked once, here.
  const fast = isUtf8(bytes) ? (readDisclosuresNatively(bytes) ?? readDisclosuresFast(bytes)) : undefined;
  if (fast !== undefined) return fast;
  const parsed = parseDisclosures(bytes);
  if (typeof parsed === 'string') return parsed;
  return Object.keys(parsed).map((commitment) => ({ commitment, problem: disclosureProblem(commitment, parsed[commitment]) }));
}

/**
 * The first seven hex digits of a commitment as a number: a small integer, so no allocation. Any
 * other text gives some number too; equal texts always give the same one.
 */
function prefixOf(commitment: string): number {
  let n = 0;
  for (let k = 0; k < 7; k++) n = n * 16 + HEX_VALUE[commitment.charCodeAt(k) & 0xff]!;
  return n;
}

/**
 * The commitments the events hold, found by their first seven hex digits and then compared whole:
 * a set of the 64-character strings costs three times more, since each one's hash is computed over
 * every character. Commitments that share a prefix with another (by chance, or made to) are kept in
 * a set of strings.
 */
class Commitments {
  readonly #byPrefix = new Map<number, string>();
  #sharingAPrefix: Set<string> | undefined;
  size = 0;

  add(commitment: string): void {
    const prefix = prefixOf(commitment);
    const known = this.#byPrefix.get(prefix);
    if (known === undefined) {
      this.#byPrefix.set(prefix, commitment);
      this.size++;
    } else if (known !== commitment) {
      const more = (this.#sharingAPrefix ??= new Set());
      if (!more.has(commitment)) this.size++;
      more.add(commitment);
    }
  }

  has(commitment: string): boolean {
    const known = this.#byPrefix.get(prefixOf(commitment));
    return known === commitment || (known !== undefined && this.#sharingAPrefix?.has(commitment) === true);
  }
}

export function checkDisclosures(files: ReadonlyMap<string, Buffer>, events: readonly EventFacts[], check: CheckRecorder): void {
  const committed = new Commitments();
  // Indexed loops, as in checkBlobs: an unoptimised for-of allocates a result per element.
  for (let i = 0; i < events.length; i++) {
    const commitments = events[i]!.commitments;
    for (let k = 0; k < commitments.length; k++) committed.add(commitments[k]!);
  }
  const disclosures = openDisclosures(files.get(DISCLOSURES_FILE));
  if (typeof disclosures === 'string') {
    check.fail(`${DISCLOSURES_FILE}: ${disclosures}`);
    return check.finish('');
  }
  let disclosed = 0;
  for (let i = 0; i < disclosures.length; i++) {
    const { commitment, problem: opening } = disclosures[i]!;
    const problem = opening ?? (committed.has(commitment) ? undefined : 'no event commits to this value');
    if (problem !== undefined) check.fail(`${DISCLOSURES_FILE}: ${commitment}: ${problem}`);
    else disclosed++;
  }
  // Each disclosed value matched a distinct commitment that some event holds; the others are withheld.
  const withheld = committed.size - disclosed;
  if (withheld > 0) {
    check.notice(`${withheld} personal-data value${withheld === 1 ? ' is' : 's are'} committed to but not disclosed (erased, or not shown to you); the hashes still verify`);
  }
  check.finish(`${disclosed === 1 ? '1 disclosed value matches its commitment' : `${disclosed} disclosed values match their commitments`}${withheld > 0 ? `, ${withheld} not disclosed` : ''}`);
}
