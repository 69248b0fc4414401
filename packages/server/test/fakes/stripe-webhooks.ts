import Stripe from 'stripe';
import { newId } from './stripe-ledger.js';

// Stripe's side of webhooks: events about the fake's objects, signed as Stripe signs them (the
// official library's generateTestHeaderString: `t=<unix seconds>,v1=<HMAC-SHA256 of "t.body">`).

type Json = Record<string, unknown>;

/** An event as Stripe delivers it, about `object` (a refund for `refund.updated`). */
export function stripeEvent(type: string, object: Json, apiVersion = '2023-08-16'): Json {
  return {
    id: newId('evt_'), object: 'event', api_version: apiVersion, created: Math.floor(Date.now() / 1000), type, livemode: false, pending_webhooks: 1,
    request: { id: null, idempotency_key: null }, data: { object: structuredClone(object) },
  };
}

/** How to sign a delivery: the endpoint secret, and optionally a timestamp (seconds) other than now. */
export interface SignOptions { secret: string; timestamp?: number }

/** The body and headers Stripe would send for `event`. */
export function signedDelivery(event: Json, options: SignOptions): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(event, null, 2); // Stripe pretty-prints; the signature covers these exact bytes
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret, ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}) });
  return { body, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' } };
}

/** POSTs a delivery to `url` as Stripe does; `headers` replace or remove (undefined) the signed ones. */
export async function postDelivery(url: string, delivery: { body: string; headers: Record<string, string> }, headers: Record<string, string | undefined> = {}): Promise<{ status: number; json: Json }> {
  const merged = Object.fromEntries(Object.entries({ ...delivery.headers, ...headers }).filter((e): e is [string, string] => e[1] !== undefined));
  const res = await fetch(url, { method: 'POST', headers: merged, body: delivery.body });
  return { status: res.status, json: (await res.json()) as Json };
}
