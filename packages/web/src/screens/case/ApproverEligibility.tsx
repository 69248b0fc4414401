import type { Simulation } from '../../api/types';
import './approvers.css';

type StepApprovers = NonNullable<Simulation['approvers']>[number];

/**
 * Who could approve each step of a proposal, and every rule the others would fail ("Sam can't:
 * they edited new_iban"), as the server's simulation judged it. Names and reasons render as text.
 */
export function ApproverEligibility({ steps }: { readonly steps: readonly StepApprovers[] }) {
  if (steps.length === 0) return null;
  return (
    <div className="approver-eligibility">
      {steps.map((step) => (
        <section key={step.step} aria-label={`Who can approve: ${step.name}`}>
          <p className="small">
            <strong>Who can approve</strong> {steps.length > 1 ? step.name : ''}
          </p>
          {step.candidates.length === 0 ? (
            <p className="small muted">{step.sentence}</p>
          ) : (
            <ul className="approver-list" title={step.sentence}>
              {step.candidates.map((c) => (
                <li key={c.userId} className={c.canApprove ? 'can' : 'cannot'}>
                  <span aria-hidden="true">{c.canApprove ? '✓' : '✕'}</span> {c.name}{' '}
                  {c.canApprove ? <span className="muted">can approve</span> : <span>can’t: {c.reasons.map((r) => r.text).join(', ')}</span>}
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
    </div>
  );
}
