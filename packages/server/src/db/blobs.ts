import { sql } from 'drizzle-orm';
import type { Tx } from './database.js';
import { blobs } from './schema.js';

/**
 * Stores bytes by SHA-256, once however often they are referred to. Bytes an erasure removed
 * (see isErasedBlob) are put back when the same content arrives again: the new upload is the new
 * owner's data, and the erased case's own references stay refused (privacy/erased-content.ts).
 */
export async function putBlob(tx: Tx, sha256: string, data: Buffer): Promise<void> {
  await blobUpsert(tx, sha256, data);
}

/** putBlob's statement, unrun: for a caller that sends it with others in one round trip (appendEvents' `alongside`). */
export function blobUpsert(tx: Tx, sha256: string, data: Buffer) {
  return tx
    .insert(blobs)
    .values({ sha256, size: data.length, data })
    .onConflictDoUpdate({ target: blobs.sha256, set: { data: sql`excluded.data` }, where: sql`octet_length(${blobs.data}) <> ${blobs.size}` });
}

/**
 * An erased blob keeps its row (attachments refer to it by foreign key) and its recorded size, but
 * not its bytes: erasure sets `data` to empty, so the stored length no longer matches `size`.
 */
export function isErasedBlob(blob: { size: number; data: Buffer }): boolean {
  return blob.data.length !== blob.size;
}
