import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, invalid, parseForm, StripeApiError, type FormParams, type Schema } from './stripe-form.js';
import { newId, StripeLedger } from './stripe-ledger.js';
import { postDelivery, signedDelivery, stripeEvent, type SignOptions } from './stripe-webhooks.js';

export { parseForm, type FormParams } from './stripe-form.js';
export type { RefundStatus } from './stripe-ledger.js';

/** Stripe's public OpenAPI spec and fixtures, trimmed and vendored in `test-fixtures/stripe` (see its README). */
export const STRIPE_DATA_DIR = fileURLToPath(new URL('../../../../test-fixtures/stripe/', import.meta.url));
/** The API version of that spec: answered when a request names none. */
export const SPEC_API_VERSION = '2023-08-16';

type Json = Record<string, unknown>;
/** One request the fake received and the status it answered (0 while unanswered); `dropped` when the connection was cut instead. */
export interface RecordedRequest { method: string; path: string; query: string; headers: IncomingHttpHeaders; body: string; params: FormParams; status: number; replayed: boolean; dropped: boolean }
/**
 * A fault for the next `times` (default 1) requests, optionally only those for `path` (and `method`):
 * an error answer, no answer (`timeout`, or a late one with `delayMs`), or `lost_response`: the
 * request is carried out, then the connection is cut before the answer is sent.
 */
export interface StripeFault { kind: 'card_error' | 'rate_limit' | 'api_error' | 'timeout' | 'lost_response'; times?: number; path?: string; method?: string; retryAfterSeconds?: number; delayMs?: number }
/** Options: where the spec lives, and payment intents that exist from the start. */
export interface StripeServerOptions { dataDir?: string; paymentIntents?: { id?: string; amount: number; currency?: string; customer?: string }[] }
/** A running fake Stripe API. `refunds` holds every refund created (the effects); `ledger` the money. */
export interface StripeServer {
  url: string; requests: RecordedRequest[]; refunds: Map<string, Json>; paymentIntents: Map<string, Json>; ledger: StripeLedger;
  addPaymentIntent(amount: number, currency?: string, id?: string, customer?: string): Json; inject(fault: StripeFault): void; close(): Promise<void>;
  /** Sends a signed `refund.updated` (or `type`) about a refund, as it is now, to a webhook URL; returns the event too (to replay it). */
  sendRefundWebhook(url: string, refundId: string, sign: SignOptions, type?: string): Promise<{ status: number; json: Json; event: Json }>;
}

type Answer = { status: number; body: Json; headers?: Record<string, string> };
const answered = (run: () => Answer): Answer => {
  try { return run(); } catch (e) { if (e instanceof StripeApiError) return { status: e.status, body: { error: e.error } }; throw e; }
};

const loaded = new Map<string, { refundSchema: Schema; fixtures: Record<string, Json> }>();
function load(dir: string) {
  const read = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const data = loaded.get(dir) ?? { refundSchema: read('spec3.json').paths['/v1/refunds'].post.requestBody.content['application/x-www-form-urlencoded'].schema as Schema, fixtures: read('fixtures3.json').resources as Record<string, Json> };
  loaded.set(dir, data);
  return data;
}

const faultAnswer = (f: StripeFault): Answer => {
  const [status, error, headers] = f.kind === 'card_error'
    ? [402, { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' }]
    : f.kind === 'rate_limit'
      ? [429, { type: 'invalid_request_error', code: 'rate_limit', message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.' }, { 'Retry-After': String(f.retryAfterSeconds ?? 1) }]
      : [500, { type: 'api_error', message: 'An unknown error occurred while processing your request.' }];
  return { status, body: { error }, ...(headers ? { headers } : {}) };
};

/** Starts a fake Stripe API on 127.0.0.1 (random port) that validates refunds against Stripe's OpenAPI spec and honours Idempotency-Key. */
export async function startStripeServer(options: StripeServerOptions = {}): Promise<StripeServer> {
  const { refundSchema, fixtures } = load(options.dataDir ?? STRIPE_DATA_DIR);
  const ledger = new StripeLedger(fixtures);
  const requests: RecordedRequest[] = [];
  const saved = new Map<string, { fingerprint: string; answer: Answer }>();
  const faults: { fault: StripeFault; left: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  for (const pi of options.paymentIntents ?? []) ledger.addPaymentIntent(pi.amount, pi.currency, pi.id, pi.customer ?? null);

  const read = (rec: RecordedRequest): Answer | undefined => {
    if (rec.method !== 'GET') return undefined;
    const [, kind, id] = /^\/v1\/(payment_intents|charges|refunds)(?:\/([^/]+))?$/.exec(rec.path) ?? [];
    if (kind === 'refunds' && id === undefined) return { status: 200, body: ledger.listRefunds(new URLSearchParams(rec.query)) };
    if (kind === 'charges' && id === undefined) return { status: 200, body: ledger.listCharges(new URLSearchParams(rec.query)) };
    if (!kind || id === undefined) return undefined;
    const found = (kind === 'payment_intents' ? ledger.paymentIntents : kind === 'charges' ? ledger.charges : ledger.refunds).get(decodeURIComponent(id));
    if (!found) throw invalid(`No such ${kind.slice(0, -1)}: '${decodeURIComponent(id)}'`, kind === 'payment_intents' ? 'intent' : 'id', 'resource_missing', 404);
    return { status: 200, body: found };
  };

  const route = (rec: RecordedRequest, headers: IncomingHttpHeaders): Answer => {
    const auth = /^Bearer (sk_\S+)$/.exec(headers.authorization ?? '');
    if (!headers.authorization) throw invalid('You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').', undefined, undefined, 401);
    if (!auth) throw invalid(`Invalid API Key provided: ${headers.authorization.replace(/^Bearer /, '').slice(0, 8)}***`, undefined, 'api_key_invalid', 401);
    const reading = read(rec);
    if (reading) return reading;
    if (rec.method !== 'POST' || rec.path !== '/v1/refunds') throw invalid(`Unrecognized request URL (${rec.method}: ${rec.path}).`, undefined, undefined, 404);
    rec.params = parseForm(rec.body);
    const key = headers['idempotency-key'];
    const scoped = `${auth[1]}\u0000${String(key)}`;
    const fingerprint = JSON.stringify([rec.method, rec.path, [...new URLSearchParams(rec.body)].sort()]);
    const prior = typeof key === 'string' ? saved.get(scoped) : undefined;
    if (prior && prior.fingerprint !== fingerprint) throw new StripeApiError(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` });
    if (prior) { rec.replayed = true; return { ...prior.answer, headers: { 'Idempotent-Replayed': 'true', 'Idempotency-Key': String(key) } }; }
    check('', refundSchema, rec.params); // failed validation: nothing is saved, as with Stripe
    const answer = answered(() => ({ status: 200, body: ledger.createRefund(rec.params) }));
    if (typeof key !== 'string') return answer;
    saved.set(scoped, { fingerprint, answer });
    return { ...answer, headers: { 'Idempotency-Key': key } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), params: {}, status: 0, replayed: false, dropped: false };
    requests.push(rec);
    const slot = faults.find((f) => (!f.fault.path || f.fault.path === rec.path) && (!f.fault.method || f.fault.method === rec.method));
    if (slot && --slot.left <= 0) faults.splice(faults.indexOf(slot), 1);
    const kind = slot?.fault.kind;
    if (kind === 'timeout' && slot!.fault.delayMs === undefined) return; // accepted, never answered
    const answer = slot && (kind === 'card_error' || kind === 'rate_limit' || kind === 'api_error') ? faultAnswer(slot.fault) : answered(() => route(rec, req.headers));
    rec.status = answer.status;
    if (kind === 'lost_response') {
      rec.dropped = true;
      res.socket?.destroy(); // done, and the answer never leaves
      return;
    }
    const version = typeof req.headers['stripe-version'] === 'string' ? req.headers['stripe-version'] : SPEC_API_VERSION;
    const send = () => res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Request-Id': newId('req_'), 'Stripe-Version': version, ...answer.headers }).end(JSON.stringify(answer.body));
    const timer = setTimeout(() => { timers.delete(timer); send(); }, kind === 'timeout' ? slot!.fault.delayMs : 0);
    timers.add(timer);
  };

  const server = createServer((req, res) => void handle(req, res).catch((e: unknown) => res.writeHead(500).end(JSON.stringify({ error: { type: 'api_error', message: String(e) } }))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, requests, refunds: ledger.refunds, paymentIntents: ledger.paymentIntents, ledger,
    addPaymentIntent: (amount, currency, id, customer) => ledger.addPaymentIntent(amount, currency, id, customer ?? null),
    inject: (fault) => { faults.push({ fault, left: fault.times ?? 1 }); },
    sendRefundWebhook: async (url, refundId, sign, type = 'refund.updated') => {
      const refund = ledger.refunds.get(refundId);
      if (!refund) throw new Error(`no refund ${refundId}`);
      const event = stripeEvent(type, refund);
      return { ...(await postDelivery(url, signedDelivery(event, sign))), event };
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
