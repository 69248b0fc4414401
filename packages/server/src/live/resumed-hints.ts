import type { LiveHint } from './case-notifier.js';

/**
 * One case stream's hints in order, around a reconnect's catch-up. The route subscribes before it
 * reads the case's head (so no commit falls between the two), which means a notification for a
 * commit the head already counts can arrive first, or after. Until the head is read, hints are
 * held; afterwards a hint at or below what the reader has been told (its Last-Event-ID, or the
 * resync to the head) is dropped, so a reader behind the case hears "resync" first and never a
 * seq twice.
 */
export class ResumedHints {
  private held: LiveHint[] | undefined = [];
  private told: number;

  constructor(
    private readonly send: (hint: LiveHint, id: number | undefined) => void,
    lastSeen: number | undefined,
  ) {
    this.told = lastSeen ?? 0;
  }

  hint(hint: LiveHint): void {
    if (this.held) {
      this.held.push(hint);
      return;
    }
    if ('seq' in hint) {
      if (hint.seq <= this.told) return;
      this.told = hint.seq;
    }
    this.send(hint, 'seq' in hint ? hint.seq : undefined);
  }

  /** The head as read after subscribing (undefined: not read, the reader gave no Last-Event-ID). */
  caughtUp(head: number | undefined): void {
    if (head !== undefined && head > this.told) {
      this.told = head;
      this.send({ seq: head, kind: 'resync' }, head);
    }
    const held = this.held ?? [];
    this.held = undefined;
    for (const hint of held) this.hint(hint);
  }
}
