import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Stripe's public OpenAPI spec and fixtures: `../shared/data/stripe` from the repo root. */
export const STRIPE_DATA_DIR = fileURLToPath(new URL('../../../../../shared/data/stripe/', import.meta.url));

type Json = Record<string, unknown>;
type Schema = { type?: string; enum?: unknown[]; maxLength?: number; anyOf?: Schema[]; properties?: Record<string, Schema>; additionalProperties?: boolean | Schema; items?: Schema };
/** Form parameters decoded Stripe-style: `metadata[k]=v` becomes `{metadata: {k: v}}`. */
export type FormParams = { [name: string]: string | FormParams };
/** One request the fake received and the status it answered (0 while unanswered). */
export interface RecordedRequest { method: string; path: string; headers: IncomingHttpHeaders; body: string; params: FormParams; status: number; replayed: boolean }
/** A fault answered instead of the next `times` (default 1) requests, optionally only those for `path`. */
export interface StripeFault { kind: 'card_error' | 'rate_limit' | 'api_error' | 'timeout'; times?: number; path?: string; retryAfterSeconds?: number; delayMs?: number }
/** Options: where the spec lives, and payment intents that exist from the start. */
export interface StripeServerOptions { dataDir?: string; paymentIntents?: { id?: string; amount: number; currency?: string }[] }
/** A running fake Stripe API. `refunds` holds every refund created (the effects); `paymentIntents` every known intent. */
export interface StripeServer {
  url: string; requests: RecordedRequest[]; refunds: Map<string, Json>; paymentIntents: Map<string, Json>;
  addPaymentIntent(amount: number, currency?: string, id?: string): Json; inject(fault: StripeFault): void; close(): Promise<void>;
}

type Answer = { status: number; body: Json; headers?: Record<string, string> };
class StripeApiError extends Error {
  constructor(readonly status: number, readonly error: Json) { super(String(error.message)); }
}
const invalid = (message: string, param?: string, code?: string, status = 400) =>
  new StripeApiError(status, { type: 'invalid_request_error', message, ...(code ? { code } : {}), ...(param ? { param } : {}) });
const answered = (run: () => Answer): Answer => {
  try { return run(); } catch (e) { if (e instanceof StripeApiError) return { status: e.status, body: { error: e.error } }; throw e; }
};
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const newId = (prefix: string) => prefix + [...randomBytes(24)].map((b) => ALNUM[b % 62]).join('');
const major = (minor: number) => (minor / 100).toFixed(2);

const loaded = new Map<string, { refundSchema: Schema; fixtures: Record<string, Json> }>();
function load(dir: string) {
  const read = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const data = loaded.get(dir) ?? { refundSchema: read('spec3.json').paths['/v1/refunds'].post.requestBody.content['application/x-www-form-urlencoded'].schema as Schema, fixtures: read('fixtures3.json').resources as Record<string, Json> };
  loaded.set(dir, data);
  return data;
}

/** Decodes a form body the way Stripe does (`a[b]=1`, `a[]=1`, `a[0]=1`). */
export function parseForm(body: string): FormParams {
  const out: FormParams = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m) throw invalid(`Invalid parameter name: ${key}`, key);
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((s) => s[1]!)];
    let node = out;
    path.forEach((seg, i) => {
      const k = seg === '' ? String(Object.keys(node).length) : seg;
      if (i === path.length - 1) node[k] = value;
      else {
        const next = node[k];
        node = typeof next === 'object' ? next : (node[k] = {});
      }
    });
  }
  return out;
}

/** Checks a decoded parameter against its OpenAPI schema, throwing Stripe's error for the first problem. */
function check(name: string, schema: Schema, value: string | FormParams): void {
  const sub = (k: string) => (name ? `${name}[${k}]` : k);
  if (schema.anyOf) {
    const fits = schema.anyOf.some((s) => { try { check(name, s, value); return true; } catch { return false; } });
    if (!fits) throw invalid(`Invalid value for ${name}.`, name);
    return;
  }
  const shown = typeof value === 'string' ? value : 'object';
  if (schema.type === 'integer' && !(typeof value === 'string' && /^-?\d+$/.test(value))) throw invalid(`Invalid integer: ${shown}`, name, 'parameter_invalid_integer');
  if (schema.type === 'boolean' && value !== 'true' && value !== 'false') throw invalid(`Invalid boolean: ${shown}`, name);
  if (schema.type === 'string') {
    if (typeof value !== 'string') throw invalid(`Invalid string: ${name} must be a string`, name, 'parameter_invalid_string');
    if (schema.maxLength !== undefined && value.length > schema.maxLength) throw invalid(`Invalid string: must be at most ${schema.maxLength} characters`, name, 'parameter_invalid_string');
  }
  if (schema.enum && !schema.enum.includes(value)) throw invalid(`Invalid ${name}: must be one of ${schema.enum.join(', ')}`, name);
  if (schema.type === 'object' || schema.type === 'array') {
    if (typeof value !== 'object') throw invalid(`Invalid ${schema.type}`, name);
    for (const [k, v] of Object.entries(value)) {
      const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
      const s = schema.type === 'array' ? (schema.items ?? {}) : (schema.properties?.[k] ?? extra);
      if (!s) throw invalid(`Received unknown parameter: ${sub(k)}`, sub(k), 'parameter_unknown');
      check(sub(k), s, v);
    }
  }
}

/** Starts a fake Stripe API on 127.0.0.1 (random port) that validates refunds against Stripe's OpenAPI spec. */
export async function startStripeServer(options: StripeServerOptions = {}): Promise<StripeServer> {
  const { refundSchema, fixtures } = load(options.dataDir ?? STRIPE_DATA_DIR);
  const requests: RecordedRequest[] = [];
  const refunds = new Map<string, Json>();
  const paymentIntents = new Map<string, Json>();
  const saved = new Map<string, { fingerprint: string; answer: Answer }>();
  const faults: { fault: StripeFault; left: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const addPaymentIntent = (amount: number, currency = 'usd', id = newId('pi_')): Json => {
    const intent = {
      ...fixtures.payment_intent, id, amount, amount_received: amount, currency, status: 'succeeded', canceled_at: null,
      latest_charge: newId('ch_'), client_secret: `${id}_secret_${newId('')}`, created: Math.floor(Date.now() / 1000),
    };
    paymentIntents.set(id, intent);
    return intent;
  };
  for (const pi of options.paymentIntents ?? []) addPaymentIntent(pi.amount, pi.currency, pi.id);

  const faultAnswer = (f: StripeFault): Answer => {
    const [status, error, headers] = f.kind === 'card_error'
      ? [402, { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' }]
      : f.kind === 'rate_limit'
        ? [429, { type: 'invalid_request_error', code: 'rate_limit', message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.' }, { 'Retry-After': String(f.retryAfterSeconds ?? 1) }]
        : [500, { type: 'api_error', message: 'An unknown error occurred while processing your request.' }];
    return { status, body: { error }, ...(headers ? { headers } : {}) };
  };

  const createRefund = (params: FormParams): Answer => {
    const str = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
    const [piId, chargeId] = [str('payment_intent'), str('charge')];
    if (!piId && !chargeId) throw invalid('One of the following params should be provided for this request: payment_intent or charge.', undefined, 'parameter_missing');
    if (piId && chargeId) throw invalid('You cannot specify both payment_intent and charge.', 'charge');
    const intent = piId ? paymentIntents.get(piId) : [...paymentIntents.values()].find((p) => p.latest_charge === chargeId);
    if (!intent) throw invalid(piId ? `No such payment_intent: '${piId}'` : `No such charge: '${chargeId}'`, piId ? 'payment_intent' : 'charge', 'resource_missing');
    const requested = str('amount') === undefined ? undefined : Number(str('amount'));
    if (requested !== undefined && requested < 1) throw invalid('Invalid positive integer', 'amount', 'parameter_invalid_integer');
    const done = [...refunds.values()].filter((r) => r.payment_intent === intent.id).reduce((sum, r) => sum + Number(r.amount), 0);
    const left = Number(intent.amount) - done;
    if (left <= 0) throw invalid(`Charge ${String(intent.latest_charge)} has already been refunded.`, undefined, 'charge_already_refunded');
    if (requested !== undefined && requested > left) throw invalid(`Refund amount ($${major(requested)}) is greater than unrefunded amount on charge ($${major(left)})`, 'amount', 'amount_too_large');
    const refund = {
      ...fixtures.refund, id: newId('re_'), amount: requested ?? left, balance_transaction: newId('txn_'), charge: intent.latest_charge, created: Math.floor(Date.now() / 1000),
      currency: intent.currency, metadata: typeof params.metadata === 'object' ? params.metadata : {}, payment_intent: intent.id, reason: str('reason') ?? null, status: 'succeeded',
    };
    refunds.set(refund.id, refund);
    return { status: 200, body: refund };
  };

  const route = (rec: RecordedRequest, headers: IncomingHttpHeaders): Answer => {
    const auth = /^Bearer (sk_\S+)$/.exec(headers.authorization ?? '');
    if (!headers.authorization) throw invalid('You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').', undefined, undefined, 401);
    if (!auth) throw invalid(`Invalid API Key provided: ${headers.authorization.replace(/^Bearer /, '').slice(0, 8)}***`, undefined, 'api_key_invalid', 401);
    const intentPath = /^\/v1\/payment_intents\/([^/]+)$/.exec(rec.path);
    if (rec.method === 'GET' && intentPath) {
      const intent = paymentIntents.get(decodeURIComponent(intentPath[1]!));
      if (!intent) throw invalid(`No such payment_intent: '${decodeURIComponent(intentPath[1]!)}'`, 'intent', 'resource_missing', 404);
      return { status: 200, body: intent };
    }
    if (rec.method !== 'POST' || rec.path !== '/v1/refunds') throw invalid(`Unrecognized request URL (${rec.method}: ${rec.path}).`, undefined, undefined, 404);
    rec.params = parseForm(rec.body);
    const key = headers['idempotency-key'];
    const scoped = `${auth[1]}\u0000${String(key)}`;
    const fingerprint = JSON.stringify([rec.method, rec.path, [...new URLSearchParams(rec.body)].sort()]);
    const prior = typeof key === 'string' ? saved.get(scoped) : undefined;
    if (prior && prior.fingerprint !== fingerprint) throw new StripeApiError(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` });
    if (prior) { rec.replayed = true; return { ...prior.answer, headers: { 'Idempotent-Replayed': 'true', 'Idempotency-Key': String(key) } }; }
    check('', refundSchema, rec.params); // failed validation: nothing is saved, as with Stripe
    const answer = answered(() => createRefund(rec.params));
    if (typeof key !== 'string') return answer;
    saved.set(scoped, { fingerprint, answer });
    return { ...answer, headers: { 'Idempotency-Key': key } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: new URL(req.url ?? '/', 'http://x').pathname, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), params: {}, status: 0, replayed: false };
    requests.push(rec);
    const slot = faults.find((f) => !f.fault.path || f.fault.path === rec.path);
    if (slot && --slot.left <= 0) faults.splice(faults.indexOf(slot), 1);
    if (slot?.fault.kind === 'timeout' && slot.fault.delayMs === undefined) return; // accepted, never answered
    const answer = slot && slot.fault.kind !== 'timeout' ? faultAnswer(slot.fault) : answered(() => route(rec, req.headers));
    const send = () => {
      rec.status = answer.status;
      res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Request-Id': newId('req_'), ...answer.headers }).end(JSON.stringify(answer.body));
    };
    const timer = setTimeout(() => { timers.delete(timer); send(); }, slot?.fault.kind === 'timeout' ? slot.fault.delayMs : 0);
    timers.add(timer);
  };

  const server = createServer((req, res) => void handle(req, res).catch((e: unknown) => res.writeHead(500).end(JSON.stringify({ error: { type: 'api_error', message: String(e) } }))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, requests, refunds, paymentIntents, addPaymentIntent,
    inject: (fault) => { faults.push({ fault, left: fault.times ?? 1 }); },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
