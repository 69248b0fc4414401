import { NavLink, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { useWaitingForMe } from '../api/actions';
import { useApprovalsLive } from '../api/live';
import { useCan, useLogout, useMe } from '../api/session';
import { ErrorNotice } from './ErrorNotice';
import { NotificationBell } from './NotificationBell';
import { useAdminSections } from '../screens/admin/AdminScreen';

/** The frame of every signed-in page; anyone not signed in is sent to the login page and back. */
export function Layout() {
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const logout = useLogout();
  const decides = useCan('action:decide');
  const waiting = useWaitingForMe(decides);
  useApprovalsLive(decides);
  const audits = useCan('audit:verify');
  const creates = useCan('case:create');
  const adminSections = useAdminSections();

  if (me.isPending) return <p className="loading">Loading…</p>;
  if (me.error) return <ErrorNotice error={me.error} />;
  if (!me.data) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;

  const count = waiting.data?.length ?? 0;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Latch</span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Queue
          </NavLink>
          {creates && <NavLink to="/cases/new">New case</NavLink>}
          {decides && (
            <NavLink to="/approvals">
              Approvals{count > 0 && <span className="count" aria-label={`${count} waiting`}>{count}</span>}
            </NavLink>
          )}
          {audits && <NavLink to="/audit">Audit</NavLink>}
          {adminSections.length > 0 && <NavLink to="/admin">{adminSections.some((s) => s.permission === 'user:manage') ? 'Admin' : 'Settings'}</NavLink>}
        </nav>
        <NotificationBell />
        <span className="me">{me.data.user?.name}</span>
        <button type="button" className="link" onClick={() => logout.mutate(undefined, { onSettled: () => void navigate('/login') })}>
          Log out
        </button>
      </header>
      <main id="main">
        <Outlet />
      </main>
    </>
  );
}
