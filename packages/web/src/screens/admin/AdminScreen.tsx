import { Navigate, NavLink, Outlet, useLocation } from 'react-router';
import { useMe } from '../../api/session';
import './admin.css';

/** The admin sections, each shown to those holding its permission (the server checks again). */
export const ADMIN_SECTIONS = [
  { path: 'users', label: 'Users', permission: 'user:manage' },
  { path: 'tokens', label: 'API tokens', permission: 'token:manage' },
  { path: 'delegations', label: 'Delegations', permission: 'delegation:manage' },
  { path: 'case-types', label: 'Case types', permission: 'case_type:read' },
  { path: 'plugins', label: 'Plugins', permission: 'case_type:read' },
  { path: 'deliveries', label: 'Notification deliveries', permission: 'user:manage' },
  { path: 'webhooks', label: 'Webhooks', permission: 'user:manage' },
  { path: 'quarantine', label: 'Quarantine', permission: 'intake:manage' },
] as const;

export function useAdminSections() {
  const held = new Set(useMe().data?.permissions ?? []);
  return ADMIN_SECTIONS.filter((s) => held.has(s.permission));
}

export function AdminScreen() {
  const sections = useAdminSections();
  const location = useLocation();
  if (location.pathname.replace(/\/$/, '') === '/admin' && sections[0]) return <Navigate to={`/admin/${sections[0].path}`} replace />;
  return (
    <div className="admin">
      <nav className="admin-nav panel" aria-label="Admin">
        {sections.map((s) => (
          <NavLink key={s.path} to={`/admin/${s.path}`}>
            {s.label}
          </NavLink>
        ))}
      </nav>
      <div>
        <Outlet />
      </div>
    </div>
  );
}
