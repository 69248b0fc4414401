import Stripe from 'stripe';

/** The plugin's configuration, checked. */
export interface StripeSettings {
  apiKey: string;
  apiBase: URL;
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
  return { apiKey, apiBase };
}

/** The official client for these settings: no automatic network retries (Latch retries), a 10 s timeout. */
export function createStripeClient(settings: StripeSettings, timeoutMs = 10_000): Stripe {
  const { apiBase } = settings;
  const protocol = apiBase.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(settings.apiKey, {
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
