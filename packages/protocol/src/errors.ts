/** JSON-RPC 2.0 error codes, and the protocol-specific ones in the -32000 range reserved for servers. */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  UNKNOWN_ACTION: -32001,
  INVALID_INPUT: -32002,
  NOT_CONFIGURED: -32003,
  /** `webhook.receive`: the delivery failed verification (signature, timestamp); nothing was done. */
  WEBHOOK_REFUSED: -32004,
} as const;

/** One of the error codes above. */
export type RpcErrorCode = (typeof RpcErrorCode)[keyof typeof RpcErrorCode];

/** The `error` member of a JSON-RPC response. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** An error answer from the other side, or one a request handler throws to choose its code. */
export class RpcError extends Error {
  /** A JSON-RPC code: `RpcErrorCode` for ours, any integer for a peer's. */
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }

  /** The wire form; `data` only when there is some. */
  toJSON(): RpcErrorObject {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

/** A request that got no answer before its deadline. */
export class TimeoutError extends Error {
  readonly code = 'TIMEOUT' as const;

  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} got no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/** A request that cannot be answered because the transport closed (before or while it was pending). */
export class ConnectionClosedError extends Error {
  readonly code = 'CLOSED' as const;

  constructor(method: string, cause?: Error) {
    super(cause ? `connection closed before ${method} was answered: ${cause.message}` : `connection closed before ${method} was answered`, cause ? { cause } : undefined);
    this.name = 'ConnectionClosedError';
  }
}
