/**
 * Many SHA-256 hashes at once, for the verifier's messages: events (their SHA-256, the `prev`
 * link), RFC 6962 leaves (0x00 ‖ event), RFC 6962 nodes (0x01 ‖ left ‖ right) and personal-data
 * commitments (salt ‖ value).
 *
 * node:crypto spends most of a call on set-up rather than on the two to eight blocks a bundle's
 * messages hold, and no call of it hashes several messages. So where it is built (packages/core/native,
 * at install), a small addon hashes a whole batch in one call with the SHA-256 of the OpenSSL Node
 * itself links. It chooses nothing: which bytes make each message, and what the digests mean, are
 * decided here and by the callers. Without it (no compiler at install, or LATCH_NATIVE=0),
 * the same batches are hashed through node:crypto, one call per message, with the same results.
 */
import { hash } from 'node:crypto';
import { writeLatin1Hash } from './batch-inclusion.js';
import { HashInput } from './hash-input.js';
import { nativeAddon } from './native-addon.js';

/** Which hashes the batches: `native` (the addon) or `node:crypto`. */
export function sha256Batcher(): 'native' | 'node:crypto' {
  return nativeAddon() === undefined ? 'node:crypto' : 'native';
}

/** The prefix byte of an RFC 6962 leaf; NO_PREFIX hashes the bytes alone. */
export const LEAF_PREFIX = 0x00;
export const NO_PREFIX = 256;

/** Reused for the node:crypto path: a message with its prefix byte, through views kept by length. */
const input = new HashInput(4096);

function prefixed(prefix: number, bytes: Buffer, start: number, end: number): Buffer {
  if (prefix === NO_PREFIX) return bytes.subarray(start, end);
  const buffer = input.ofSize(end - start + 1);
  buffer[0] = prefix;
  bytes.copy(buffer, 1, start, end);
  return input.view(end - start + 1);
}

/**
 * Hashes each span [bounds[2k], bounds[2k + 1]) of `bytes`, after the byte `prefix` unless it is
 * NO_PREFIX, into `out`: at 32k as bytes, or with `hex` at 64k as 64 lower-case hex digits.
 */
export function hashSpans(bytes: Buffer, bounds: Int32Array, prefix: number, out: Buffer, hex: boolean): void {
  const native = nativeAddon();
  if (native !== undefined) {
    if (!native.hashSpans(bytes, bounds, prefix, out, hex ? 1 : 0)) throw new RangeError('hashSpans: a span or the output is outside its buffer');
    return;
  }
  const size = hex ? 64 : 32;
  let inside = bounds.length % 2 === 0 && out.length >= (size * bounds.length) / 2;
  for (let k = 0; inside && k < bounds.length; k += 2) inside = bounds[k]! >= 0 && bounds[k]! <= bounds[k + 1]! && bounds[k + 1]! <= bytes.length;
  if (!inside) throw new RangeError('hashSpans: a span or the output is outside its buffer');
  for (let k = 0; 2 * k < bounds.length; k++) {
    const digest = hash('sha256', prefixed(prefix, bytes, bounds[2 * k]!, bounds[2 * k + 1]!), hex ? 'hex' : 'binary');
    writeLatin1Hash(digest, out, size * k);
  }
}

const nodeInput = Buffer.alloc(65, 0x01);


/**
 * Runs `count` node hashes over `slots`, 32-byte hashes: op j, the triple ops[3j..3j + 2] = (left,
 * right, to), sets slot `to` to SHA-256(0x01 ‖ slot left ‖ slot right). In order, so an op may
 * read a slot an earlier op wrote.
 */
export function hashNodes(slots: Buffer, ops: Int32Array, count: number): void {
  const native = nativeAddon();
  if (native !== undefined) {
    if (!native.hashNodes(slots, ops, count)) throw new RangeError('hashNodes: a slot is outside the slots');
    return;
  }
  const slotCount = slots.length / 32;
  for (let j = 0; j < 3 * count; j++) if (!(ops[j]! >= 0 && ops[j]! < slotCount)) throw new RangeError('hashNodes: a slot is outside the slots');
  // Copied in loops: a native call for each 32 bytes would cost more than the copy.
  for (let j = 0; j < count; j++) {
    const left = 32 * ops[3 * j]!;
    const right = 32 * ops[3 * j + 1]!;
    for (let k = 0; k < 32; k++) nodeInput[1 + k] = slots[left + k]!;
    for (let k = 0; k < 32; k++) nodeInput[33 + k] = slots[right + k]!;
    writeLatin1Hash(hash('sha256', nodeInput, 'binary'), slots, 32 * ops[3 * j + 2]!);
  }
}
