import { useState } from 'react';
import { useUpdateUser } from '../../api/admin';
import type { User } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { RoleChoices, splitList } from './UsersScreen';

/** One account's roles, teams and state; a new password or disabling ends their sessions and tokens. */
export function UserEditor({ user, onDone }: { user: User; onDone: () => void }) {
  const update = useUpdateUser();
  const reset = useUpdateUser();
  const [name, setName] = useState(user.name ?? '');
  const [roles, setRoles] = useState<string[]>(user.roles ?? []);
  const [teams, setTeams] = useState((user.teams ?? []).join(', '));
  const [password, setPassword] = useState('');

  return (
    <section className="panel" aria-labelledby="edit-user-title">
      <h2 id="edit-user-title">Manage {user.email}</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          update.mutate({ id: user.id!, changes: { name, roles, teams: splitList(teams) } });
        }}
      >
        <div className="form-grid">
          <div>
            <label htmlFor="edit-user-name">Name</label>
            <input id="edit-user-name" required value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div>
            <label htmlFor="edit-user-teams">Teams (comma-separated)</label>
            <input id="edit-user-teams" value={teams} onChange={(e) => setTeams(e.target.value)} />
          </div>
        </div>
        <RoleChoices legend="Roles" value={roles} onChange={setRoles} />
        <ErrorNotice error={update.error} />
        {update.isSuccess && (
          <p className="notice ok" role="status">
            Saved.
          </p>
        )}
        <div className="buttons">
          <button type="submit" className="primary" disabled={update.isPending}>
            Save changes
          </button>
          <button type="button" className={user.disabled ? '' : 'danger'} disabled={update.isPending} onClick={() => update.mutate({ id: user.id!, changes: { disabled: !user.disabled } })}>
            {user.disabled ? 'Enable account' : 'Disable account'}
          </button>
          <button type="button" onClick={onDone}>
            Close
          </button>
        </div>
      </form>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          reset.mutate({ id: user.id!, changes: { password } }, { onSuccess: () => setPassword('') });
        }}
      >
        <h3>Reset password</h3>
        <label htmlFor="reset-password">New password</label>
        <input id="reset-password" type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <p className="hint">Their sessions and API tokens end when the password changes.</p>
        <ErrorNotice error={reset.error} />
        {reset.isSuccess && (
          <p className="notice ok" role="status">
            Password reset; their sessions and tokens have ended.
          </p>
        )}
        <button type="submit" disabled={reset.isPending || !password}>
          Reset password
        </button>
      </form>
    </section>
  );
}
