import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(8192);
let offset = pool.length;

/** Cryptographically random bytes, drawn from a pool refilled in bulk (one syscall per 8 KiB, not per id). */
export function randomBytesPooled(size: number): Buffer {
  if (offset + size > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return bytes;
}
