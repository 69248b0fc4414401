import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { ValidationError } from './errors.js';

/** A JSON value as Latch hashes it: no floats, no undefined, no NaN. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * RFC 8785 (JCS) canonical JSON. Refuses non-integer and unsafe numbers: amounts are integers in
 * minor units, and a float's text form is the one thing two JCS implementations may disagree on.
 */
export function canonicalJson(value: unknown): string {
  assertHashable(value, '$');
  const text = canonicalize(value);
  if (text === undefined) throw new ValidationError('Value cannot be canonicalised');
  return text;
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes, or of raw bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function assertHashable(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new ValidationError(`Only safe integers may be recorded (at ${path}); use minor units`, { path });
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertHashable(item, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) throw new ValidationError(`Undefined value at ${path}.${key}`, { path });
      assertHashable(item, `${path}.${key}`);
    }
    return;
  }
  throw new ValidationError(`Value of type ${typeof value} cannot be recorded (at ${path})`, { path });
}
