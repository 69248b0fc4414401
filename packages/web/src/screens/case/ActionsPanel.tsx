import { useAction, useCaseActions } from '../../api/actions';
import { useCan, useMe } from '../../api/session';
import type { Action, CaseDetail, CaseType } from '../../api/types';
import { ApprovalState } from '../../components/ApprovalState';
import { DecisionForm } from '../../components/DecisionForm';
import { ErrorNotice } from '../../components/ErrorNotice';
import { labelsOf } from '../../components/schema-form/schema-form';
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
        <ActionCard key={item.id} summary={item} nameOf={nameOf} />
      ))}
      {actions.data && actions.data.items.length === 0 && <p className="muted">No action proposed yet.</p>}
      {canPropose && actions.data && actions.data.available.length > 0 && (
        <ProposeAction detail={detail} available={actions.data.available} suggestions={actions.data.suggestions} labels={labelsOf(type?.fields)} />
      )}
    </section>
  );
}

/** One action, read in full (with this round's decisions); the decision form for those who may try. */
function ActionCard({ summary, nameOf }: { summary: Action; nameOf: Props['nameOf'] }) {
  const full = useAction(summary.id);
  const me = useMe().data;
  const canDecide = useCan('action:decide');
  const action = full.data ?? summary;
  const own = me?.user?.id === action.proposedBy;
  return (
    <article className="action-card" aria-label={`Action ${action.plugin} ${action.action}`} data-status={action.status}>
      <ApprovalState action={action} nameOf={nameOf} />
      {action.status === 'awaiting_approval' && (canDecide || own) && <DecisionForm action={action} ownProposal={own} />}
    </article>
  );
}
