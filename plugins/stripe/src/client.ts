import Stripe from 'stripe';

/**
 * The Stripe API version this plugin is written and tested against (the version of the OpenAPI spec
 * its tests check requests with). It is sent with every request, so upgrading the `stripe` package
 * never changes it; a deployment changes it deliberately with the `apiVersion` config.
 */
export const PINNED_API_VERSION = '2023-08-16';

/** The plugin's configuration, checked. */
export interface StripeSettings {
  apiKey: string;
  apiBase: URL;
  apiVersion: string;
}

/** Checks `configure` params; throws an Error with a message fit for an operator when unusable. */
export function parseSettings(config: Record<string, unknown>, secrets: Record<string, unknown>): StripeSettings {
  const apiKey = secrets.apiKey;
  if (typeof apiKey !== 'string' || !/^(sk|rk)_[A-Za-z0-9_]+$/.test(apiKey)) throw new Error('apiKey must be a Stripe secret or restricted key (sk_... or rk_...)');
  const raw = config.apiBase ?? 'https://api.stripe.com';
  let apiBase: URL;
  try {
    apiBase = new URL(String(raw));
  } catch {
    throw new Error(`apiBase is not a URL: ${String(raw)}`);
  }
  if (!['http:', 'https:'].includes(apiBase.protocol)) throw new Error('apiBase must be an http(s) URL');
  if (apiBase.pathname !== '/' || apiBase.search || apiBase.username) throw new Error('apiBase must be an origin only, like https://api.stripe.com');
  const apiVersion = config.apiVersion ?? PINNED_API_VERSION;
  if (typeof apiVersion !== 'string' || !/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(apiVersion)) throw new Error(`apiVersion must be a Stripe API version like ${PINNED_API_VERSION}`);
  return { apiKey, apiBase, apiVersion };
}

/**
 * The official client for these settings, on the pinned API version, with a 10 s timeout and
 * `maxNetworkRetries: 0`: Latch retries. stripe-node still retries a closed connection
 * (ECONNRESET, EPIPE) once on its own, whatever that setting says; it resends the same
 * Idempotency-Key, so Stripe replays its first answer rather than refunding twice.
 */
export function createStripeClient(settings: StripeSettings, timeoutMs = 10_000): Stripe {
  const { apiBase } = settings;
  const protocol = apiBase.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(settings.apiKey, {
    apiVersion: settings.apiVersion as Stripe.LatestApiVersion,
    host: apiBase.hostname,
    port: apiBase.port || (protocol === 'http' ? 80 : 443),
    protocol,
    maxNetworkRetries: 0,
    timeout: timeoutMs,
    telemetry: false,
    appInfo: { name: 'latch-plugin-stripe', version: '1.0.0' },
  });
}

/** The URL a client sends `path` to, for the record (`https://api.stripe.com/v1/refunds`). */
export function urlFor(stripe: Stripe, path: string): string {
  const protocol = String(stripe.getApiField('protocol'));
  const port = String(stripe.getApiField('port'));
  const defaultPort = (protocol === 'http' && port === '80') || (protocol === 'https' && port === '443');
  return `${protocol}://${String(stripe.getApiField('host'))}${defaultPort ? '' : `:${port}`}${path}`;
}

/** The API version a client sends (the pinned one, or the deployment's). */
export function apiVersionOf(stripe: Stripe): string {
  return String(stripe.getApiField('version'));
}

/** Encodes params as Stripe's client does (`metadata[key]=value`, brackets left readable). */
export function formBody(params: Record<string, string | number | Record<string, string> | undefined>): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%5B/g, '[').replace(/%5D/g, ']');
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (typeof value === 'object') for (const [k, v] of Object.entries(value)) pairs.push(`${enc(`${key}[${k}]`)}=${enc(v)}`);
    else pairs.push(`${enc(key)}=${enc(String(value))}`);
  }
  return pairs.join('&');
}
