import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { AddCheckpointError, cosignCheckpoint, decideAddCheckpoint, inertText, parseAddCheckpoint, quoteUntrusted, type RecordedCheckpoint, type TrustedKey, type WitnessSigner } from '@latch/core';
import type { EvidenceKind, WitnessStore } from './witness-store.js';

/** A checkpoint with 63 proof lines and 100 signatures is under 20 KiB; refuse anything far larger unread. */
const MAX_BODY_BYTES = 256 * 1024;
/** How long a connection refused with 413 is kept, not read, for the client to read the reply. */
const CLOSE_GRACE_MS = 1000;
/** How much of a client's own text (a path) a reply or a log line quotes. */
const MAX_QUOTED = 100;

/** Connection limits; a held connection costs a file descriptor and up to MAX_BODY_BYTES of memory. */
export const WITNESS_SERVER_LIMITS = {
  /** The request line and headers must arrive within this. */
  headersTimeoutMs: 10_000,
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: 30_000,
  /** A connection with no traffic (an idle socket, or one kept alive between requests) is closed after this. */
  idleTimeoutMs: 30_000,
  /** Connections beyond this many are closed as soon as they are accepted. */
  maxConnections: 512,
} as const;

export interface WitnessServerOptions {
  readonly signer: WitnessSigner;
  readonly store: WitnessStore;
  /** The log keys accepted, by origin. */
  readonly logKeys: ReadonlyMap<string, readonly TrustedKey[]>;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The clock, in POSIX seconds (tests). */
  readonly now?: () => number;
  /** Defaults: WITNESS_SERVER_LIMITS (tests shorten them). */
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly maxConnections?: number;
}

/**
 * `latch witness serve`: a C2SP tlog-witness (https://c2sp.org/tlog-witness). POST /add-checkpoint
 * cosigns a checkpoint that a trusted log key signed and that extends the one it last cosigned for
 * that log; GET / says who it is. Deciding and recording happen in one synchronous step (the store
 * writes synchronously), so two requests can never both pass the check against one old size.
 *
 * It faces the internet: slow or idle connections are closed (headers, request and idle timeouts),
 * connections are capped, a body too large is refused unread and its connection closed, text a
 * client sent is quoted short and inert, and evidence is kept once per checkpoint, capped per log.
 */
export function createWitnessServer(options: WitnessServerOptions): Server {
  const headersTimeout = options.headersTimeoutMs ?? WITNESS_SERVER_LIMITS.headersTimeoutMs;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? WITNESS_SERVER_LIMITS.requestTimeoutMs, headersTimeout);
  const idleTimeout = options.idleTimeoutMs ?? WITNESS_SERVER_LIMITS.idleTimeoutMs;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: idleTimeout,
      // Node checks the headers and request timeouts at this interval (30 s by default): often enough to honour them.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 2))),
    },
    (request, response) => {
      handle(options, request, response).catch((error: unknown) => {
        options.log('error', `witness: ${(error as Error).message}`);
        if (!response.headersSent) reply(response, 500, 'the witness could not record the checkpoint; nothing was cosigned\n');
        else response.destroy();
      });
    },
  );
  // No bytes at all for this long (a connection opened and left silent, a stalled body): closed.
  server.setTimeout(idleTimeout);
  server.maxConnections = options.maxConnections ?? WITNESS_SERVER_LIMITS.maxConnections;
  return server;
}

async function handle(options: WitnessServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!;
  if (path === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
    const logs = [...options.logKeys.keys()].map((origin) => `log ${origin} ${options.store.latest(origin)?.size ?? 'none yet'}`);
    return reply(response, 200, `${options.signer.verifierKey}\n${logs.join('\n')}\n`);
  }
  if (path !== '/add-checkpoint') return reply(response, 404, `no such endpoint ${quote(path)}: POST /add-checkpoint\n`);
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return reply(response, 405, 'add-checkpoint takes POST\n');
  }
  const read = await readBody(request);
  if (read === 'aborted') {
    // The client's doing (it went away, or was too slow): not the witness's failure.
    options.log('info', 'witness: a client went away before sending the whole request');
    response.destroy();
    return;
  }
  if (read === 'too-large') return replyAndClose(request, response, 413, `the body is larger than ${MAX_BODY_BYTES} bytes\n`);
  if (!isUtf8(read)) return reply(response, 400, 'the body is not UTF-8 text\n');
  const text = read.toString('utf8');
  let parsed;
  try {
    parsed = parseAddCheckpoint(text);
  } catch (error) {
    if (error instanceof AddCheckpointError) return reply(response, 400, `${quote(error.message, 300)}\n`);
    throw error;
  }
  // From here to the reply nothing awaits: the check against the recorded size and the record are one step.
  const { store, signer } = options;
  const outcome = decideAddCheckpoint(parsed, options.logKeys, (origin) => store.latest(origin));
  if (outcome.status === 200) {
    const line = cosignCheckpoint(outcome.body, signer, options.now?.() ?? Math.floor(Date.now() / 1000));
    store.record(outcome.checkpoint);
    options.log('info', `witness: cosigned ${inertText(outcome.checkpoint.origin)} at size ${outcome.checkpoint.size}`);
    return reply(response, 200, line);
  }
  if (outcome.status === 409) {
    const origin = inertText(outcome.origin);
    if (outcome.fork) {
      const kept = keepEvidence(options, 'fork', outcome.origin, outcome.note, store.latest(outcome.origin));
      options.log('error', `witness: REFUSED a fork of ${origin}: ${outcome.reason}; ${kept}`);
    } else {
      options.log('info', `witness: ${origin}: ${outcome.reason}`);
    }
    response.setHeader('x-latch-witness-refusal', outcome.fork ? 'fork' : 'old-size');
    return reply(response, 409, `${outcome.knownSize}\n`, 'text/x.tlog.size');
  }
  const reason = quote(outcome.reason, 300);
  if (outcome.evidence === true) {
    const kept = keepEvidence(options, 'inconsistent', outcome.origin, outcome.note, store.latest(outcome.origin));
    options.log('warn', `witness: ${inertText(outcome.origin)}: ${reason}; ${kept}`);
  } else {
    options.log('info', `witness: refused (${outcome.status}): ${reason}`);
  }
  return reply(response, outcome.status, `${reason}\n`);
}

/**
 * Keeps evidence and says where, for the log line. A failure to write it is logged, not answered
 * with a 500: the refusal stands either way, and the client is owed it.
 */
function keepEvidence(options: WitnessServerOptions, kind: EvidenceKind, origin: string, note: string, recorded: RecordedCheckpoint | undefined): string {
  try {
    const result = options.store.keepEvidence(kind, origin, note, recorded);
    if (result.kept === 'new') return `evidence kept in ${result.file}`;
    if (result.kept === 'duplicate') return `this checkpoint is already kept in ${result.file}`;
    if (result.first) {
      options.log('error', `witness: ${inertText(origin)} has ${result.limit} ${kind} evidence files; no more are kept for it until some are moved out of ${options.store.dir}/evidence and the witness restarts`);
    }
    return 'evidence not kept (the limit is reached)';
  } catch (error) {
    options.log('error', `witness: could not keep the ${kind} evidence for ${inertText(origin)}: ${(error as Error).message}`);
    return 'evidence NOT kept (could not write it)';
  }
}

/** At most `max` characters of text a client sent, inert (no control, bidi or line-separator characters). */
const quote = (text: string, max = MAX_QUOTED): string => quoteUntrusted(text, max);

function reply(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * Replies and closes the connection without reading the rest of the request. The request stays
 * paused, and what it buffered is read off here: a request never read from counts as unconsumed,
 * and Node would then read and discard the whole rest of the body. So the socket stops reading once
 * the request's small buffer is full again. Once the reply is flushed Node would destroy the socket
 * at once; with the client's unread bytes queued that is a reset, which can lose the reply before
 * the client reads it: instead the reply is followed by a FIN and the socket destroyed
 * CLOSE_GRACE_MS later.
 */
function replyAndClose(request: IncomingMessage, response: ServerResponse, status: number, body: string): void {
  const socket = request.socket;
  request.pause();
  while (request.read() !== null);
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  };
  response.shouldKeepAlive = false;
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  response.end(body);
}

/**
 * The request body; 'too-large' when it is larger than MAX_BODY_BYTES (the rest is left unread,
 * the stream paused); 'aborted' when the client went away (or timed out) before its end.
 */
function readBody(request: IncomingMessage): Promise<Buffer | 'too-large' | 'aborted'> {
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: Buffer | 'too-large' | 'aborted') => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onAborted);
      request.off('close', onAborted);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.pause();
        return done('too-large');
      }
      chunks.push(chunk);
    };
    const onEnd = () => done(Buffer.concat(chunks));
    const onAborted = () => done('aborted');
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onAborted);
    request.once('close', onAborted);
  });
}
