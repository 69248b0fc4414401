import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a test server received. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback HTTP server with a few canned routes; it records every request it gets. */
export interface LocalServer {
  readonly port: number;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/** Start a server on `host` (only ever 127.0.0.1 or ::1). */
export async function startLocalServer(host: '127.0.0.1' | '::1'): Promise<LocalServer> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(entry);
      route(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function route(req: Seen, res: ServerResponse): void {
  const path = req.url.split('?')[0] ?? '';
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status) return void res.writeHead(Number(status[1]), { 'Content-Type': 'text/plain', 'Retry-After': '5' }).end(`status ${status[1]}`);
  switch (path) {
    case '/echo':
      res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': 'session=should-not-be-kept', 'X-Request-Id': 'srv-1' });
      return void res.end(JSON.stringify({ method: req.method, url: req.url, body: req.body }));
    case '/redirect-metadata':
      return void res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }).end();
    case '/redirect-local':
      return void res.writeHead(307, { Location: '/secret' }).end();
    case '/big':
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return void res.end('é'.repeat(50 * 1024)); // 100 KiB of two-byte characters
    case '/hang':
      return; // never answers
    default:
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  }
}
