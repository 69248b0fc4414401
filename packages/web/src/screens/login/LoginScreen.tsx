import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useLogin, useMe } from '../../api/session';
import { useSsoOffer } from '../../api/sso';
import { ErrorNotice } from '../../components/ErrorNotice';

/** Only same-site paths are followed after login: `?next=` must never send anyone elsewhere. */
const safeNext = (next: string | null) => (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/');

export function LoginScreen() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const me = useMe();
  const login = useLogin();
  const sso = useSsoOffer().data;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const next = safeNext(params.get('next'));
  // A refused sign-in comes back as ?sso_error=<code>: shown as its sentence, never as text from the URL.
  const ssoError = params.get('sso_error');

  if (me.data) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ email, password }, { onSuccess: () => void navigate(next, { replace: true }) });
  };

  return (
    <main id="main" className="login">
      <div className="card login-card">
        <h1 id="login-title">Log in to Latch</h1>
        {ssoError && <ErrorNotice error={{ code: ssoError }} title="Single sign-on did not complete." />}
        {sso?.enabled && sso.startUrl && (
          <>
            <a className="sso-button" href={`${sso.startUrl}?next=${encodeURIComponent(next)}`}>
              Sign in with {sso.providerName ?? 'single sign-on'}
            </a>
            <p className="login-or">or with your email and password</p>
          </>
        )}
        <form onSubmit={submit} aria-labelledby="login-title">
          <div className="form-row">
            <label htmlFor="email">Email</label>
            <input id="email" name="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
          <div className="form-row">
            <label htmlFor="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          </div>
          <ErrorNotice error={login.error} />
          <button type="submit" className="primary" disabled={login.isPending}>
            {login.isPending ? 'Logging in…' : 'Log in'}
          </button>
        </form>
      </div>
    </main>
  );
}
