import { useEffect, useMemo, useState } from 'react';
import { usePropose, useSimulation, type Proposal } from '../../api/actions';
import type { AvailableAction, CaseDetail, Suggestion } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Hash } from '../../components/Inert';
import { ApproverEligibility } from './ApproverEligibility';
import { fieldsOf, rawFrom, valuesFrom, type RawValues } from '../../components/schema-form/schema-form';
import { SchemaForm } from '../../components/schema-form/SchemaForm';

interface Props {
  readonly detail: CaseDetail;
  readonly available: readonly AvailableAction[];
  readonly suggestions: readonly Suggestion[];
  /** Labels for input properties the schema leaves unlabelled (the case type's, for fields of the same name). */
  readonly labels: Record<string, string>;
}

/** How long typing settles before the policy is asked what the input would require. */
const SIMULATE_AFTER_MS = 400;

/**
 * Propose an action the case type allows: a form from its input schema, prefilled from the
 * plugin's suggestion (or the case's fields of the same name), and, as it changes, what the
 * policy will require before it runs.
 */
export function ProposeAction({ detail, available, suggestions, labels }: Props) {
  const [chosen, setChosen] = useState(0);
  const definition = available[chosen]!;
  const fields = useMemo(() => fieldsOf(definition.inputSchema, labels), [definition, labels]);
  const [attempted, setAttempted] = useState(false);
  const suggestion = suggestions.find((s) => s.plugin === definition.plugin && s.action === definition.action);
  const [raw, setRaw] = useState<RawValues>(() => rawFrom(fields, suggestion?.suggestedInput ?? (detail.fields as Record<string, unknown>)));
  const propose = usePropose(detail.id!);
  const { value, errors } = valuesFrom(fields, raw);
  const valid = Object.keys(errors).length === 0;

  const [settled, setSettled] = useState<Proposal | undefined>(undefined);
  const proposal = JSON.stringify({ plugin: definition.plugin, action: definition.action, input: value });
  useEffect(() => {
    const timer = setTimeout(() => setSettled(valid ? (JSON.parse(proposal) as Proposal) : undefined), SIMULATE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [proposal, valid]);
  const simulation = useSimulation(detail.id!, settled);

  const choose = (index: number) => {
    const next = available[index]!;
    const nextFields = fieldsOf(next.inputSchema, labels);
    setAttempted(false);
    const nextSuggestion = suggestions.find((s) => s.plugin === next.plugin && s.action === next.action);
    setChosen(index);
    setRaw(rawFrom(nextFields, nextSuggestion?.suggestedInput ?? (detail.fields as Record<string, unknown>)));
  };

  return (
    <form
      className="propose"
      aria-labelledby="propose-title"
      onSubmit={(event) => {
        event.preventDefault();
        setAttempted(true);
        if (valid) propose.mutate({ plugin: definition.plugin, action: definition.action, input: value });
      }}
    >
      <h3 id="propose-title">Propose an action</h3>
      {available.length > 1 && (
        <div className="form-row">
          <label htmlFor="propose-which">Action</label>
          <select id="propose-which" value={chosen} onChange={(e) => choose(Number(e.target.value))}>
            {available.map((a, i) => (
              <option key={`${a.plugin}/${a.action}`} value={i}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
      )}
      <p className="muted">{definition.name}</p>
      <SchemaForm fields={fields} raw={raw} errors={errors} onChange={setRaw} disabled={propose.isPending} revealErrors={attempted} />
      <div className="simulation" aria-live="polite">
        {!valid && <p className="muted">Complete the form to see what the policy requires.</p>}
        {valid && simulation.data && (
          <>
            <p>
              <strong>{simulation.data.status === 'approved' ? 'Runs without approval.' : `Needs: ${simulation.data.requirements?.summary ?? ''}`}</strong>
            </p>
            {simulation.data.status !== 'approved' && simulation.data.approvers && <ApproverEligibility steps={simulation.data.approvers} />}
            <p className="small">
              Payload hash <Hash value={simulation.data.payloadHash} />
            </p>
          </>
        )}
        <ErrorNotice error={simulation.error} />
      </div>
      {definition.blockedBy && (
        <p className="notice warn" role="status">
          Can’t be proposed yet: tick {definition.blockedBy.items.map((item) => `“${item.label}”`).join(' and ')} on the checklist first.
        </p>
      )}
      <ErrorNotice error={propose.error} title="Not proposed." />
      {propose.isSuccess && <p className="notice ok">Proposed. It is listed above with its approval state.</p>}
      <button type="submit" className="primary" disabled={propose.isPending || Boolean(definition.blockedBy)}>
        Propose
      </button>
    </form>
  );
}
