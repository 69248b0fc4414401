import { useState } from 'react';
import { useCreateDelegation, useDelegations, useRevokeDelegation, useUsers } from '../../api/admin';
import { useUserNames } from '../../api/directory';
import { useCan, useMe } from '../../api/session';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { InertValue, When } from '../../components/Inert';

/** Delegations of your approvals (out of office): to whom, for how long, and revoking one. */
export function DelegationsScreen() {
  const delegations = useDelegations();
  const revoke = useRevokeDelegation();
  const nameOf = useUserNames();
  const me = useMe().data?.user?.id;

  return (
    <>
      <h1>Delegations</h1>
      <p className="hint">Someone you delegate to may decide in your place for a while; never on their own proposals.</p>
      <ErrorNotice error={delegations.error} />
      <ErrorNotice error={revoke.error} />
      <div className="table-wrap">
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Starts</th>
              <th scope="col">Ends</th>
              <th scope="col">Reason</th>
              <th scope="col">
                <span className="visually-hidden">Revoke</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(delegations.data?.items ?? []).map((d) => (
              <tr key={d.id}>
                <td>{nameOf(d.fromUserId)}</td>
                <td>
                  {nameOf(d.toUserId)} {d.revoked && <Badge tone="quiet">revoked</Badge>}
                </td>
                <td>
                  <When at={d.startsAt} />
                </td>
                <td>
                  <When at={d.endsAt} />
                </td>
                <td>
                  <InertValue value={d.reason} />
                </td>
                <td>
                  {!d.revoked && d.fromUserId === me && (
                    <button type="button" className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate(d.id!)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {delegations.data?.items?.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No delegations.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <NewDelegationForm />
    </>
  );
}

function NewDelegationForm() {
  const canList = useCan('user:read');
  const users = useUsers(canList);
  const me = useMe().data?.user?.id;
  const create = useCreateDelegation();
  const [to, setTo] = useState('');
  const [ends, setEnds] = useState('');
  const [reason, setReason] = useState('');

  return (
    <form
      className="panel"
      aria-labelledby="new-delegation-title"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate({ toUserId: to.trim().toLowerCase(), endsAt: new Date(ends).toISOString(), ...(reason ? { reason } : {}) });
      }}
    >
      <h2 id="new-delegation-title">Delegate my approvals</h2>
      <div className="form-grid">
        <div>
          <label htmlFor="delegate-to">To</label>
          {canList ? (
            <select id="delegate-to" required value={to} onChange={(e) => setTo(e.target.value)}>
              <option value="">Choose someone…</option>
              {(users.data?.items ?? [])
                .filter((u) => u.id !== me && !u.disabled)
                .map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name} ({u.email})
                  </option>
                ))}
            </select>
          ) : (
            <input id="delegate-to" required placeholder="User id" value={to} onChange={(e) => setTo(e.target.value)} />
          )}
        </div>
        <div>
          <label htmlFor="delegate-ends">Until (at most 90 days)</label>
          <input id="delegate-ends" type="datetime-local" required value={ends} onChange={(e) => setEnds(e.target.value)} />
        </div>
        <div>
          <label htmlFor="delegate-reason">Reason</label>
          <input id="delegate-reason" maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
      </div>
      <ErrorNotice error={create.error} />
      <button type="submit" className="primary" disabled={create.isPending || !to || !ends}>
        Delegate
      </button>
    </form>
  );
}
