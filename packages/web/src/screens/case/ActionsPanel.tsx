import { useAction, useCaseActions } from '../../api/actions';
import { useCan, useMe } from '../../api/session';
import type { Action, AvailableAction, CaseDetail, CaseType } from '../../api/types';
import { ApprovalState } from '../../components/ApprovalState';
import { DecisionForm } from '../../components/DecisionForm';
import { ErrorNotice } from '../../components/ErrorNotice';
import { labelsOf } from '../../components/schema-form/schema-form';
import { useState } from 'react';
import { EditAction } from './EditAction';
import { PluginWaitNotice } from './PluginWaitNotice';
import { ProposeAction } from './ProposeAction';

interface Props {
  readonly detail: CaseDetail;
  readonly type: CaseType | undefined;
  readonly nameOf: (id: string | null | undefined) => string;
}

/** Governed actions on the case: those proposed, with their approval state, and a form to propose one. */
export function ActionsPanel({ detail, type, nameOf }: Props) {
  const actions = useCaseActions(detail.id!);
  const canPropose = useCan('action:propose');

  return (
    <section className="panel" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <ErrorNotice error={actions.error} />
      {(actions.data?.items ?? []).map((item) => (
        <ActionCard
          key={item.id}
          summary={item}
          nameOf={nameOf}
          definition={actions.data?.available.find((a) => a.plugin === item.plugin && a.action === item.action)}
          labels={labelsOf(type?.fields)}
        />
      ))}
      {actions.data && actions.data.items.length === 0 && <p className="muted">No action proposed yet.</p>}
      {canPropose && actions.data && actions.data.available.length > 0 && (
        <ProposeAction detail={detail} available={actions.data.available} suggestions={actions.data.suggestions} labels={labelsOf(type?.fields)} />
      )}
    </section>
  );
}

/** Statuses in which the proposer may still change the input (approvals/edit-action.ts). */
const EDITABLE = new Set(['awaiting_approval', 'approved']);

interface CardProps {
  readonly summary: Action;
  readonly nameOf: Props['nameOf'];
  readonly definition: AvailableAction | undefined;
  readonly labels: Record<string, string>;
}

/** One action, read in full (with this round's decisions); the decision form for those who may try; the proposer may edit. */
function ActionCard({ summary, nameOf, definition, labels }: CardProps) {
  const full = useAction(summary.id);
  const me = useMe().data;
  const canDecide = useCan('action:decide');
  const [editing, setEditing] = useState(false);
  const action = full.data ?? summary;
  const own = me?.user?.id === action.proposedBy;
  const editable = own && definition !== undefined && EDITABLE.has(action.status);
  return (
    <article className="action-card" aria-label={`Action ${action.plugin} ${action.action}`} data-status={action.status}>
      {action.blockedBy && <PluginWaitNotice block={action.blockedBy} />}
      <ApprovalState action={action} nameOf={nameOf} />
      {editable && !editing && (
        <button type="button" onClick={() => setEditing(true)}>
          Edit input
        </button>
      )}
      {editable && editing && <EditAction action={action} definition={definition} labels={labels} onDone={() => setEditing(false)} />}
      {action.status === 'awaiting_approval' && !editing && (canDecide || own) && <DecisionForm action={action} ownProposal={own} />}
    </article>
  );
}
