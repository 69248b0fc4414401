import { ConnectionClosedError, RpcError, RpcErrorCode, TimeoutError, type RpcErrorObject } from './errors.js';
import type { Transport } from './transport.js';

/** Answers one incoming request: resolve with the result, or throw (an `RpcError` chooses the code). */
export type RequestHandler = (method: string, params: unknown) => Promise<unknown>;

/** Options for `JsonRpcPeer`. */
export interface PeerOptions {
  /** Deadline for requests that do not give their own `timeoutMs`; none when unset. */
  defaultTimeoutMs?: number;
  /** A line that is not valid JSON-RPC arrived (a host kills and restarts such a plugin). */
  onProtocolError?: (error: Error, line: string) => void;
  /** A handler threw something other than an `RpcError`; the other side only sees -32603. */
  onHandlerError?: (error: unknown, method: string) => void;
}

/** Per-request options. */
export interface RequestOptions {
  timeoutMs?: number;
}

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

type Id = number | string;

/**
 * One end of a JSON-RPC 2.0 connection over a Transport: sends requests and matches answers by
 * id (in any order, many at once), and answers the other side's requests with a handler.
 */
export class JsonRpcPeer {
  readonly #transport: Transport;
  readonly #options: PeerOptions;
  readonly #pending = new Map<Id, Pending>();
  readonly #closeHandlers: ((error?: Error) => void)[] = [];
  #handler: RequestHandler | undefined;
  #nextId = 1;
  #closed = false;

  constructor(transport: Transport, options: PeerOptions = {}) {
    this.#transport = transport;
    this.#options = options;
    transport.onLine((line) => this.#receive(line));
    transport.onClose((error) => this.#shut(error));
  }

  /** Whether the connection has closed (no more requests or answers). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Calls `method`; rejects with RpcError (error answer), TimeoutError (deadline) or ConnectionClosedError. */
  request(method: string, params?: unknown, options: RequestOptions = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ConnectionClosedError(method));
    const id = this.#nextId++;
    let line: string;
    try {
      line = JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = { method, resolve, reject };
      const timeoutMs = options.timeoutMs ?? this.#options.defaultTimeoutMs;
      if (timeoutMs !== undefined) {
        pending.timer = setTimeout(() => {
          // A late answer then finds no pending entry and is dropped.
          this.#pending.delete(id);
          reject(new TimeoutError(method, timeoutMs));
        }, timeoutMs);
      }
      this.#pending.set(id, pending);
      this.#transport.send(line);
    });
  }

  /** Sets the handler for incoming requests; without one, every request gets -32601. */
  onRequest(handler: RequestHandler): void {
    this.#handler = handler;
  }

  /** Called once when the connection closes, with the transport's error if it broke. */
  onClose(handler: (error?: Error) => void): void {
    if (this.#closed) queueMicrotask(() => handler());
    else this.#closeHandlers.push(handler);
  }

  /** Closes the transport; every pending request fails with ConnectionClosedError. */
  close(): void {
    this.#shut();
    this.#transport.close();
  }

  #shut(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new ConnectionClosedError(pending.method, error));
    }
    this.#pending.clear();
    for (const handler of this.#closeHandlers.splice(0)) handler(error);
  }

  #receive(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      // No id can be known, so there is nobody to answer: report and move on.
      return this.#protocolError('line is not valid JSON', line);
    }
    if (!isRecord(message)) return this.#protocolError('message is not a JSON object (batches are not supported)', line);
    const id = isId(message.id) ? message.id : undefined;
    if ('method' in message) {
      const { method, params } = message;
      const paramsOk = params === undefined || (typeof params === 'object' && params !== null);
      if (message.jsonrpc !== '2.0' || typeof method !== 'string' || !paramsOk) {
        this.#protocolError('invalid request', line);
        if (id !== undefined) this.#answer(id, { error: { code: RpcErrorCode.INVALID_REQUEST, message: 'Invalid Request' } });
        return;
      }
      if (!('id' in message)) return void this.#handle(undefined, method, params); // a notification
      if (id === undefined) return this.#protocolError('request id must be a string or a number', line);
      return void this.#handle(id, method, params);
    }
    if ('result' in message || 'error' in message) return this.#settle(id, message, line);
    this.#protocolError('neither a request nor a response', line);
    if (id !== undefined) this.#answer(id, { error: { code: RpcErrorCode.INVALID_REQUEST, message: 'Invalid Request' } });
  }

  #settle(id: Id | undefined, message: Record<string, unknown>, line: string): void {
    // An answer to nobody: a reply to a malformed line (id null), or one that came after its deadline.
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (id === undefined || !pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (message.jsonrpc !== '2.0' || ('result' in message && 'error' in message)) {
      this.#protocolError('invalid response', line);
      return pending.reject(new RpcError(RpcErrorCode.INVALID_REQUEST, `invalid response to ${pending.method}`));
    }
    if (!('error' in message)) return pending.resolve(message.result);
    const error = message.error;
    if (isRecord(error) && Number.isInteger(error.code) && typeof error.message === 'string') {
      return pending.reject(new RpcError(error.code as number, error.message, error.data));
    }
    this.#protocolError('malformed error object', line);
    pending.reject(new RpcError(RpcErrorCode.INTERNAL_ERROR, `malformed error answer to ${pending.method}`));
  }

  async #handle(id: Id | undefined, method: string, params: unknown): Promise<void> {
    let outcome: { result: unknown } | { error: RpcErrorObject };
    try {
      if (!this.#handler) throw new RpcError(RpcErrorCode.METHOD_NOT_FOUND, `method not found: ${method}`);
      const result = await this.#handler(method, params);
      outcome = { result: result === undefined ? null : result };
    } catch (error) {
      outcome = { error: this.#errorObject(error, method) };
    }
    if (id !== undefined) this.#answer(id, outcome);
  }

  #errorObject(error: unknown, method: string): RpcErrorObject {
    if (error instanceof RpcError) return error.toJSON();
    // Messages and stacks of unexpected errors can hold internals (paths, hosts, tokens):
    // they go to the local log hook, the other side only learns that it failed.
    this.#options.onHandlerError?.(error, method);
    return { code: RpcErrorCode.INTERNAL_ERROR, message: 'Internal error' };
  }

  #answer(id: Id, outcome: { result: unknown } | { error: RpcErrorObject }): void {
    if (this.#closed) return;
    let line: string;
    try {
      line = JSON.stringify({ jsonrpc: '2.0', id, ...outcome });
    } catch (error) {
      line = JSON.stringify({ jsonrpc: '2.0', id, error: this.#errorObject(error, 'serialize') });
    }
    this.#transport.send(line);
  }

  #protocolError(reason: string, line: string): void {
    this.#options.onProtocolError?.(new Error(`protocol error: ${reason}`), line.length > 200 ? `${line.slice(0, 200)}…` : line);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is Id {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}
