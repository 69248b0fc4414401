import { createServer, type IncomingMessage, type Server } from 'node:http';

/** One request as the server received it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

/** A planned misbehaviour for the next matching request: answer late, or fail. */
export type Fault = { kind: 'delay'; ms: number; path: string } | { kind: 'status'; status: number; path: string };

/**
 * A small internal API standing in for an ERP or an access system, as Latch's HTTP plugin would
 * call it: JSON bodies, and `Idempotency-Key` honoured the way Stripe does (a request repeated with
 * a key already seen is answered from the first answer and changes nothing). `effects` counts the
 * changes really made per path, so a test can tell "asked twice" from "done twice".
 */
export interface LocalApi {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Changes applied, in order: path and body of each first (non-replayed) successful request. */
  readonly effects: { path: string; body: unknown; key: string | undefined }[];
  inject(fault: Fault): void;
  close(): Promise<void>;
}

export async function startLocalApi(port = 0): Promise<LocalApi> {
  const requests: ReceivedRequest[] = [];
  const effects: LocalApi['effects'] = [];
  const answered = new Map<string, { status: number; body: string }>();
  const faults: Fault[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // Kept as text: the test sees what arrived.
      }
      const path = req.url ?? '/';
      requests.push({ method: req.method ?? '', path, headers: req.headers, body });
      const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
      const send = (status: number, payload: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(payload);
      const replay = key ? answered.get(key) : undefined;
      if (replay) return send(replay.status, replay.body);
      const fault = faults.findIndex((f) => f.path === path);
      if (fault >= 0) {
        const [f] = faults.splice(fault, 1);
        if (f!.kind === 'status') return send(f!.status, JSON.stringify({ error: 'injected' }));
        // Applied now, answered late: the caller may give up (or die) before it hears.
        const answer = apply(path, body, key);
        setTimeout(() => send(answer.status, answer.body), f!.ms).unref();
        return;
      }
      const answer = apply(path, body, key);
      send(answer.status, answer.body);
    });
  });
  function apply(path: string, body: unknown, key: string | undefined) {
    effects.push({ path, body, key });
    const answer = { status: 200, body: JSON.stringify({ ok: true, change: effects.length }) };
    if (key) answered.set(key, answer);
    return answer;
  }
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    effects,
    inject: (fault) => void faults.push(fault),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
