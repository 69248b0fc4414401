import { timingSafeEqual } from 'node:crypto';
import { LatchError } from '@latch/core';
import { WebhookVerificationError, type Webhook } from 'standardwebhooks';

/** The delivery's Standard Webhooks headers, as received. */
export interface DeliveryHeaders {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
}

/**
 * Checks a delivery's signature (`webhook-signature` over `id.timestamp.body`, HMAC-SHA256 with the
 * source's secret) and its age. Answers `fresh`, or `stale` for a correctly signed delivery whose
 * timestamp is more than five minutes away from now (so it may be held as evidence); anything not
 * signed with the secret is WEBHOOK_SIGNATURE_INVALID, and nothing of it is kept.
 */
export function verifyDelivery(webhook: Webhook, headers: Partial<DeliveryHeaders>, body: Buffer): 'fresh' | 'stale' {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^[\x21-\x7e]{1,255}$/.test(id) || !/^\d{1,12}$/.test(timestamp)) {
    throw new LatchError('WEBHOOK_SIGNATURE_INVALID', 'The delivery needs webhook-id, webhook-timestamp (Unix seconds) and webhook-signature headers');
  }
  try {
    webhook.verify(body, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature });
    return 'fresh';
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    if (/timestamp too (old|new)/i.test(error.message) && signedBy(webhook, headers as DeliveryHeaders, body)) return 'stale';
    throw new LatchError('WEBHOOK_SIGNATURE_INVALID', 'The delivery is not signed with this source’s secret');
  }
}

/** Whether one of the signatures is the source's, whatever the time (the library checks the time first). */
function signedBy(webhook: Webhook, headers: DeliveryHeaders, body: Buffer): boolean {
  const expected = Buffer.from(webhook.sign(headers.id, new Date(Number(headers.timestamp) * 1000), body).split(',')[1] ?? '');
  return headers.signature.split(' ').some((candidate) => {
    const [version, value] = candidate.split(',');
    const given = Buffer.from(value ?? '');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
