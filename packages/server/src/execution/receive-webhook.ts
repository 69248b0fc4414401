import { LatchError, sha256Hex } from '@latch/core';
import type { Database } from '../db/database.js';
import { idempotencyKeys } from '../db/schema.js';
import { advanceFromWebhook } from './advance-from-webhook.js';
import { scrub } from './exchange-blobs.js';
import type { ExecuteOutcome, PluginRuntime } from './plugin-runtime.js';

/** One delivery as received: headers (lower-cased names, Latch's own credentials removed) and the raw body. */
export interface WebhookDelivery {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A plugin's `webhook.receive` answer for a verified delivery (docs/plugin-protocol.md). */
export interface WebhookAnswer {
  readonly eventId: string;
  readonly requestId?: string;
  readonly result?: ExecuteOutcome;
}

/** What the webhook route needs from the plugin host. */
export interface WebhookReceiver {
  receivesWebhooks(pluginId: string): boolean;
  /** Rejects with the plugin's error (code -32004 when it refuses the delivery). */
  webhook(pluginId: string, delivery: WebhookDelivery): Promise<WebhookAnswer>;
}

/** The JSON-RPC code a plugin refuses a delivery with (WEBHOOK_REFUSED in @latch/protocol). */
const WEBHOOK_REFUSED = -32004;
const EVENT_ID = /^[\x21-\x7e]{1,255}$/;

/**
 * Receives a delivery for a plugin's webhook endpoint. The plugin verifies it (only it knows the
 * external system's signatures and secrets) and names the approved action it is about; then, in one
 * transaction, the event id is recorded (a second delivery of it is refused, WEBHOOK_REPLAYED, and
 * writes nothing) and that action alone is advanced, exactly as a poll would (advance-from-webhook.ts).
 * A refused delivery is WEBHOOK_SIGNATURE_INVALID and writes nothing. Returns whether an action moved.
 */
export async function receiveWebhook(database: Database, plugins: (WebhookReceiver & PluginRuntime) | undefined, pluginId: string, delivery: WebhookDelivery): Promise<{ advanced: boolean }> {
  if (!plugins?.receivesWebhooks(pluginId)) throw new LatchError('NOT_FOUND', `No plugin '${pluginId}' receiving webhooks in this deployment`);
  const secrets = plugins.secretValues(pluginId);
  let answer: WebhookAnswer;
  try {
    answer = await plugins.webhook(pluginId, delivery);
  } catch (error) {
    const message = scrub((error as Error).message, secrets);
    if ((error as { code?: unknown }).code === WEBHOOK_REFUSED) throw new LatchError('WEBHOOK_SIGNATURE_INVALID', `Delivery refused by plugin ${pluginId}: ${message}`);
    throw new LatchError('PLUGIN_UNAVAILABLE', `Plugin ${pluginId} could not check the delivery; send it again later`);
  }
  if (typeof answer?.eventId !== 'string' || !EVENT_ID.test(answer.eventId)) throw new LatchError('PLUGIN_UNAVAILABLE', `Plugin ${pluginId} answered the delivery without a usable event id`);
  return database.write(async (tx) => {
    const recorded = await tx
      .insert(idempotencyKeys)
      .values({ principal: `webhook:${pluginId}`, key: answer.eventId, method: 'POST', path: `/api/v1/plugins/${pluginId}/webhooks`, requestHash: sha256Hex(delivery.body), statusCode: 200, body: {} })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (recorded.length === 0) throw new LatchError('WEBHOOK_REPLAYED', `Event ${answer.eventId} was already received; a replay changes nothing`, { eventId: answer.eventId });
    if (answer.requestId === undefined || answer.result === undefined) return { advanced: false };
    return { advanced: await advanceFromWebhook(tx, plugins, pluginId, answer.eventId, answer.requestId, answer.result) };
  });
}
