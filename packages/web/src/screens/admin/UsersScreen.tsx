import { useState } from 'react';
import { useCreateUser, useUsers } from '../../api/admin';
import type { User } from '../../api/types';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';
import { UserEditor } from './UserEditor';

/** The built-in roles (core access/permissions.ts); the server refuses any it does not know. */
export const ROLES = ['admin', 'operator', 'refund_approver', 'auditor', 'requester'] as const;

/** Accounts: create, change roles and teams, disable, reset a password. */
export function UsersScreen() {
  const users = useUsers();
  const [selected, setSelected] = useState<string | undefined>();
  const chosen = users.data?.items?.find((u) => u.id === selected);

  return (
    <>
      <h1>Users</h1>
      <ErrorNotice error={users.error} />
      <div className="table-wrap">
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Roles</th>
              <th scope="col">Teams</th>
              <th scope="col">Since</th>
              <th scope="col">
                <span className="visually-hidden">Manage</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(users.data?.items ?? []).map((user) => (
              <tr key={user.id} aria-selected={user.id === selected}>
                <td>
                  {user.name} {user.disabled && <Badge tone="danger">disabled</Badge>}
                </td>
                <td>{user.email}</td>
                <td>{user.roles?.join(', ')}</td>
                <td>{user.teams?.join(', ') || <span className="muted">none</span>}</td>
                <td>
                  <When at={user.createdAt} />
                </td>
                <td>
                  <button type="button" onClick={() => setSelected(user.id)} aria-label={`Manage ${user.name ?? user.email}`}>
                    Manage
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {chosen && <UserEditor key={chosen.id} user={chosen as User} onDone={() => setSelected(undefined)} />}
      <NewUserForm />
    </>
  );
}

function NewUserForm() {
  const create = useCreateUser();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<string[]>(['operator']);
  const [teams, setTeams] = useState('');

  return (
    <form
      className="panel"
      aria-labelledby="new-user-title"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate(
          { email, name, roles, teams: splitList(teams), ...(password ? { password } : {}) },
          {
            onSuccess: () => {
              setEmail('');
              setName('');
              setPassword('');
              setTeams('');
            },
          },
        );
      }}
    >
      <h2 id="new-user-title">New user</h2>
      <div className="form-grid">
        <div>
          <label htmlFor="new-user-email">Email</label>
          <input id="new-user-email" type="email" required maxLength={320} value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div>
          <label htmlFor="new-user-name">Name</label>
          <input id="new-user-name" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div>
          <label htmlFor="new-user-password">Initial password</label>
          <input id="new-user-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <div>
          <label htmlFor="new-user-teams">Teams (comma-separated)</label>
          <input id="new-user-teams" value={teams} onChange={(e) => setTeams(e.target.value)} />
        </div>
      </div>
      <RoleChoices legend="Roles" value={roles} onChange={setRoles} />
      <ErrorNotice error={create.error} />
      {create.isSuccess && (
        <p className="notice ok" role="status">
          Created {create.data.email}.
        </p>
      )}
      <button type="submit" className="primary" disabled={create.isPending || roles.length === 0}>
        Create user
      </button>
    </form>
  );
}

export function RoleChoices({ legend, value, onChange }: { legend: string; value: string[]; onChange: (roles: string[]) => void }) {
  return (
    <fieldset className="choices">
      <legend>{legend}</legend>
      {ROLES.map((role) => (
        <label key={role}>
          <input type="checkbox" checked={value.includes(role)} onChange={(e) => onChange(e.target.checked ? [...value, role] : value.filter((r) => r !== role))} />
          {role.replace(/_/g, ' ')}
        </label>
      ))}
    </fieldset>
  );
}

export const splitList = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
