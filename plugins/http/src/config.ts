/** The HTTP plugin's settings, from `configure`. */
export interface HttpSettings {
  /** The API's origin, e.g. "https://api.internal:8443". */
  readonly origin: string;
  /** The API's base path without a trailing slash ("" or e.g. "/v1"); every request goes below it. */
  readonly basePath: string;
  readonly authHeader: string | undefined;
  readonly allowPrivateNetworks: boolean;
}

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** One of the HTTP methods the `request` action may use. */
export type Method = (typeof METHODS)[number];

/** A validated `request` input. */
export interface RequestInput {
  readonly method: Method;
  readonly path: string;
  /** The body as sent: JSON text unless the input gave a string. */
  readonly body: string | undefined;
  /** Lower-case names, allow-listed. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Configuration or input that can never work: the caller must fix it, so it is never retried. */
export class InvalidError extends Error {
  override readonly name = 'InvalidError';
}

/** Headers an operator may set. Never credentials, cookies, Host, hop-by-hop or framing headers. */
export const ALLOWED_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-language',
  'content-type',
  'if-match',
  'if-none-match',
  'if-unmodified-since',
  'x-correlation-id',
  'x-request-id',
]);

/** Check `configure`'s config and secrets; throws InvalidError (never quoting the secret). */
export function parseHttpSettings(config: Readonly<Record<string, unknown>>, secrets: Readonly<Record<string, unknown>>): HttpSettings {
  const raw = config.baseUrl;
  if (typeof raw !== 'string' || !URL.canParse(raw)) throw new InvalidError('baseUrl is required and must be an absolute URL');
  const baseUrl = new URL(raw);
  if (baseUrl.protocol !== 'https:' && baseUrl.protocol !== 'http:') throw new InvalidError('baseUrl must be an http(s) URL');
  if (baseUrl.username || baseUrl.password || baseUrl.search || baseUrl.hash) throw new InvalidError('baseUrl must not carry credentials, a query or a fragment');
  const basePath = baseUrl.pathname.replace(/\/+$/, '');

  const authHeader = secrets.authHeader;
  if (authHeader !== undefined && authHeader !== null && authHeader !== '' && (typeof authHeader !== 'string' || /[\r\n\0]/.test(authHeader))) {
    throw new InvalidError('authHeader must be a single-line string');
  }
  const allow = config.allowPrivateNetworks ?? false;
  // Plugin configuration may come from YAML or environment variables, so "true"/"false" count too.
  if (allow !== true && allow !== false && allow !== 'true' && allow !== 'false') throw new InvalidError('allowPrivateNetworks must be true or false');
  return { origin: baseUrl.origin, basePath, authHeader: typeof authHeader === 'string' && authHeader !== '' ? authHeader : undefined, allowPrivateNetworks: allow === true || allow === 'true' };
}

/** Validate a `request` input: method, a path below baseUrl, an optional body, allow-listed headers. */
export function parseRequestInput(input: unknown): RequestInput {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new InvalidError('input must be an object');
  const { method, path, body, headers = {}, ...rest } = input as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new InvalidError(`unknown input field ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
  if (typeof method !== 'string' || !(METHODS as readonly string[]).includes(method)) throw new InvalidError(`method must be one of ${METHODS.join(', ')}`);
  checkPath(path);
  if (body !== undefined && method === 'GET') throw new InvalidError('a GET request has no body');
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) throw new InvalidError('headers must be an object');
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!ALLOWED_HEADERS.has(lower)) throw new InvalidError(`header ${JSON.stringify(name)} is not allowed (allowed: ${[...ALLOWED_HEADERS].join(', ')})`);
    if (typeof value !== 'string' || value.length > 1024 || /[\r\n\0]/.test(value)) throw new InvalidError(`header ${name} must be a single-line string of at most 1024 characters`);
    checked[lower] = value;
  }
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  if (text !== undefined && typeof body !== 'string' && checked['content-type'] === undefined) checked['content-type'] = 'application/json';
  return { method: method as Method, path, body: text, headers: checked };
}

/**
 * Only a path (and query) below baseUrl: no scheme, host, backslash, control character, `;` path
 * parameter or dot segment, encoded or not, however many times encoded. A proxy or framework that
 * decodes twice, or reads `..;` as `..` (Tomcat, Spring), would otherwise climb out of baseUrl.
 */
function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new InvalidError('path must be a string starting with "/"');
  if (path.length > 2048) throw new InvalidError('path must be at most 2048 characters');
  if (path.startsWith('//')) throw new InvalidError('path must not start with "//" (a host)');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\\\s\x00-\x1f\x7f#]/.test(path)) throw new InvalidError('path must not contain backslashes, whitespace, control characters or "#"');
  const pathname = path.split('?')[0]!;
  for (const segment of pathname.split('/')) {
    for (const form of decodings(segment)) {
      if (form === '.' || form === '..') throw new InvalidError('path must not contain "." or ".." segments');
      if (form.includes(';')) throw new InvalidError('path must not contain ";" (path parameters)');
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
      if (/[/\\\x00-\x1f\x7f]/.test(form)) throw new InvalidError('path must not contain encoded slashes, backslashes or control characters');
    }
  }
}

/**
 * A segment as written and after each round of percent-decoding, until nothing changes. The first
 * round must be well-formed; later rounds decode what they can (a decoded "%" may be a literal one),
 * at least every ASCII escape, which is where dots, slashes and semicolons hide.
 */
function decodings(segment: string): string[] {
  const forms = [segment];
  for (let round = 0; round < 4; round++) {
    const last = forms[forms.length - 1]!;
    let next: string;
    try {
      next = decodeURIComponent(last);
    } catch {
      if (round === 0) throw new InvalidError('path has a malformed percent-encoding');
      next = last.replace(/%[0-7][0-9a-f]/gi, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
    }
    if (next === last) return forms;
    forms.push(next);
  }
  throw new InvalidError('path is percent-encoded too many times over');
}

/** baseUrl + path, checked to stay on baseUrl's origin and below its path. */
export function targetUrl(settings: HttpSettings, path: string): URL {
  const url = new URL(`${settings.origin}${settings.basePath}${path}`);
  if (url.origin !== settings.origin || !url.pathname.startsWith(`${settings.basePath}/`)) throw new InvalidError('path leaves baseUrl');
  return url;
}
