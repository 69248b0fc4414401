import type { Command } from 'commander';
import { CliError } from './cli-error.js';
import { currentServer, storedSession } from './session-store.js';

const DEFAULT_URL = 'http://127.0.0.1:3000';

/** How a request proves who sends it: an API token, or a person's login session (cookie and CSRF token). */
export type Credentials = { kind: 'token'; token: string } | { kind: 'session'; secret: string; csrfToken: string };

export interface Connection {
  url: string;
  credentials: Credentials;
}

/** Adds --url and --token to a command that talks to a running server. */
export function withServerOptions(command: Command): Command {
  return command
    .option('--url <url>', 'the server (default LATCH_URL, else the server of your last `latch login`, else http://127.0.0.1:3000)')
    .option('--token <token>', 'an API token (default LATCH_TOKEN, else your login session)');
}

/** The server this command talks to: --url, LATCH_URL, the server of the newest login, or the default. */
export function serverUrl(command: Command): string {
  return command.optsWithGlobals<{ url?: string }>().url ?? process.env.LATCH_URL ?? currentServer() ?? DEFAULT_URL;
}

/** Whether the command names a server (a flag, LATCH_URL or a stored login): `latch user`/`token` then use the API. */
export function namesServer(command: Command): boolean {
  return command.optsWithGlobals<{ url?: string }>().url !== undefined || Boolean(process.env.LATCH_URL) || currentServer() !== undefined;
}

/**
 * Credentials for a command: an API token (--token or LATCH_TOKEN) if given, else the login session.
 * `person: true` is for decisions, which only a person's session may make (the server refuses tokens).
 */
export function connection(command: Command, { person = false } = {}): Connection {
  const url = serverUrl(command);
  const session = storedSession(url);
  if (person) {
    if (!session) throw new CliError(`deciding needs your login session, not an API token: run \`latch login --url ${url}\` first`);
    return { url, credentials: { kind: 'session', secret: session.secret, csrfToken: session.csrfToken } };
  }
  const token = command.optsWithGlobals<{ token?: string }>().token ?? process.env.LATCH_TOKEN;
  if (token) return { url, credentials: { kind: 'token', token } };
  if (session) return { url, credentials: { kind: 'session', secret: session.secret, csrfToken: session.csrfToken } };
  throw new CliError(`log in with \`latch login --url ${url}\`, or give an API token with --token or LATCH_TOKEN`);
}

function authHeaders(conn: Connection, method: string): Record<string, string> {
  if (conn.credentials.kind === 'token') return { authorization: `Bearer ${conn.credentials.token}` };
  const cookie = { cookie: `latch_session=${conn.credentials.secret}` };
  return method === 'GET' || method === 'HEAD' ? cookie : { ...cookie, 'x-csrf-token': conn.credentials.csrfToken };
}

/** One request with the connection's credentials; the caller reads the response. */
export async function send(conn: Connection, method: string, path: string, init: { body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<Response> {
  try {
    return await fetch(new URL(path, conn.url), { method, body: init.body, headers: { ...authHeaders(conn, method), ...init.headers } });
  } catch (error) {
    throw new CliError(`cannot reach ${conn.url}: ${(error as Error).message}`);
  }
}

/** The API's refusal as one line with its stable code; exit code 2. */
export function refusal(status: number, text: string): CliError {
  let error: { code?: string; message?: string; details?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error } | null)?.error;
  } catch {
    error = undefined;
  }
  const code = error?.code ?? `HTTP_${status}`;
  const details = error?.details === undefined ? '' : ` ${JSON.stringify(error.details)}`;
  const message = (error?.message ?? text.slice(0, 200)).replace(/\s+/g, ' ');
  return new CliError(`${status} ${code}: ${message}${details}`, 2, code);
}

/** One API call: JSON in, JSON out; a refusal becomes a CliError carrying the API's stable code. */
export async function call(conn: Connection, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const isBytes = body instanceof Uint8Array;
  const response = await send(conn, method, path, {
    headers: { ...(body !== undefined && !isBytes ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : isBytes ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw refusal(response.status, text);
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    throw new CliError(`${conn.url} answered ${response.status} with something other than JSON: is it a Latch server?`);
  }
}

/** Downloads bytes (a bundle): the API's error body becomes a CliError like any call's. */
export async function download(conn: Connection, path: string): Promise<Buffer> {
  const response = await send(conn, 'GET', path);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw refusal(response.status, bytes.toString('utf8'));
  return bytes;
}
