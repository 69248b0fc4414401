import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { ApiError } from './api/client';
import { Layout } from './components/Layout';
import { AdminScreen } from './screens/admin/AdminScreen';
import { CaseTypesScreen } from './screens/admin/CaseTypesScreen';
import { DelegationsScreen } from './screens/admin/DelegationsScreen';
import { PluginsScreen } from './screens/admin/PluginsScreen';
import { TokensScreen } from './screens/admin/TokensScreen';
import { UsersScreen } from './screens/admin/UsersScreen';
import { WebhooksScreen } from './screens/admin/WebhooksScreen';
import { InboxScreen } from './screens/approvals/InboxScreen';
import { AuditScreen } from './screens/audit/AuditScreen';
import { CaseScreen } from './screens/case/CaseScreen';
import { LoginScreen } from './screens/login/LoginScreen';
import { NewCaseScreen } from './screens/new-case/NewCaseScreen';
import { DeliveriesScreen } from './screens/notifications/DeliveriesScreen';
import { NotificationsScreen } from './screens/notifications/NotificationsScreen';
import { QuarantineScreen } from './screens/intake/QuarantineScreen';
import { QueueScreen } from './screens/queue/QueueScreen';

/** One route per screen; each screen's folder holds its parts. */
const router = createBrowserRouter([
  { path: '/login', element: <LoginScreen /> },
  {
    element: <Layout />,
    children: [
      { index: true, element: <QueueScreen /> },
      { path: 'cases/new', element: <NewCaseScreen /> },
      { path: 'cases/:id', element: <CaseScreen /> },
      { path: 'approvals', element: <InboxScreen /> },
      { path: 'audit', element: <AuditScreen /> },
      { path: 'notifications', element: <NotificationsScreen /> },
      {
        path: 'admin',
        element: <AdminScreen />,
        children: [
          { path: 'users', element: <UsersScreen /> },
          { path: 'tokens', element: <TokensScreen /> },
          { path: 'delegations', element: <DelegationsScreen /> },
          { path: 'case-types', element: <CaseTypesScreen /> },
          { path: 'plugins', element: <PluginsScreen /> },
          { path: 'deliveries', element: <DeliveriesScreen /> },
          { path: 'webhooks', element: <WebhooksScreen /> },
          { path: 'quarantine', element: <QuarantineScreen /> },
        ],
      },
      { path: '*', element: <p>There is no page here.</p> },
    ],
  },
]);

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal or a missing case will not change by asking again; an outage might.
      retry: (failures, error) => failures < 2 && (!(error instanceof ApiError) || error.status === 0 || error.status >= 500),
      refetchOnWindowFocus: true,
    },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
