import { useState } from 'react';
import { useCreateToken, useRevokeToken, useTokens } from '../../api/admin';
import { useMe } from '../../api/session';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';

/** Your API tokens: create one with scopes you hold (its secret is shown once), revoke one. */
export function TokensScreen() {
  const tokens = useTokens();
  const revoke = useRevokeToken();

  return (
    <>
      <h1>API tokens</h1>
      <p className="hint">Tokens act as you, limited to their scopes. Tokens never approve or deny actions.</p>
      <ErrorNotice error={tokens.error} />
      <ErrorNotice error={revoke.error} />
      <div className="table-wrap">
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Revoke</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(tokens.data?.items ?? []).map((token) => (
              <tr key={token.id}>
                <td>
                  {token.name} {token.revoked && <Badge tone="quiet">revoked</Badge>}
                </td>
                <td>{token.scopes?.join(', ')}</td>
                <td>
                  <When at={token.createdAt} />
                </td>
                <td>
                  <When at={token.expiresAt} />
                </td>
                <td>
                  {!token.revoked && (
                    <button type="button" className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate(token.id!)} aria-label={`Revoke ${token.name}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {tokens.data?.items?.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No tokens yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <NewTokenForm />
    </>
  );
}

function NewTokenForm() {
  const held = useMe().data?.permissions ?? [];
  const create = useCreateToken();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [expires, setExpires] = useState('');
  const secret = create.data?.token;

  return (
    <form
      className="panel"
      aria-labelledby="new-token-title"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate({ name, scopes, ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}) }, { onSuccess: () => setName('') });
      }}
    >
      <h2 id="new-token-title">New token</h2>
      <div className="form-grid">
        <div>
          <label htmlFor="token-name">Token name</label>
          <input id="token-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div>
          <label htmlFor="token-expires">Expires on (optional)</label>
          <input id="token-expires" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </div>
      </div>
      <fieldset className="choices">
        <legend>Scopes</legend>
        {held.map((permission) => (
          <label key={permission}>
            <input type="checkbox" checked={scopes.includes(permission)} onChange={(e) => setScopes(e.target.checked ? [...scopes, permission] : scopes.filter((s) => s !== permission))} />
            {permission}
          </label>
        ))}
      </fieldset>
      <ErrorNotice error={create.error} />
      {secret && (
        <div className="secret-once" role="status">
          <p>
            <strong>Copy this token now: it is not shown again.</strong>
          </p>
          <code className="hash" aria-label="New token secret">
            {secret}
          </code>
        </div>
      )}
      <button type="submit" className="primary" disabled={create.isPending || scopes.length === 0 || !name}>
        Create token
      </button>
    </form>
  );
}
