import { canonicalJson, sha256Hex } from '../canonical.js';
import type { EventBody } from './event.js';

/** An event row as read back from storage, before anything about it is trusted. */
export interface StoredEvent {
  readonly id: string;
  readonly stream: string;
  readonly seq: number;
  readonly kind: string;
  readonly hash: string;
  readonly bytes: string;
}

export interface ChainBreak {
  readonly seq: number;
  readonly eventId: string | null;
  readonly problem: string;
}

export interface ChainReport {
  readonly stream: string;
  readonly ok: boolean;
  readonly eventsChecked: number;
  readonly headHash: string | null;
  readonly firstBreak?: ChainBreak;
}

/**
 * Recomputes one stream's chain from the stored bytes alone: each event's hash, canonical form,
 * sequence (1, 2, 3 … with no gap), and link to the previous event's hash. When the recorded head
 * is given, a missing tail is caught too. Reports the first broken link.
 */
export function verifyChain(
  stream: string,
  events: readonly StoredEvent[],
  recordedHead?: { seq: number; hash: string | null },
): ChainReport {
  let prevHash: string | null = null;
  let expectedSeq = 1;
  const fail = (seq: number, eventId: string | null, problem: string): ChainReport => ({
    stream,
    ok: false,
    eventsChecked: expectedSeq - 1,
    headHash: prevHash,
    firstBreak: { seq, eventId, problem },
  });

  for (const event of events) {
    let body: EventBody;
    try {
      body = JSON.parse(event.bytes) as EventBody;
    } catch {
      return fail(event.seq, event.id, 'event bytes are not JSON');
    }
    if (canonicalJsonSafe(body) !== event.bytes) return fail(event.seq, event.id, 'event bytes are not in canonical (RFC 8785) form');
    const hash = sha256Hex(event.bytes);
    if (hash !== event.hash) return fail(event.seq, event.id, `stored hash ${event.hash} does not match the bytes (${hash})`);
    if (body.stream !== stream || event.stream !== stream) return fail(event.seq, event.id, `event belongs to stream ${body.stream}`);
    // Checked before the sequence, or a swap would read as "event 2 is missing" when it is stored elsewhere.
    if (event.seq !== body.seq) {
      const which = body.id === event.id ? '' : ` (${body.id})`;
      return fail(event.seq, event.id, `stored as event ${event.seq} but its bytes are event ${body.seq}${which}: events were moved or swapped`);
    }
    if (body.seq !== expectedSeq) {
      return fail(expectedSeq, event.id, body.seq > expectedSeq ? `event ${expectedSeq} is missing` : `event ${body.seq} is out of order`);
    }
    if (event.id !== body.id || event.kind !== body.kind) {
      return fail(body.seq, event.id, 'stored columns disagree with the hashed bytes');
    }
    if (body.prev !== prevHash) return fail(body.seq, event.id, `previous-hash link is broken (expected ${prevHash}, found ${body.prev})`);
    prevHash = hash;
    expectedSeq += 1;
  }

  if (recordedHead !== undefined) {
    if (recordedHead.seq > expectedSeq - 1) {
      return fail(expectedSeq, null, `events ${expectedSeq}..${recordedHead.seq} are missing (the recorded head is at ${recordedHead.seq})`);
    }
    if (recordedHead.seq < expectedSeq - 1) {
      return fail(recordedHead.seq + 1, null, `events after the recorded head (${recordedHead.seq}) were not written by Latch`);
    }
    if (recordedHead.hash !== prevHash) {
      return fail(recordedHead.seq, null, 'the last event does not match the recorded head hash');
    }
  }
  return { stream, ok: true, eventsChecked: expectedSeq - 1, headHash: prevHash };
}

function canonicalJsonSafe(value: unknown): string | undefined {
  try {
    return canonicalJson(value);
  } catch {
    return undefined;
  }
}
