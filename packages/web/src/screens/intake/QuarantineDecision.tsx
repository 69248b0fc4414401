import { useState } from 'react';

type Decision = 'release' | 'discard';

const CONSEQUENCE: Record<Decision, string> = {
  release: 'Release it? It will be received as if it had passed: a case is opened or followed, with you named on the record.',
  discard: 'Discard it? It will not become a case and its stored content is emptied; the discard is recorded with its reason.',
};

/** Release and Discard, each asking once more before it acts. */
export function QuarantineDecision({ item, pending, onDecide }: { item: { id: string }; pending: boolean; onDecide: (decision: Decision) => void }) {
  const [asking, setAsking] = useState<Decision | undefined>();
  if (asking) {
    return (
      <div className="quarantine-confirm" role="group" aria-label={`Confirm ${asking}`}>
        <p>{CONSEQUENCE[asking]}</p>
        <button type="button" className={asking === 'discard' ? 'danger' : 'primary'} disabled={pending} onClick={() => onDecide(asking)} data-item={item.id}>
          {asking === 'release' ? 'Yes, release' : 'Yes, discard'}
        </button>{' '}
        <button type="button" onClick={() => setAsking(undefined)}>
          Cancel
        </button>
      </div>
    );
  }
  return (
    <div className="quarantine-actions">
      <button type="button" onClick={() => setAsking('release')}>
        Release
      </button>{' '}
      <button type="button" onClick={() => setAsking('discard')}>
        Discard
      </button>
    </div>
  );
}
