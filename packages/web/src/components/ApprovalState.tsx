import type { Action } from '../api/types';
import { Badge } from './Badge';
import { Hash, InertValue, When } from './Inert';

interface Props {
  readonly action: Action;
  readonly nameOf: (id: string | null | undefined) => string;
}

/** What an action will do (the exact payload and its hash), what the policy requires, and who decided what. */
export function ApprovalState({ action, nameOf }: Props) {
  const decisions = action.decisions ?? [];
  return (
    <div className="approval-state">
      <p>
        <Badge>{action.status}</Badge> <strong>{action.plugin}</strong> · <strong>{action.action}</strong>, proposed by {nameOf(action.proposedBy)}{' '}
        <When at={action.createdAt} />
      </p>
      <h4>Payload</h4>
      <InertValue value={action.input} />
      <p className="small">
        Payload hash <Hash value={action.payloadHash} label="Payload hash" />
      </p>
      <h4>Required</h4>
      <p>{action.requirements?.summary || 'Nothing: the policy approves it at once.'}</p>
      {(action.requirements?.steps?.length ?? 0) > 0 && (
        <ol className="steps">
          {action.requirements.steps.map((step) => (
            <li key={step.index} className={action.currentStep === step.index ? 'current' : undefined}>
              {step.name}: {step.count} × {step.role ? `role ${step.role}` : `team ${step.team ?? '?'}`}
              {action.currentStep === step.index && action.expiresAt && (
                <>
                  {' '}
                  · decision due <When at={action.expiresAt} />
                </>
              )}
            </li>
          ))}
        </ol>
      )}
      {action.policy && (
        <p className="small muted">
          Policy {action.policy.key} v{action.policy.version}
        </p>
      )}
      {decisions.length > 0 && (
        <>
          <h4>Decisions this round</h4>
          <ul className="decisions">
            {decisions.map((d) => (
              <li key={d.id}>
                <Badge>{d.decision === 'approve' ? 'approved' : 'denied'}</Badge> by {nameOf(d.decidedBy)}
                {d.onBehalfOf ? ` for ${nameOf(d.onBehalfOf)}` : ''} <When at={d.at} />
                {d.reason && <p className="reason">“{d.reason}”</p>}
              </li>
            ))}
          </ul>
        </>
      )}
      {action.result !== null && action.result !== undefined && (
        <>
          <h4>Result</h4>
          <InertValue value={action.result} />
        </>
      )}
    </div>
  );
}
