import { useState } from 'react';
import { useCreateUser, useRoles, useUsers } from '../../api/admin';
import type { User } from '../../api/types';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';
import { UserEditor } from './UserEditor';

/** Accounts: create, change roles and teams, disable, reset a password. */
export function UsersScreen() {
  const users = useUsers();
  const [selected, setSelected] = useState<string | undefined>();
  const chosen = users.data?.items?.find((u) => u.id === selected);

  return (
    <>
      <h1>Users</h1>
      <ErrorNotice error={users.error} />
      <RoleWarnings />
      <div className="table-wrap">
        <table className="admin-table stacked">
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
                <td data-label="Name">
                  {user.name} {user.disabled && <Badge tone="danger">disabled</Badge>}
                </td>
                <td data-label="Email">{user.email}</td>
                <td data-label="Roles">{user.roles?.join(', ')}</td>
                <td data-label="Teams">{user.teams?.join(', ') || <span className="muted">none</span>}</td>
                <td data-label="Since">
                  <When at={user.createdAt} />
                </td>
                <td className="row-actions">
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

/** What is wrong with the role set (roles.yaml) against the accounts: roles held but no longer defined grant nothing. */
function RoleWarnings() {
  const warnings = useRoles().data?.warnings ?? [];
  if (warnings.length === 0) return null;
  return (
    <div className="notice warn" role="status">
      <strong>Roles need attention</strong>
      <ul>
        {warnings.map((warning) => (
          <li key={warning}>{warning}</li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The roles the deployment defines (roles.yaml, from the server), each with its description and permissions.
 * A role the user holds that is no longer defined stays listed, marked, so it can be taken away.
 */
export function RoleChoices({ legend, value, onChange }: { legend: string; value: string[]; onChange: (roles: string[]) => void }) {
  const roles = useRoles();
  const defined = roles.data?.items ?? [];
  const undefinedHeld = value.filter((role) => !defined.some((d) => d.name === role));
  const toggle = (role: string, on: boolean) => onChange(on ? [...value, role] : value.filter((r) => r !== role));
  return (
    <fieldset className="choices roles">
      <legend>
        {legend} {roles.data && <span className="hint">(role set version {roles.data.version})</span>}
      </legend>
      <ErrorNotice error={roles.error} />
      {roles.isPending && <p className="hint">Loading roles…</p>}
      {defined.map((role) => (
        <label key={role.name} title={role.permissions.join(', ')}>
          <input type="checkbox" checked={value.includes(role.name)} onChange={(e) => toggle(role.name, e.target.checked)} />
          <span>
            {role.name.replace(/_/g, ' ')}
            <span className="hint role-description">{role.description}</span>
          </span>
        </label>
      ))}
      {roles.data &&
        undefinedHeld.map((role) => (
          <label key={role}>
            <input type="checkbox" checked onChange={(e) => toggle(role, e.target.checked)} />
            <span>
              {role.replace(/_/g, ' ')}
              <span className="hint role-description">No longer defined in roles.yaml: grants nothing</span>
            </span>
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
