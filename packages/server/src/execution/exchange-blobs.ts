import { canonicalJson, sha256Hex } from '@latch/core';
import { putBlob } from '../db/blobs.js';
import type { Tx } from '../db/database.js';

/** Stores an external request or response as a blob; secrets are replaced before hashing. */
export async function storeExchange(tx: Tx, value: unknown, secrets: readonly string[]): Promise<string | undefined> {
  if (value === undefined || value === null) return undefined;
  const text = scrub(typeof value === 'string' ? value : safeCanonical(value), secrets);
  const data = Buffer.from(text, 'utf8');
  const sha256 = sha256Hex(data);
  await putBlob(tx, sha256, data);
  return sha256;
}

function safeCanonical(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch {
    return JSON.stringify(value);
  }
}

/** Replaces every secret value in text: plugins should never echo one, and the host makes sure. */
export function scrub(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length >= 4).reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}
