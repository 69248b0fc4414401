import { TransportEvents, type Transport } from './transport.js';

/** The protocol's limit on one line, in bytes: anything longer is a protocol error. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Options for `stdioTransport`. */
export interface StdioTransportOptions {
  /** Overrides MAX_LINE_BYTES (tests use a small one). */
  maxLineBytes?: number;
}

/**
 * A transport over a pair of byte streams: a plugin's process.stdin/stdout, or a host's
 * child.stdout/child.stdin. Lines are split on "\n" (a trailing "\r" is JSON whitespace and left
 * alone); blank lines are skipped; a line over the limit closes the transport with an error.
 * `close()` ends the output stream and stops reading the input.
 */
export function stdioTransport(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, options: StdioTransportOptions = {}): Transport {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const events = new TransportEvents();
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  const emit = (bytes: Buffer) => {
    const line = bytes.toString('utf8');
    if (line.trim() !== '') events.emitLine(line);
  };

  const onData = (chunk: Buffer | string) => {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let newline = buffer.indexOf(0x0a, start); newline !== -1; newline = buffer.indexOf(0x0a, start)) {
      const piece = buffer.subarray(start, newline);
      start = newline + 1;
      if (pendingBytes + piece.length > maxLineBytes) return shut(tooLong(maxLineBytes));
      emit(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
      pending = [];
      pendingBytes = 0;
      if (events.closed) return; // a handler closed the transport
    }
    if (start < buffer.length) {
      const rest = buffer.subarray(start);
      // Checked before the newline arrives, so a peer cannot make us buffer without bound.
      if (pendingBytes + rest.length > maxLineBytes) return shut(tooLong(maxLineBytes));
      pending.push(rest);
      pendingBytes += rest.length;
    }
  };
  // An unterminated last line is not a message (framing is by "\n"), so EOF just closes.
  const onEnd = () => shut();
  const onError = (error: Error) => shut(error);

  function shut(error?: Error): void {
    if (events.closed) return;
    input.removeListener('data', onData);
    input.removeListener('end', onEnd);
    input.removeListener('close', onEnd);
    input.removeListener('error', onError);
    output.removeListener('error', onError);
    // Keep swallowing late stream errors (EPIPE after the child died) instead of crashing the process.
    input.on('error', () => undefined);
    output.on('error', () => undefined);
    input.pause(); // lets a plugin's event loop drain once stdin is no longer read
    pending = [];
    try {
      output.end();
    } catch {
      // already ended or destroyed: nothing to flush
    }
    events.emitClose(error);
  }

  input.on('data', onData);
  input.on('end', onEnd);
  input.on('close', onEnd);
  input.on('error', onError);
  output.on('error', onError);

  return {
    send(line) {
      if (events.closed) return;
      if (line.includes('\n')) throw new Error('a protocol line must not contain a newline');
      // No backpressure handling: messages are small and the peer reads continuously.
      output.write(`${line}\n`);
    },
    onLine: (handler) => events.onLine(handler),
    onClose: (handler) => events.onClose(handler),
    close: () => shut(),
  };
}

function tooLong(max: number): Error {
  return new Error(`protocol error: a line is longer than ${max} bytes`);
}
