import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { ApiError } from './api/client';
import { Layout } from './components/Layout';
import { InboxScreen } from './screens/approvals/InboxScreen';
import { CaseScreen } from './screens/case/CaseScreen';
import { LoginScreen } from './screens/login/LoginScreen';
import { QueueScreen } from './screens/queue/QueueScreen';

/** One route per screen; each screen's folder holds its parts. */
const router = createBrowserRouter([
  { path: '/login', element: <LoginScreen /> },
  {
    element: <Layout />,
    children: [
      { index: true, element: <QueueScreen /> },
      { path: 'cases/:id', element: <CaseScreen /> },
      { path: 'approvals', element: <InboxScreen /> },
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
