import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A failure the fake answers with instead of the next request's normal result. */
export type SlackFault =
  | { readonly kind: 'error'; readonly error: string }
  | { readonly kind: 'ratelimit'; readonly retryAfter?: number }
  | { readonly kind: 'http'; readonly status: number }
  | { readonly kind: 'disconnect' }
  /** Never answer: for client timeouts. `close()` still ends the connection. */
  | { readonly kind: 'hang' };

/** One message the fake accepted, as Slack received it. */
export interface SlackMessage {
  readonly channel: string;
  readonly text: string;
  readonly ts: string;
  readonly token: string;
  readonly contentType: string;
  /** Every argument of the call (form fields decoded, JSON values kept). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** Options: which tokens and channels exist; by default any xoxb- token and any channel. */
export interface SlackServerOptions {
  readonly tokens?: readonly string[];
  readonly channels?: readonly string[];
}

/** A running fake of Slack's Web API. `url` has no trailing slash; the API lives under `url + '/api/'`. */
export interface SlackServer {
  readonly url: string;
  readonly messages: SlackMessage[];
  /** Every request that reached the fake, faults and refusals included. */
  readonly requests: { method: string; path: string }[];
  /** Queue a fault: each queued fault answers exactly one later request, in order. */
  inject(fault: SlackFault): void;
  close(): Promise<void>;
}

const BOT = { user: 'U0FAKEBOT', bot_id: 'B0FAKEBOT', app_id: 'A0FAKEAPP', team: 'T0FAKETEAM' };

/** Start the fake on 127.0.0.1 with an ephemeral port. */
export async function startSlackServer(options: SlackServerOptions = {}): Promise<SlackServer> {
  const messages: SlackMessage[] = [];
  const requests: { method: string; path: string }[] = [];
  const faults: SlackFault[] = [];
  let clock = 1_700_000_000_000_000; // microseconds, so every ts is unique and increasing

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push({ method: req.method ?? '', path });
    const raw = await readBody(req);
    const fault = faults.shift();
    if (fault?.kind === 'disconnect') return void req.socket.destroy();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'ratelimit') return send(res, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(fault.retryAfter ?? 1) });
    if (fault?.kind === 'http') return send(res, fault.status, `fake slack: HTTP ${fault.status}`);
    if (fault?.kind === 'error') return send(res, 200, { ok: false, error: fault.error });
    if (path !== '/api/chat.postMessage') return send(res, 404, { ok: false, error: 'unknown_method' });
    if (req.method !== 'POST') return send(res, 200, { ok: false, error: 'invalid_request_data' });

    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const params = parseParams(contentType, raw);
    if (!params) return send(res, 200, { ok: false, error: 'invalid_json' });
    // Slack also accepts the token as a form field; the header wins when both are present.
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof params.token === 'string' ? params.token : undefined);
    if (!token) return send(res, 200, { ok: false, error: 'not_authed' });
    const tokenOk = options.tokens ? options.tokens.includes(token) : token.startsWith('xoxb-');
    if (!tokenOk) return send(res, 200, { ok: false, error: 'invalid_auth' });
    const channel = typeof params.channel === 'string' ? params.channel : '';
    if (!channel || (options.channels && !options.channels.includes(channel))) {
      return send(res, 200, { ok: false, error: 'channel_not_found' });
    }
    const text = typeof params.text === 'string' ? params.text : '';
    if (!text && params.blocks === undefined && params.attachments === undefined) return send(res, 200, { ok: false, error: 'no_text' });
    if (text.length > 40_000) return send(res, 200, { ok: false, error: 'msg_too_long' });

    clock += 100;
    const ts = `${Math.floor(clock / 1e6)}.${String(clock % 1e6).padStart(6, '0')}`;
    const channelId = channelIdOf(channel);
    const { token: _formToken, ...args } = params;
    messages.push({ channel: channelId, text, ts, token, contentType, params: args });
    send(res, 200, { ok: true, channel: channelId, ts, message: { type: 'message', text, ts, ...BOT } });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, `fake slack crashed: ${String(error)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    requests,
    inject: (fault) => void faults.push(fault),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Slack answers with the channel's ID even when posted to by name, so names map to a stable fake ID. */
function channelIdOf(channel: string): string {
  if (/^[CDG][A-Z0-9]{8,}$/.test(channel)) return channel;
  return `C${createHash('sha256').update(channel.replace(/^#/, '')).digest('hex').slice(0, 10).toUpperCase()}`;
}

function parseParams(contentType: string, raw: string): Record<string, unknown> | undefined {
  if (contentType === 'application/json') {
    try {
      const value: unknown = JSON.parse(raw);
      return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = typeof body !== 'string';
  res.writeHead(status, { 'Content-Type': json ? 'application/json; charset=utf-8' : 'text/plain', ...headers });
  res.end(json ? JSON.stringify(body) : body);
}
