/**
 * A bidirectional channel of lines (one JSON-RPC message each). `send` takes a line without its
 * terminator; handlers may be registered more than once (e.g. a peer plus an observer), and
 * `onClose` fires exactly once, with an error when the channel broke rather than ended.
 */
export interface Transport {
  send(line: string): void;
  onLine(handler: (line: string) => void): void;
  onClose(handler: (error?: Error) => void): void;
  close(): void;
}

/** Fan-out of line and close handlers with close-once semantics, shared by the transports. */
export class TransportEvents {
  readonly #lineHandlers: ((line: string) => void)[] = [];
  readonly #closeHandlers: ((error?: Error) => void)[] = [];
  #closed = false;
  #error: Error | undefined;

  get closed(): boolean {
    return this.#closed;
  }

  onLine(handler: (line: string) => void): void {
    this.#lineHandlers.push(handler);
  }

  onClose(handler: (error?: Error) => void): void {
    // Late subscribers still learn about the close, asynchronously like everyone else.
    if (this.#closed) queueMicrotask(() => handler(this.#error));
    else this.#closeHandlers.push(handler);
  }

  emitLine(line: string): void {
    if (this.#closed) return;
    for (const handler of this.#lineHandlers) handler(line);
  }

  /** Marks the channel closed; returns false when it already was. */
  emitClose(error?: Error): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.#error = error;
    for (const handler of this.#closeHandlers.splice(0)) handler(error);
    return true;
  }
}

class MemoryTransport implements Transport {
  readonly events = new TransportEvents();
  other!: MemoryTransport;

  send(line: string): void {
    if (this.events.closed) return;
    if (line.includes('\n')) throw new Error('a protocol line must not contain a newline');
    // Delivered asynchronously, in order, like bytes through a pipe: no re-entrancy surprises.
    const target = this.other;
    queueMicrotask(() => target.events.emitLine(line));
  }

  onLine(handler: (line: string) => void): void {
    this.events.onLine(handler);
  }

  onClose(handler: (error?: Error) => void): void {
    this.events.onClose(handler);
  }

  close(): void {
    if (!this.events.emitClose()) return;
    // The far end sees the close after the lines already in flight, as with a pipe's EOF.
    const target = this.other;
    queueMicrotask(() => target.events.emitClose());
  }
}

/** Two linked in-memory transports: what one sends, the other receives; closing either closes both. */
export function memoryTransportPair(): [Transport, Transport] {
  const a = new MemoryTransport();
  const b = new MemoryTransport();
  a.other = b;
  b.other = a;
  return [a, b];
}
