/**
 * What a person reads of a recorded exchange: the plugin stored `{method, url, headers, body}` for a
 * request and `{status, headers, body}` for a response (execution/record-outcome.ts); anything else
 * is shown as the text it is.
 */
export interface ExchangeView {
  readonly method?: string;
  /** The URL's path and query (the host is in `url`). */
  readonly path?: string;
  readonly url?: string;
  readonly status?: number;
  /** Header names and values in the order recorded (the plugin keeps the ones that matter). */
  readonly headers: readonly (readonly [string, string])[];
  /** The body as text: JSON pretty-printed, anything else as it came. */
  readonly body?: string;
}

export function exchangeView(content: unknown): ExchangeView {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    return { headers: [], body: typeof content === 'string' ? content : pretty(content) };
  }
  const record = content as Record<string, unknown>;
  const url = typeof record.url === 'string' ? record.url : undefined;
  const headers = typeof record.headers === 'object' && record.headers !== null && !Array.isArray(record.headers) ? Object.entries(record.headers) : [];
  const known = new Set(['method', 'url', 'status', 'headers', 'body']);
  const rest = Object.fromEntries(Object.entries(record).filter(([key]) => !known.has(key)));
  const body = record.body === undefined || record.body === '' ? (Object.keys(rest).length > 0 ? pretty(rest) : undefined) : bodyText(record.body);
  return {
    ...(typeof record.method === 'string' ? { method: record.method } : {}),
    ...(url !== undefined ? { url, path: pathOf(url) } : {}),
    ...(typeof record.status === 'number' ? { status: record.status } : {}),
    headers: headers.map(([name, value]) => [name, typeof value === 'string' ? value : pretty(value)] as const),
    ...(body !== undefined ? { body } : {}),
  };
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

/** A JSON body (Stripe's answers) reads best indented; a form-encoded one (Stripe's requests) as sent. */
function bodyText(body: unknown): string {
  if (typeof body !== 'string') return pretty(body);
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null ? pretty(parsed) : body;
  } catch {
    return body;
  }
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2) ?? String(value);
