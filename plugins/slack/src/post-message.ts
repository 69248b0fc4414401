import { ErrorCode, LogLevel, WebClient, type FetchFunction, type Logger, type WebAPICallError } from '@slack/web-api';
import { escapeSlackText, InvalidError, parsePostMessageInput, type PostMessageInput, type SlackSettings } from './config.js';

/** What was sent to and received from Slack, with the token removed. */
export interface External {
  request?: { method: string; url: string; headers: Record<string, string>; body: string };
  response?: { status: number; headers: Record<string, string>; body: string };
}

/** An `action.execute` result, as the protocol defines it. */
export type ActionResult =
  | { status: 'succeeded'; summary: string; output: { channel: string; ts: string }; external: External }
  | { status: 'failed'; retryable: boolean; summary: string; external: External };

/** Per-call options: the host's idempotency key, and a fetch to use instead of the global one. */
export interface PostMessageOptions {
  readonly idempotencyKey?: string;
  readonly fetch?: FetchFunction;
  readonly timeoutMs?: number;
}

// Slack's own transient errors (answered as ok:false), which are worth the host's retry like a 5xx.
const TRANSIENT_SLACK_ERRORS = new Set(['ratelimited', 'internal_error', 'service_unavailable']);
const RECORDED_RESPONSE_HEADERS = ['content-type', 'retry-after', 'x-slack-req-id'];

/** Validate a raw `post_message` input and post it; invalid input fails for good (a retry cannot fix it). */
export async function executePostMessage(settings: SlackSettings, rawInput: unknown, options: PostMessageOptions = {}): Promise<ActionResult> {
  let input: PostMessageInput;
  try {
    input = parsePostMessageInput(rawInput, settings);
  } catch (error) {
    if (!(error instanceof InvalidError)) throw error;
    return { status: 'failed', retryable: false, summary: `Invalid input: ${error.message}`, external: {} };
  }
  return postMessage(settings, input, options);
}

/** Post `input.text` to `input.channel` as plain text; never throws. */
export async function postMessage(settings: SlackSettings, input: PostMessageInput, options: PostMessageOptions = {}): Promise<ActionResult> {
  const external: External = {};
  const client = new WebClient(settings.botToken, {
    slackApiUrl: settings.apiBase,
    // The host owns retries (with backoff, and visible on the case); the client must fail fast instead
    // of sleeping Retry-After seconds itself, which it does unless rejectRateLimitedCalls is set.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
    allowAbsoluteUrls: false,
    fetch: recordingFetch(options.fetch ?? globalThis.fetch, external),
    logger: stderrLogger,
  });
  try {
    const result = await client.chat.postMessage({
      channel: input.channel,
      // Escaped and with formatting, mention and link parsing off: the text is an operator's, shown verbatim.
      text: escapeSlackText(input.text),
      mrkdwn: false,
      parse: 'none',
      link_names: false,
      unfurl_links: false,
      unfurl_media: false,
      // Chat messages have no idempotency key; the metadata lets a person (or a later check) spot a duplicate.
      ...(options.idempotencyKey ? { metadata: { event_type: 'latch_action', event_payload: { idempotency_key: options.idempotencyKey } } } : {}),
    });
    const channel = result.channel ?? input.channel;
    const ts = result.ts ?? '';
    return { status: 'succeeded', summary: `Posted to ${channel} (ts ${ts})`, output: { channel, ts }, external };
  } catch (error) {
    const { retryable, summary } = classifySlackError(error);
    return { status: 'failed', retryable, summary, external };
  }
}

/** Whether a failed Web API call is worth retrying, and what to tell the operator. */
export function classifySlackError(error: unknown): { retryable: boolean; summary: string } {
  const e = error as Partial<WebAPICallError>;
  switch (e.code) {
    case ErrorCode.PlatformError: {
      const code = String((error as { data?: { error?: unknown } }).data?.error ?? 'unknown_error');
      return { retryable: TRANSIENT_SLACK_ERRORS.has(code), summary: `Slack refused the message: ${code}` };
    }
    case ErrorCode.RateLimitedError:
      return { retryable: true, summary: `Slack rate limit: retry after ${(error as { retryAfter?: number }).retryAfter ?? '?'} s` };
    case ErrorCode.HTTPError: {
      const status = (error as { statusCode?: number }).statusCode ?? 0;
      return { retryable: status >= 500 || status === 408, summary: `Slack answered HTTP ${status}` };
    }
    case ErrorCode.RequestError:
      return { retryable: true, summary: `Could not reach Slack: ${messageOf((error as { original?: unknown }).original)}` };
    default:
      // Unknown failures count as retryable, as an error answer to action.execute would.
      return { retryable: true, summary: `Slack call failed: ${messageOf(error)}` };
  }
}

/** Wrap fetch to keep what went over the wire, minus the Authorization header and any token field. */
function recordingFetch(base: FetchFunction, external: External): FetchFunction {
  return async (url, init) => {
    const headers = Object.fromEntries(Object.entries(init?.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'));
    const body = typeof init?.body === 'string' ? withoutToken(init.body) : '[form data]';
    external.request = { method: init?.method ?? 'GET', url: String(url), headers, body };
    const response = await base(url, init);
    // clone() is on every real Response, but not on the FetchResponse type the client accepts.
    const copy = (response as Partial<Response>).clone?.();
    external.response = {
      status: response.status,
      headers: Object.fromEntries(RECORDED_RESPONSE_HEADERS.flatMap((h) => (response.headers.get(h) === null ? [] : [[h, response.headers.get(h)!]]))),
      body: copy ? await copy.text() : '',
    };
    return response;
  };
}

function withoutToken(form: string): string {
  const params = new URLSearchParams(form);
  if (!params.has('token')) return form;
  params.delete('token');
  return params.toString();
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
  return String(error);
}

// The default ConsoleLogger writes info to stdout, which belongs to the protocol: log to stderr only.
const stderrLogger: Logger = {
  debug: () => undefined,
  info: (...msg: unknown[]) => console.error('[slack]', ...msg),
  warn: (...msg: unknown[]) => console.error('[slack]', ...msg),
  error: (...msg: unknown[]) => console.error('[slack]', ...msg),
  setLevel: () => undefined,
  getLevel: () => LogLevel.INFO,
  setName: () => undefined,
};
