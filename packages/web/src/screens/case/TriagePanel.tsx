import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useCaseTypes } from '../../api/cases';
import { useCan } from '../../api/session';
import { useCaseIntelligence, useDecideTriage, type CaseIntelligence } from '../../api/triage';
import type { CaseDetail } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import './triage.css';

const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
type Priority = (typeof PRIORITIES)[number];
type Suggestion = NonNullable<CaseIntelligence['suggestion']>;

/** "type refund · queue refunds · priority high". */
const triplet = (t: { caseType?: string | null; queue?: string | null; priority?: string | null }) =>
  [t.caseType && `type ${t.caseType}`, t.queue && `queue ${t.queue}`, t.priority && `priority ${t.priority}`].filter(Boolean).join(' · ');

/**
 * Triage: what the model suggests (type, queue, priority), how sure it is and why, one click to
 * accept or a choice to override; the rule that will apply for the suggested type; similar earlier
 * cases. A suggestion only informs: nothing changes until a person decides.
 */
export function TriagePanel({ caseId, detail }: { caseId: string; detail: CaseDetail }) {
  const intelligence = useCaseIntelligence(caseId);
  const decide = useDecideTriage(caseId);
  const canDecide = useCan('case:update');
  const data = intelligence.data;
  if (intelligence.isPending) return null;
  const open = data?.state === 'awaiting' || data?.state === 'suggested';

  return (
    <section className="panel triage-panel" aria-labelledby="triage-title">
      <h2 id="triage-title">Triage</h2>
      <ErrorNotice error={intelligence.error} />
      {data && (
        <>
          <SuggestionView suggestion={data.suggestion} state={data.state} />
          {open && canDecide && (
            <div className="triage-decide">
              {data.suggestion?.caseType && (
                <button type="button" className="primary" disabled={decide.isPending} onClick={() => decide.mutate({ decision: 'accept', version: detail.version! })}>
                  Accept suggestion
                </button>
              )}
              <Override detail={detail} suggestion={data.suggestion} pending={decide.isPending} onSubmit={(choice) => decide.mutate({ decision: 'override', version: detail.version!, ...choice })} />
              <ErrorNotice error={decide.error} />
            </div>
          )}
          {data.decision && !open && (
            <p className="triage-decided">
              {data.state === 'accepted' ? 'Suggestion accepted' : data.state === 'overridden' ? 'Suggestion overridden' : 'Triaged when opened'}: {triplet(data.decision)}
            </p>
          )}
          <Rules rules={data.rules} />
          <Similar similar={data.similar} />
        </>
      )}
    </section>
  );
}

function SuggestionView({ suggestion, state }: { suggestion: Suggestion | null; state: CaseIntelligence['state'] }) {
  if (!suggestion) {
    if (state === 'awaiting') return <p className="muted">No suggestion: the model is not confident enough (or not trained yet). Choose the type, queue and priority yourself.</p>;
    return null;
  }
  return (
    <div className="triage-suggestion" aria-label="Suggestion">
      <p>
        <strong>{triplet(suggestion) || 'No suggestion'}</strong>{' '}
        <span className="triage-confidence" title="Calibrated confidence in the suggested type">
          {Math.round(suggestion.confidence * 100)}% confident
        </span>
      </p>
      <p className="small muted">
        by {suggestion.provider} ({suggestion.model.id} {suggestion.model.version})
        {suggestion.fallbackFrom && ` in place of ${suggestion.fallbackFrom.provider}, which gave no usable answer (${suggestion.fallbackFrom.reason})`}
        {suggestion.personalDataSent && '; personal data was sent to it'}
      </p>
      {suggestion.explanation.length > 0 && (
        <p className="small triage-why">
          Weighed most:{' '}
          {suggestion.explanation.slice(0, 6).map((e, i) => (
            <span key={i} className="triage-feature">
              {e.feature.replace(/^[a-z]:/, '')}
            </span>
          ))}
        </p>
      )}
    </div>
  );
}

function Override({ detail, suggestion, pending, onSubmit }: { detail: CaseDetail; suggestion: Suggestion | null; pending: boolean; onSubmit: (choice: { caseType: string; queue: string; priority: Priority }) => void }) {
  const types = useCaseTypes();
  const [caseType, setCaseType] = useState(detail.type ?? '');
  const [queue, setQueue] = useState(detail.queue ?? '');
  const [priority, setPriority] = useState<Priority>((detail.priority as Priority | undefined) ?? 'normal');
  const keys = [...new Set((types.data ?? []).map((t) => t.key))];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit({ caseType, queue: queue.trim(), priority });
  };
  return (
    <details className="triage-override" open={!suggestion?.caseType}>
      <summary>{suggestion?.caseType ? 'Override' : 'Triage by hand'}</summary>
      <form onSubmit={submit} className="form-row">
        <label>
          Type
          <select value={caseType} onChange={(e) => setCaseType(e.target.value)}>
            {keys.map((key) => (
              <option key={key} value={key}>
                {key}
              </option>
            ))}
          </select>
        </label>
        <label>
          Queue
          <input value={queue} onChange={(e) => setQueue(e.target.value)} pattern="[a-z][a-z0-9_\-]{0,62}" required />
        </label>
        <label>
          Priority
          <select value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={pending}>
          {suggestion?.caseType ? 'Override' : 'Confirm triage'}
        </button>
      </form>
    </details>
  );
}

function Rules({ rules }: { rules: CaseIntelligence['rules'] }) {
  return (
    <div className="triage-rules">
      <h3>The rule that will apply ({rules.caseType})</h3>
      {rules.actions.length === 0 ? (
        <p className="small muted">This type allows no governed actions.</p>
      ) : (
        <ul>
          {rules.actions.map((rule) => (
            <li key={`${rule.plugin}.${rule.action}`}>
              <span className="small muted">{rule.name}:</span> {rule.summary}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Similar({ similar }: { similar: CaseIntelligence['similar'] }) {
  return (
    <div className="triage-similar">
      <h3>Similar cases</h3>
      {similar.length === 0 ? (
        <p className="small muted">None among the earlier cases you can see.</p>
      ) : (
        <ul>
          {similar.map((c) => (
            <li key={c.id}>
              <Link to={`/cases/${c.id}`}>{c.title}</Link> <span className="small muted">({c.type})</span> — {c.resolution}
              <span className="small muted"> · {c.reasons.join(', ')}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
