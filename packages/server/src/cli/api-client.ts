import type { Command } from 'commander';
import { CliError } from './cli-error.js';

export interface Connection {
  url: string;
  token: string;
}

/** The API client the `latch case` commands use: the CLI talks to a running server, like any tool. */
export async function call(conn: Connection, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const isBytes = body instanceof Uint8Array;
  let response: Response;
  try {
    response = await fetch(new URL(path, conn.url), {
      method,
      headers: { authorization: `Bearer ${conn.token}`, ...(body !== undefined && !isBytes ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : isBytes ? body : JSON.stringify(body),
    });
  } catch (error) {
    throw new CliError(`cannot reach ${conn.url}: ${(error as Error).message}`);
  }
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    const details = error?.details === undefined ? '' : `\n${JSON.stringify(error.details, null, 2)}`;
    throw new CliError(`${response.status} ${error?.code ?? ''}: ${error?.message ?? text}${details}`, 2);
  }
  return parsed;
}

export function connection(command: Command): Connection {
  const options = command.optsWithGlobals<{ url?: string; token?: string }>();
  const url = options.url ?? process.env.LATCH_URL ?? 'http://127.0.0.1:3000';
  const token = options.token ?? process.env.LATCH_TOKEN;
  if (!token) throw new CliError('an API token is needed: --token or LATCH_TOKEN (create one with `latch token create`)');
  return { url, token };
}

/** Downloads bytes (a bundle): the API's error body becomes a CliError like any call's. */
export async function download(conn: Connection, path: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(new URL(path, conn.url), { headers: { authorization: `Bearer ${conn.token}` } });
  } catch (error) {
    throw new CliError(`cannot reach ${conn.url}: ${(error as Error).message}`);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (!response.ok) {
    const error = (JSON.parse(bytes.toString('utf8') || 'null') as { error?: { code?: string; message?: string } } | null)?.error;
    throw new CliError(`${response.status} ${error?.code ?? ''}: ${error?.message ?? ''}`, 2);
  }
  return bytes;
}
