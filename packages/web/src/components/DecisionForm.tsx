import { useState } from 'react';
import { useDecide } from '../api/actions';
import type { Action } from '../api/types';
import { ErrorNotice } from './ErrorNotice';

interface Props {
  readonly action: Action;
  readonly onBehalfOf?: string | null;
  /** Set when the viewer proposed the action: they are told why they can't decide before they try. */
  readonly ownProposal?: boolean;
  /** Called once the decision is recorded (the inbox then drops the item and says so). */
  readonly onDecided?: (decision: 'approve' | 'deny') => void;
}

/**
 * Approve or deny the exact payload shown (its hash goes with the decision, so a payload changed
 * meanwhile is refused rather than approved unseen). A reason is required to deny.
 */
export function DecisionForm({ action, onBehalfOf, ownProposal, onDecided }: Props) {
  const decide = useDecide(action.id, action.caseId);
  const [reason, setReason] = useState('');
  const id = `reason-${action.id}`;
  const send = (decision: 'approve' | 'deny') =>
    decide.mutate(
      { decision, payloadHash: action.payloadHash, ...(reason.trim() ? { reason: reason.trim() } : {}), ...(onBehalfOf ? { onBehalfOf } : {}) },
      { onSuccess: () => onDecided?.(decision) },
    );

  if (decide.isSuccess) return <p className="notice ok">Your decision is recorded.</p>;
  return (
    <form className="decision" onSubmit={(event) => event.preventDefault()}>
      {ownProposal && (
        <p className="notice warn">You proposed this action, so someone else must approve it. An attempt of yours is refused and recorded on the timeline.</p>
      )}
      <label htmlFor={id}>Reason</label>
      <textarea id={id} rows={2} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Why you decide this way (required to deny)" />
      <ErrorNotice error={decide.error} title="Not recorded." />
      <div className="buttons">
        <button type="button" className="primary" disabled={decide.isPending} onClick={() => send('approve')}>
          Approve
        </button>
        <button type="button" className="danger" disabled={decide.isPending || !reason.trim()} onClick={() => send('deny')}>
          Deny
        </button>
      </div>
    </form>
  );
}
