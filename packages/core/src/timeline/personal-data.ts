import { randomBytesPooled as randomBytes } from '../random.js';
import { canonicalJson, sha256Hex, type Json } from '../canonical.js';
import { ValidationError } from '../errors.js';

/**
 * Personal data never enters hashed event bytes in the clear. The event holds a salted commitment
 * `{"$pii": sha256(salt ‖ JCS(value))}`; the salt and value are kept beside it, per subject, so
 * erasing a subject (deleting salt and value) leaves every hash, chain and proof intact.
 */
export const PII_KEY = '$pii';

const marker = Symbol('latch.personal');

/** A value to be recorded as personal data of the event's subject. */
export interface Personal {
  readonly [marker]: true;
  readonly value: Json;
}

/** Marks `value` as personal data: the event will carry a commitment to it, not the value. */
export function personal(value: Json): Personal {
  return { [marker]: true, value };
}

export function isPersonal(value: unknown): value is Personal {
  return typeof value === 'object' && value !== null && marker in value;
}

/** What must be stored beside the event so the committed value can be disclosed and checked. */
export interface Disclosure {
  readonly commitment: string;
  readonly salt: string;
  readonly value: Json;
}

/** Commitment to a value under a salt (hex). Anyone holding salt and value can recompute it. */
export function commitTo(value: Json, saltHex: string): string {
  return sha256Hex(Buffer.concat([Buffer.from(saltHex, 'hex'), Buffer.from(canonicalJson(value), 'utf8')]));
}

/** Replaces every `personal()` marker by its commitment, collecting the disclosures. */
export function sealPersonalData(value: unknown, disclosures: Disclosure[]): Json {
  if (isPersonal(value)) {
    const salt = randomBytes(16).toString('hex');
    const commitment = commitTo(value.value, salt);
    disclosures.push({ commitment, salt, value: value.value });
    return { [PII_KEY]: commitment };
  }
  if (Array.isArray(value)) return value.map((item) => sealPersonalData(item, disclosures));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === PII_KEY) throw new ValidationError(`The key '${PII_KEY}' is reserved`);
      out[key] = sealPersonalData(item, disclosures);
    }
    return out;
  }
  return value as Json;
}

/** The commitment an event value stands for, if it is one. */
export function commitmentOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  const commitment = (value as Record<string, unknown>)[PII_KEY];
  return keys.length === 1 && typeof commitment === 'string' && /^[0-9a-f]{64}$/.test(commitment) ? commitment : undefined;
}

/**
 * Puts disclosed values back in place of their commitments, for presentation. A commitment with no
 * disclosure (erased, or not visible to the reader) becomes `{"erased": true}`.
 */
export function revealPersonalData(value: Json, disclosed: ReadonlyMap<string, Json>): Json {
  const commitment = commitmentOf(value);
  if (commitment !== undefined) return disclosed.has(commitment) ? disclosed.get(commitment)! : { erased: true };
  if (Array.isArray(value)) return value.map((item) => revealPersonalData(item, disclosed));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) out[key] = revealPersonalData(item, disclosed);
    return out;
  }
  return value;
}

/** Every commitment inside an event value. */
export function collectCommitments(value: Json, into: string[] = []): string[] {
  const commitment = commitmentOf(value);
  if (commitment !== undefined) into.push(commitment);
  else if (Array.isArray(value)) value.forEach((item) => collectCommitments(item, into));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((item) => collectCommitments(item, into));
  return into;
}
