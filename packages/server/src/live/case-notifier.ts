import { LatchError } from '@latch/core';
import type { Database } from '../db/database.js';
import { LIVE_CHANNEL } from '../db/event-store.js';

/** What a stream is told: a stream grew to `seq` (the last event's kind), or "refetch, hints may be lost". */
export type LiveHint = { readonly seq: number; readonly kind: string } | { readonly kind: 'resync' };

export interface NotifierLimits {
  /** Open live streams one user may hold (tabs, devices). */
  readonly perUser: number;
  /** Open live streams in this process. */
  readonly total: number;
}

export const DEFAULT_LIMITS: NotifierLimits = { perUser: 10, total: 1000 };

/** Subscribes to every stream's hints (the approvals badge), each with the stream it came from. */
export const ALL_STREAMS = '*';

interface Subscriber {
  readonly userId: string;
  readonly onHint: (hint: LiveHint, stream: string | undefined) => void;
}

/**
 * Fans the database's append notifications (event-store.ts NOTIFYs `{stream, seq, kind}` at
 * commit) out to the live streams open in this process. One LISTEN per process, started with the
 * first stream; every process on one PostgreSQL hears every other's commits. Bounded: a user or
 * the process past its limit is refused RATE_LIMITED rather than left to exhaust sockets.
 */
export class CaseNotifier {
  private readonly byStream = new Map<string, Set<Subscriber>>();
  private readonly perUser = new Map<string, number>();
  private total = 0;
  private listening: Promise<() => Promise<void>> | undefined;
  private closed = false;

  constructor(
    private readonly database: Database,
    private readonly limits: NotifierLimits = DEFAULT_LIMITS,
  ) {}

  /** Registers a stream's (or ALL_STREAMS') listener; resolves to the way to unsubscribe (idempotent). */
  async subscribe(stream: string, userId: string, onHint: Subscriber['onHint']): Promise<() => void> {
    if (this.closed) throw new LatchError('SHUTTING_DOWN', 'The server is shutting down; try again shortly');
    const held = this.perUser.get(userId) ?? 0;
    if (held >= this.limits.perUser) throw new LatchError('RATE_LIMITED', `At most ${this.limits.perUser} live views may be open per user; close one`);
    if (this.total >= this.limits.total) throw new LatchError('RATE_LIMITED', 'Too many live views are open on this server; try again shortly');
    const subscriber: Subscriber = { userId, onHint };
    this.perUser.set(userId, held + 1);
    this.total++;
    let set = this.byStream.get(stream);
    if (!set) this.byStream.set(stream, (set = new Set()));
    set.add(subscriber);
    let active = true;
    const unsubscribe = () => {
      if (!active) return;
      active = false;
      set.delete(subscriber);
      if (set.size === 0 && this.byStream.get(stream) === set) this.byStream.delete(stream);
      const left = (this.perUser.get(userId) ?? 1) - 1;
      if (left > 0) this.perUser.set(userId, left);
      else this.perUser.delete(userId);
      this.total--;
    };
    try {
      await this.startListening();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  /** Open streams, for tests and health. */
  get openStreams(): number {
    return this.total;
  }

  async close(): Promise<void> {
    this.closed = true;
    const stop = await this.listening?.catch(() => undefined);
    await stop?.();
  }

  private startListening(): Promise<unknown> {
    if (!this.listening) {
      this.listening = this.database.listen(LIVE_CHANNEL, {
        onPayload: (payload) => this.deliver(payload),
        onResumed: () => this.broadcast({ kind: 'resync' }),
      });
      // A failed first LISTEN (PGlite closed) is not remembered: the next stream tries again.
      this.listening.catch(() => (this.listening = undefined));
    }
    return this.listening;
  }

  private deliver(payload: string): void {
    let parsed: { stream?: unknown; seq?: unknown; kind?: unknown };
    try {
      parsed = JSON.parse(payload) as typeof parsed;
    } catch {
      return;
    }
    if (typeof parsed.stream !== 'string' || typeof parsed.seq !== 'number' || typeof parsed.kind !== 'string') return;
    const hint = { seq: parsed.seq, kind: parsed.kind };
    for (const subscriber of this.byStream.get(parsed.stream) ?? []) subscriber.onHint(hint, parsed.stream);
    for (const subscriber of this.byStream.get(ALL_STREAMS) ?? []) subscriber.onHint(hint, parsed.stream);
  }

  private broadcast(hint: LiveHint): void {
    for (const set of this.byStream.values()) for (const subscriber of set) subscriber.onHint(hint, undefined);
  }
}
