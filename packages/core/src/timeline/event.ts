import { canonicalJson, sha256Hex, type Json } from '../canonical.js';
import { isUuid, uuidv7 } from '../ids.js';
import { sealPersonalData, type Disclosure } from './personal-data.js';

/** Version of the hashed event format. */
export const EVENT_FORMAT_VERSION = 1;

export type ActorType = 'user' | 'token' | 'system' | 'plugin' | 'intelligence';

/** Who did it. For an API token, `id` is the token and `user` the user it acts for. */
export interface Actor {
  readonly type: ActorType;
  readonly id: string;
  readonly user?: string;
}

export type Outcome = 'ok' | 'refused' | 'failed';

/** What a command wants recorded. `data` may hold `personal()` values. */
export interface EventDraft {
  readonly kind: string;
  readonly actor: Actor;
  readonly data: Record<string, unknown>;
  readonly outcome?: Outcome;
  readonly reason?: string;
  /** SHA-256 (hex) of blobs the event refers to: attachments, external requests and responses. */
  readonly blobs?: readonly string[];
}

/** The position a new event takes in its stream (a case, or the system stream). */
export interface StreamHead {
  readonly stream: string;
  readonly seq: number;
  readonly hash: string | null;
}

/** An event as stored: the exact canonical bytes, and the values derived from them. */
export interface SealedEvent {
  readonly id: string;
  readonly stream: string;
  readonly seq: number;
  readonly kind: string;
  readonly at: string;
  readonly bytes: string;
  readonly hash: string;
  readonly prevHash: string | null;
  readonly disclosures: readonly Disclosure[];
}

/** The hashed body of an event, as parsed back from its bytes. */
export interface EventBody {
  readonly v: number;
  readonly id: string;
  readonly stream: string;
  readonly seq: number;
  readonly prev: string | null;
  readonly kind: string;
  readonly at: string;
  readonly actor: Actor;
  readonly outcome: Outcome;
  readonly reason?: string;
  readonly data: Json;
  readonly blobs?: string[];
}

/** Seals a draft into the next event after `head`: canonical bytes, hash, link to the previous event. */
export function sealEvent(draft: EventDraft, head: StreamHead, at: Date = new Date()): SealedEvent {
  // The stream id is hashed into the event; the database's uuid column would store any other
  // spelling of it in lower case, and the chain would no longer verify. Only the canonical form.
  if (!isUuid(head.stream)) throw new Error(`refusing to seal an event for a non-canonical stream id ${JSON.stringify(String(head.stream).slice(0, 64))}`);
  const disclosures: Disclosure[] = [];
  const body: Record<string, unknown> = {
    v: EVENT_FORMAT_VERSION,
    id: uuidv7(at.getTime()),
    stream: head.stream,
    seq: head.seq + 1,
    prev: head.hash,
    kind: draft.kind,
    at: at.toISOString(),
    actor: { ...draft.actor },
    outcome: draft.outcome ?? 'ok',
    data: sealPersonalData(draft.data, disclosures),
  };
  if (draft.reason !== undefined) body.reason = draft.reason;
  if (draft.blobs !== undefined && draft.blobs.length > 0) body.blobs = [...draft.blobs];
  const bytes = canonicalJson(body);
  return {
    id: body.id as string,
    stream: head.stream,
    seq: head.seq + 1,
    kind: draft.kind,
    at: body.at as string,
    bytes,
    hash: sha256Hex(bytes),
    prevHash: head.hash,
    disclosures,
  };
}

/** Seals several drafts in order, each linked to the one before. */
export function sealEvents(drafts: readonly EventDraft[], head: StreamHead, at: Date = new Date()): SealedEvent[] {
  const sealed: SealedEvent[] = [];
  let current = head;
  for (const draft of drafts) {
    const event = sealEvent(draft, current, at);
    sealed.push(event);
    current = { stream: head.stream, seq: event.seq, hash: event.hash };
  }
  return sealed;
}
