import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ForbiddenTargetError, guardedLookup } from './target-guard.js';

/** How much of a receiver's answer is read (then the connection is dropped): nothing of it is kept. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** What one attempt came to: the receiver's status, or a short error code (never the receiver's text). */
export type PostResult = { readonly status: number; readonly ms: number } | { readonly errorCode: string; readonly ms: number };

export interface PostOptions {
  readonly timeoutMs: number;
  readonly allowPrivateNetworks: boolean;
}

/**
 * POSTs `body` to `url` once. Redirects are not followed (a Location may point where the guard
 * forbids); the whole attempt, answer included, is bounded by the timeout; the answer's body is
 * read up to 64 KiB and discarded. Never throws.
 */
export function postWebhook(url: string, headers: Record<string, string>, body: string, options: PostOptions): Promise<PostResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const signal = AbortSignal.timeout(options.timeoutMs);
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const failed = (error: unknown) => finish({ errorCode: errorCode(error, signal), ms: ms() });
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(options.allowPrivateNetworks),
        agent: false,
        signal,
      },
      (res) => drain(res, () => finish({ status: res.statusCode ?? 0, ms: ms() }), failed),
    );
    req.on('error', failed);
    req.end(body);
  });
}

/** Reads the answer up to the cap; a receiver that answers forever is cut off there (its status stands). */
function drain(res: IncomingMessage, done: () => void, failed: (error: unknown) => void): void {
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      done(); // settled before the socket's teardown reports an error
      res.destroy();
    }
  });
  res.on('end', done);
  res.on('error', failed);
  res.on('aborted', () => failed(Object.assign(new Error('the receiver closed the connection mid-answer'), { code: 'ECONNRESET' })));
}

function errorCode(error: unknown, signal: AbortSignal): string {
  if (error instanceof ForbiddenTargetError || (error as { cause?: unknown })?.cause instanceof ForbiddenTargetError) return 'TARGET_FORBIDDEN';
  if (signal.aborted) return 'TIMEOUT';
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : 'NETWORK_ERROR';
}
