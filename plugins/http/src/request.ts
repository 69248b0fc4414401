import { fetch, type Agent, type Response } from 'undici';
import { InvalidError, parseRequestInput, targetUrl, type HttpSettings, type RequestInput } from './config.js';
import { ForbiddenTargetError, pinnedAgent, resolveTarget, type ResolveAll } from './ssrf.js';

/** What was sent and received, with the auth header removed. */
export interface External {
  request?: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body: string; truncated: boolean };
}

/** The `request` action's output. */
export interface RequestOutput {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
}

/** An `action.execute` result, as the protocol defines it. */
export type ActionResult =
  | { status: 'succeeded'; summary: string; output: RequestOutput; external: External }
  | { status: 'failed'; retryable: boolean; summary: string; external: External };

/** Per-call options; the defaults suit production, tests shorten them or swap the resolver. */
export interface RequestOptions {
  readonly idempotencyKey?: string;
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
  readonly resolveAll?: ResolveAll;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const MAX_BODY_BYTES = 64 * 1024;
// Response headers worth keeping; others (Set-Cookie above all) may carry secrets.
const KEPT_RESPONSE_HEADERS = ['content-type', 'content-length', 'location', 'retry-after', 'x-request-id', 'x-correlation-id'];

/** Validate a raw `request` input and perform it; invalid input fails for good (a retry cannot fix it). */
export async function executeRequest(settings: HttpSettings, rawInput: unknown, options: RequestOptions = {}): Promise<ActionResult> {
  let input: RequestInput;
  try {
    input = parseRequestInput(rawInput);
  } catch (error) {
    if (!(error instanceof InvalidError)) throw error;
    return { status: 'failed', retryable: false, summary: `Invalid input: ${error.message}`, external: {} };
  }
  return performRequest(settings, input, options);
}

/** Send one request to baseUrl + path through the SSRF guard; never throws. */
export async function performRequest(settings: HttpSettings, input: RequestInput, options: RequestOptions = {}): Promise<ActionResult> {
  let url: URL;
  try {
    url = targetUrl(settings, input.path);
  } catch (error) {
    // Nothing was sent, so there is no exchange to record.
    return { status: 'failed', retryable: false, summary: error instanceof InvalidError ? error.message : 'path is not a valid URL path', external: {} };
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers: Record<string, string> = { 'user-agent': 'latch-plugin-http/0.1', ...input.headers };
  // The host's key is stable across retries of one approved request, so the API can drop duplicates.
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  const request = { method: input.method, url: url.href, headers: { ...headers }, ...(input.body === undefined ? {} : { body: input.body }) };
  const external: External = { request };
  const failed = (retryable: boolean, summary: string): ActionResult => ({ status: 'failed', retryable, summary, external });
  if (settings.authHeader) headers.authorization = settings.authHeader; // after the copy into external: never recorded

  const signal = AbortSignal.timeout(timeoutMs);
  let agent: Agent | undefined;
  try {
    const addresses = await untilAborted(resolveTarget(url.hostname, settings.allowPrivateNetworks, options.resolveAll), signal);
    agent = pinnedAgent(url.hostname, addresses);
    // Redirects are not followed: a Location may point anywhere, including where the guard forbids.
    const response = await fetch(url, { method: input.method, headers, body: input.body ?? null, redirect: 'manual', signal, dispatcher: agent });
    const body = await readCapped(response, options.maxBodyBytes ?? MAX_BODY_BYTES);
    const kept = Object.fromEntries(KEPT_RESPONSE_HEADERS.flatMap((h) => (response.headers.has(h) ? [[h, response.headers.get(h)!]] : [])));
    external.response = { status: response.status, headers: kept, ...body };
    return classify(input, response.status, { status: response.status, headers: kept, ...body }, external);
  } catch (error) {
    if (error instanceof ForbiddenTargetError) return failed(false, `Refused: ${error.message}`);
    if (signal.aborted) return failed(true, `${input.method} ${input.path} timed out after ${timeoutMs} ms`);
    return failed(true, `${input.method} ${input.path} failed: ${describe(error)}`);
  } finally {
    await agent?.destroy().catch(() => undefined);
  }
}

function classify(input: RequestInput, status: number, output: RequestOutput, external: External): ActionResult {
  const what = `${input.method} ${input.path} answered ${status}`;
  if ((status >= 200 && status < 300) || status === 304) return { status: 'succeeded', summary: what, output, external };
  if (status >= 300 && status < 400) {
    return { status: 'failed', retryable: false, summary: `${what}, a redirect to ${output.headers.location ?? '(no Location)'}; redirects are not followed`, external };
  }
  // 408 and 429 say "try again later"; 5xx is the server's fault; any other 4xx will not change on retry.
  return { status: 'failed', retryable: status >= 500 || status === 408 || status === 429, summary: what, external };
}

/** The body as UTF-8 text, cut at `max` bytes (the rest is not read). */
async function readCapped(response: Response, max: number): Promise<{ body: string; truncated: boolean }> {
  if (!response.body) return { body: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > max) {
      chunks.push(value.subarray(0, max - size));
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { body: new TextDecoder().decode(Buffer.concat(chunks)), truncated };
}

// dns.lookup cannot be cancelled; stop waiting for it when the request's time is up.
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause ? `${error.message} (${cause.code ?? cause.message ?? 'unknown cause'})` : error.message;
}
