import { PassThrough } from 'node:stream';

/** A comment line keeps proxies from closing an idle stream, and is when access is checked again. */
export const HEARTBEAT_MS = 15_000;

/**
 * One text/event-stream response. Every message, heartbeats included, is sent only after `access`
 * says the reader may still have it (the session or token still works, the case is still visible);
 * the first "no" ends the stream. Messages are checked and sent in order.
 */
export class EventStream {
  readonly body = new PassThrough();
  private ended = false;
  private queue = Promise.resolve();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly cleanups: Array<() => void> = [];

  constructor(private readonly access: () => Promise<boolean>) {
    // How long a browser's EventSource waits before it reconnects (with Last-Event-ID).
    this.body.write('retry: 3000\n\n');
    this.heartbeat = setInterval(() => this.enqueue(': heartbeat\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Sends `data` (and `id`) once access still holds and, when given, `also` agrees. */
  send(data: unknown, id?: number, also?: () => Promise<boolean>): void {
    this.enqueue(`${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`, also);
  }

  /** Runs `cleanup` when the stream ends, however it ends. */
  onEnd(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.cleanups.push(cleanup);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.body.end();
  }

  private enqueue(text: string, also?: () => Promise<boolean>): void {
    this.queue = this.queue.then(async () => {
      if (this.ended) return;
      if (!(await this.access())) return this.end();
      if (also && !(await also())) return;
      this.body.write(text);
    });
  }
}
