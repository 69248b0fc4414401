import { canonicalJson, presentEvent, type EventBody, type Json } from '@latch/core';

/** What a webhook tells about one case event: ids, kinds, times and the presentation line, never free text. */
export interface WebhookPayload {
  readonly type: string;
  readonly timestamp: string;
  readonly data: {
    readonly eventId: string;
    readonly caseId: string;
    readonly caseType: string;
    readonly queue: string;
    readonly seq: number;
    readonly outcome: string;
    readonly occurredAt: string;
    readonly summary: string;
    readonly tone: string;
    readonly hash: string;
    readonly logPosition: number;
  };
}

export interface PayloadSource {
  readonly body: EventBody;
  readonly hash: string;
  readonly caseType: string;
  readonly queue: string;
  readonly logPosition: number;
}

/**
 * Persons are never named to a receiver: erasure could not reach a name once sent. The line says
 * "A user" wherever the console would name someone; presentation lines quote no personal value
 * (a title, a note, a requester's words) by design (core/timeline/present-event.ts).
 */
const NOBODY_NAMED = () => ({ name: 'A user' });

/**
 * The Standard Webhooks payload shape (`type`, `timestamp`, `data`) for one case event. Built from
 * the event's hashed body at each attempt, so every attempt of one delivery sends the same bytes.
 */
export function webhookPayload(source: PayloadSource): string {
  const { body } = source;
  const presented = presentEvent(body, NOBODY_NAMED);
  const payload: WebhookPayload = {
    type: body.kind,
    timestamp: body.at,
    data: {
      eventId: body.id,
      caseId: body.stream,
      caseType: source.caseType,
      queue: source.queue,
      seq: body.seq,
      outcome: body.outcome,
      occurredAt: body.at,
      summary: presented.summary,
      tone: presented.tone,
      hash: source.hash,
      logPosition: source.logPosition,
    },
  };
  return canonicalJson(payload as unknown as Json);
}
