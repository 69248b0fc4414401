import { describe, expect, it } from 'vitest';
import type { LiveHint } from './case-notifier.js';
import { ResumedHints } from './resumed-hints.js';

function recorder(lastSeen?: number) {
  const sent: Array<[LiveHint, number | undefined]> = [];
  return { sent, hints: new ResumedHints((hint, id) => sent.push([hint, id]), lastSeen) };
}

describe('ResumedHints', () => {
  it('a reader behind the case hears resync first, even when the late notification of a counted commit arrives before the head is read', () => {
    const { sent, hints } = recorder(1);
    hints.hint({ seq: 2, kind: 'note.added' });
    hints.caughtUp(2);
    hints.hint({ seq: 2, kind: 'note.added' });
    hints.hint({ seq: 3, kind: 'note.added' });
    expect(sent).toEqual([
      [{ seq: 2, kind: 'resync' }, 2],
      [{ seq: 3, kind: 'note.added' }, 3],
    ]);
  });

  it('a current reader is not told again what its Last-Event-ID covers', () => {
    const { sent, hints } = recorder(2);
    hints.hint({ seq: 2, kind: 'note.added' });
    hints.caughtUp(2);
    hints.hint({ seq: 3, kind: 'status.changed' });
    expect(sent).toEqual([[{ seq: 3, kind: 'status.changed' }, 3]]);
  });

  it('a fresh reader gets every hint held while subscribing, in order, and resync hints pass through', () => {
    const { sent, hints } = recorder();
    hints.hint({ seq: 4, kind: 'note.added' });
    hints.hint({ kind: 'resync' });
    hints.caughtUp(undefined);
    hints.hint({ seq: 5, kind: 'note.added' });
    expect(sent).toEqual([
      [{ seq: 4, kind: 'note.added' }, 4],
      [{ kind: 'resync' }, undefined],
      [{ seq: 5, kind: 'note.added' }, 5],
    ]);
  });
});
