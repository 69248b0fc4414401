import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { AddCheckpointError, cosignCheckpoint, decideAddCheckpoint, parseAddCheckpoint, type TrustedKey, type WitnessSigner } from '@latch/core';
import type { WitnessStore } from './witness-store.js';

/** A checkpoint with 63 proof lines and 100 signatures is under 20 KiB; refuse anything far larger unread. */
const MAX_BODY_BYTES = 256 * 1024;

export interface WitnessServerOptions {
  readonly signer: WitnessSigner;
  readonly store: WitnessStore;
  /** The log keys accepted, by origin. */
  readonly logKeys: ReadonlyMap<string, readonly TrustedKey[]>;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The clock, in POSIX seconds (tests). */
  readonly now?: () => number;
}

/**
 * `latch witness serve`: a C2SP tlog-witness (https://c2sp.org/tlog-witness). POST /add-checkpoint
 * cosigns a checkpoint that a trusted log key signed and that extends the one it last cosigned for
 * that log; GET / says who it is. Deciding and recording happen in one synchronous step (the store
 * writes synchronously), so two requests can never both pass the check against one old size.
 */
export function createWitnessServer(options: WitnessServerOptions): Server {
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      options.log('error', `witness: ${(error as Error).message}`);
      if (!response.headersSent) reply(response, 500, 'the witness could not record the checkpoint; nothing was cosigned\n');
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  return server;
}

async function handle(options: WitnessServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
    const logs = [...options.logKeys.keys()].map((origin) => `log ${origin} ${options.store.latest(origin)?.size ?? 'none yet'}`);
    return reply(response, 200, `${options.signer.verifierKey}\n${logs.join('\n')}\n`);
  }
  if (path !== '/add-checkpoint') return reply(response, 404, `no such endpoint ${path}: POST /add-checkpoint\n`);
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return reply(response, 405, 'add-checkpoint takes POST\n');
  }
  const body = await readBody(request);
  if (body === undefined) return reply(response, 413, `the body is larger than ${MAX_BODY_BYTES} bytes\n`);
  if (!isUtf8(body)) return reply(response, 400, 'the body is not UTF-8 text\n');
  const text = body.toString('utf8');
  let parsed;
  try {
    parsed = parseAddCheckpoint(text);
  } catch (error) {
    if (error instanceof AddCheckpointError) return reply(response, 400, `${error.message}\n`);
    throw error;
  }
  // From here to the reply nothing awaits: the check against the recorded size and the record are one step.
  const { store, signer } = options;
  const outcome = decideAddCheckpoint(parsed, options.logKeys, (origin) => store.latest(origin));
  if (outcome.status === 200) {
    const line = cosignCheckpoint(outcome.body, signer, options.now?.() ?? Math.floor(Date.now() / 1000));
    store.record(outcome.checkpoint);
    options.log('info', `witness: cosigned ${outcome.checkpoint.origin} at size ${outcome.checkpoint.size}`);
    return reply(response, 200, line);
  }
  if (outcome.status === 409) {
    if (outcome.fork) {
      const file = store.keepEvidence('fork', outcome.origin, text, store.latest(outcome.origin));
      options.log('error', `witness: REFUSED a fork of ${outcome.origin}: ${outcome.reason}; evidence kept in ${file}`);
    } else {
      options.log('info', `witness: ${outcome.origin}: ${outcome.reason}`);
    }
    response.setHeader('x-latch-witness-refusal', outcome.fork ? 'fork' : 'old-size');
    return reply(response, 409, `${outcome.knownSize}\n`, 'text/x.tlog.size');
  }
  if (outcome.evidence === true && outcome.origin !== undefined) {
    const file = store.keepEvidence('inconsistent', outcome.origin, text, store.latest(outcome.origin));
    options.log('warn', `witness: ${outcome.origin}: ${outcome.reason}; the request is kept in ${file}`);
  } else {
    options.log('info', `witness: refused (${outcome.status}): ${outcome.reason}`);
  }
  return reply(response, outcome.status, `${outcome.reason}\n`);
}

function reply(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** The request body, or undefined when it is too large (the rest is not read). */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    request.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      request.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
