import { useState } from 'react';
import { useSimulation, type Proposal } from '../../api/actions';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Hash } from '../../components/Inert';

interface AllowedAction {
  plugin: string;
  action: string;
  name?: string;
}

/**
 * What would the policy require? Evaluates a proposal against a real case (its fields feed the
 * policy's conditions) through POST …/actions:simulate, which writes nothing.
 */
export function PolicySimulator({ definition }: { definition: Record<string, unknown> }) {
  const actions = (Array.isArray(definition.actions) ? definition.actions : []) as AllowedAction[];
  const [caseId, setCaseId] = useState('');
  const [chosen, setChosen] = useState(0);
  const [input, setInput] = useState('{}');
  const [proposal, setProposal] = useState<{ caseId: string; proposal: Proposal } | undefined>();
  const [invalid, setInvalid] = useState<string | undefined>();
  const result = useSimulation(proposal?.caseId ?? '', proposal?.proposal);

  if (actions.length === 0) return null;
  return (
    <form
      className="panel"
      aria-labelledby="simulator-title"
      onSubmit={(event) => {
        event.preventDefault();
        let parsed: unknown;
        try {
          parsed = JSON.parse(input);
        } catch {
          parsed = undefined;
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          setInvalid('The input must be a JSON object, such as {"amount_minor": 75000}.');
          return;
        }
        setInvalid(undefined);
        const action = actions[chosen]!;
        setProposal({ caseId: caseId.trim().toLowerCase(), proposal: { plugin: action.plugin, action: action.action, input: parsed as Record<string, unknown> } });
      }}
    >
      <h2 id="simulator-title">Policy simulator</h2>
      <p className="hint">Pick a case of this type and an action: the answer is what the policy would require. Nothing is recorded.</p>
      <div className="form-grid">
        <div>
          <label htmlFor="simulate-case">Case id</label>
          <input id="simulate-case" required value={caseId} onChange={(e) => setCaseId(e.target.value)} />
        </div>
        <div>
          <label htmlFor="simulate-action">Action</label>
          <select id="simulate-action" value={chosen} onChange={(e) => setChosen(Number(e.target.value))}>
            {actions.map((a, i) => (
              <option key={`${a.plugin}.${a.action}`} value={i}>
                {a.name ?? a.action} ({a.plugin}.{a.action})
              </option>
            ))}
          </select>
        </div>
      </div>
      <label htmlFor="simulate-input">Input (JSON)</label>
      <textarea id="simulate-input" rows={4} value={input} onChange={(e) => setInput(e.target.value)} />
      {invalid && (
        <p className="field-error" role="alert">
          {invalid}
        </p>
      )}
      <ErrorNotice error={result.error} />
      {result.data && (
        <div className="notice" role="status">
          <p>
            <strong>Needs: {result.data.requirements?.summary ?? 'nothing'}</strong>
          </p>
          <p className="meta">
            Policy: {result.data.policy ? `${String(result.data.policy.key)} v${String(result.data.policy.version)}` : 'none'} · payload{' '}
            <Hash value={result.data.payloadHash} label="Payload hash" />
          </p>
        </div>
      )}
      <button type="submit" className="primary" disabled={result.isFetching}>
        Simulate
      </button>
    </form>
  );
}
