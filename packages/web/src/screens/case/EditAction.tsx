import { useMemo, useState } from 'react';
import { useEditAction } from '../../api/actions';
import type { Action, AvailableAction } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { fieldsOf, rawFrom, valuesFrom, type RawValues } from '../../components/schema-form/schema-form';
import { SchemaForm } from '../../components/schema-form/SchemaForm';

interface Props {
  readonly action: Action;
  readonly definition: AvailableAction;
  readonly labels: Record<string, string>;
  readonly onDone: () => void;
}

/**
 * The proposer edits a pending action's input, at the version on screen. Saving binds the action to
 * a new payload hash: approvals given so far stop counting, and the page says so before it happens.
 */
export function EditAction({ action, definition, labels, onDone }: Props) {
  const fields = useMemo(() => fieldsOf(definition.inputSchema, labels), [definition, labels]);
  const [raw, setRaw] = useState<RawValues>(() => rawFrom(fields, action.input));
  const [attempted, setAttempted] = useState(false);
  const edit = useEditAction(action.id, action.caseId);
  const { value, errors } = valuesFrom(fields, raw);
  const valid = Object.keys(errors).length === 0;
  const approvals = (action.decisions ?? []).filter((d) => d.decision === 'approve').length;

  return (
    <form
      className="propose"
      aria-label={`Edit the input of ${action.plugin} ${action.action}`}
      onSubmit={(event) => {
        event.preventDefault();
        setAttempted(true);
        if (valid) edit.mutate({ input: value, version: action.version }, { onSuccess: onDone });
      }}
    >
      <h3>Edit the input</h3>
      <p className="notice warn" role="note">
        Saving changes the payload and its hash: {approvals > 0 ? `the ${approvals} approval(s) given so far will be voided` : 'any approval given so far will be voided'}, and the
        policy is evaluated again.
      </p>
      <SchemaForm fields={fields} raw={raw} errors={errors} onChange={setRaw} disabled={edit.isPending} revealErrors={attempted} />
      <ErrorNotice error={edit.error} />
      <div className="buttons">
        <button type="submit" className="primary" disabled={edit.isPending}>
          Save changes
        </button>
        <button type="button" onClick={onDone} disabled={edit.isPending}>
          Keep as it is
        </button>
      </div>
    </form>
  );
}
