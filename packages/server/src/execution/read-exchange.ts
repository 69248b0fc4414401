import { LatchError, NotFoundError, type CaseVisibility } from '@latch/core';
import { and, asc, eq, sql } from 'drizzle-orm';
import { loadVisibleCase } from '../cases/case-access.js';
import { isErasedBlob } from '../db/blobs.js';
import type { Queryable } from '../db/database.js';
import { blobs, events } from '../db/schema.js';

/** One external request or response of an action, as a person reading the case sees it. */
export interface Exchange {
  sha256: string;
  size: number;
  /** Which side of the exchange this blob is, per the event that refers to it. */
  role: 'request' | 'response' | 'other';
  event: { id: string; seq: number; kind: string; actionId: string | null };
  /** The stored JSON (method, url, status, headers, body), or the stored text when it is not JSON. */
  content: unknown;
}

// Credentials a plugin should never have recorded; hidden here too, whatever the plugin sent.
const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|set-cookie|stripe-signature|x-api-key)$/i;

/**
 * The exchange stored as `sha256`, if an event of this case refers to it and the reader may see
 * the case (404 otherwise, like a missing case). Secret values were replaced before storing
 * (run-execution.ts); credential headers are hidden again here. 410 once erased.
 */
export async function readExchange(db: Queryable, visibility: CaseVisibility, caseId: string, sha256: string): Promise<Exchange> {
  await loadVisibleCase(db, caseId, visibility);
  const [event] = await db
    .select({ id: events.id, seq: events.seq, kind: events.kind, bytes: events.bytes })
    .from(events)
    .where(and(eq(events.stream, caseId), sql`position(${`"${sha256}"`} in ${events.bytes}) > 0`))
    .orderBy(asc(events.seq))
    .limit(1);
  const sealed = event ? (JSON.parse(event.bytes) as { data?: Record<string, unknown>; blobs?: unknown }) : undefined;
  if (!event || !Array.isArray(sealed?.blobs) || !sealed.blobs.includes(sha256)) throw new NotFoundError('Exchange');
  const data = sealed.data ?? {};
  const [blob] = await db.select().from(blobs).where(eq(blobs.sha256, sha256));
  if (!blob) throw new NotFoundError('Exchange');
  if (isErasedBlob(blob)) throw new LatchError('ERASED', 'This exchange was erased at its subject’s request');
  const text = blob.data.toString('utf8');
  return {
    sha256,
    size: blob.size,
    role: data.request === sha256 ? 'request' : data.response === sha256 ? 'response' : 'other',
    event: { id: event.id, seq: event.seq, kind: event.kind, actionId: typeof data.actionId === 'string' ? data.actionId : null },
    content: hideCredentials(parseJson(text) ?? text),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function hideCredentials(content: unknown): unknown {
  const headers = (content as { headers?: unknown } | null)?.headers;
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return content;
  const shown = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, SECRET_HEADERS.test(name) ? '[redacted]' : value]));
  return { ...(content as object), headers: shown };
}
