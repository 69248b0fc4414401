import { useState, type FormEvent } from 'react';
import { usePreferences, useSavePreferences, type Preferences } from '../../api/notifications';
import { ErrorNotice } from '../../components/ErrorNotice';

const KINDS: readonly { key: keyof Preferences['email']; label: string }[] = [
  { key: 'approval_waiting', label: 'An approval waits for me' },
  { key: 'proposal_approved', label: 'My proposal was approved' },
  { key: 'proposal_denied', label: 'My proposal was denied' },
  { key: 'proposal_expired', label: 'My proposal expired' },
  { key: 'proposal_executed', label: 'My proposal was executed' },
  { key: 'proposal_failed', label: 'My proposal failed' },
  { key: 'case_assigned', label: 'A case was assigned to me' },
  { key: 'sla_at_risk', label: 'A case of mine is about to breach its SLA' },
  { key: 'sla_breached', label: 'A case of mine breached its SLA' },
  { key: 'sla_escalated', label: 'An escalation rule names me or my queue' },
];

/** Which notifications go by email and Slack, the daily digest, and my Slack member id. The list here always has them all. */
export function PreferencesForm() {
  const saved = usePreferences();
  if (!saved.data) return <ErrorNotice error={saved.error} />;
  return <Form saved={saved.data} />;
}

function Form({ saved }: { saved: Preferences }) {
  const save = useSavePreferences();
  const [email, setEmail] = useState(saved.email);
  const [slack, setSlack] = useState(saved.slack);
  const [digest, setDigest] = useState(saved.digest === 'daily');
  const [memberId, setMemberId] = useState(saved.slackMemberId ?? '');
  const channels = saved.channels;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ email, slack, digest: digest ? 'daily' : 'off', slackMemberId: memberId.trim() === '' ? null : memberId.trim() });
  };

  return (
    <form className="panel preferences" aria-labelledby="preferences-title" onSubmit={submit}>
      <h2 id="preferences-title">Delivery preferences</h2>
      {!channels?.email && !channels?.slack && <p className="hint">This deployment sends no email or Slack messages: notifications appear here only.</p>}
      <table className="preference-table">
        <thead>
          <tr>
            <th scope="col">Tell me when</th>
            <th scope="col">Email</th>
            <th scope="col">Slack</th>
          </tr>
        </thead>
        <tbody>
          {KINDS.map((kind) => (
            <tr key={kind.key}>
              <th scope="row">{kind.label}</th>
              <td>
                <input type="checkbox" aria-label={`${kind.label}: email`} checked={email?.[kind.key] ?? true} disabled={!channels?.email} onChange={(e) => setEmail({ ...email, [kind.key]: e.target.checked })} />
              </td>
              <td>
                <input type="checkbox" aria-label={`${kind.label}: Slack`} checked={slack?.[kind.key] ?? true} disabled={!channels?.slack} onChange={(e) => setSlack({ ...slack, [kind.key]: e.target.checked })} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <label className="check">
        <input type="checkbox" checked={digest} onChange={(e) => setDigest(e.target.checked)} /> One daily digest instead of a message each time
      </label>
      <label>
        Slack member id
        <input value={memberId} onChange={(e) => setMemberId(e.target.value)} placeholder="U0123ABCD" pattern="[UW][A-Z0-9]{2,20}" disabled={!channels?.slack} />
      </label>
      <ErrorNotice error={save.error} />
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          Save preferences
        </button>
        {save.isSuccess && <span role="status">Saved.</span>}
      </div>
    </form>
  );
}
