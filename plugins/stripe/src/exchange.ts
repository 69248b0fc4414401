import Stripe from 'stripe';
import { apiVersionOf, urlFor } from './client.js';
import type { ExternalExchange } from './types.js';

// What goes on the case's record of each call to Stripe: method, URL, the headers that matter
// (never Authorization), status and body.

/** Response headers kept: Stripe's request id, whether the answer is a replay, the API version it answered in. */
const KEPT_RESPONSE_HEADERS = ['request-id', 'idempotent-replayed', 'idempotency-key', 'stripe-version', 'stripe-should-retry'];

type Headers = Record<string, unknown> | undefined;

/** The request as sent: the pinned Stripe-Version always, the Idempotency-Key on writes. */
export function requestRecord(stripe: Stripe, method: 'GET' | 'POST', path: string, body = '', idempotencyKey?: string): ExternalExchange['request'] {
  const headers: Record<string, string> = { 'Stripe-Version': apiVersionOf(stripe) };
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  return { method, url: urlFor(stripe, path), headers, body };
}

/** Stripe's answer to a successful call (the client keeps status and headers on `lastResponse`). */
export function responseRecord(resource: object): NonNullable<ExternalExchange['response']> {
  const last = (resource as { lastResponse?: { statusCode?: number; headers?: Headers } }).lastResponse;
  return { status: last?.statusCode ?? 200, headers: kept(last?.headers), body: JSON.stringify(resource) };
}

/** Stripe's answer to a failed call, without the client's own fields; undefined when nothing came back. */
export function errorResponseRecord(err: InstanceType<typeof Stripe.errors.StripeError>): ExternalExchange['response'] {
  if (err.statusCode === undefined) return undefined;
  const { headers: _h, statusCode: _s, requestId: _r, ...error } = err.raw as Record<string, unknown>;
  return { status: err.statusCode, headers: kept(err.headers as Headers), body: JSON.stringify({ error }) };
}

function kept(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT_RESPONSE_HEADERS) {
    const value = headers?.[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}
