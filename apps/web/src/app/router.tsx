import { lazy, Suspense, type ReactNode } from 'react';
import { createBrowserRouter } from 'react-router';
import { ChatPage } from '../chat/ChatPage';
import { AppLayout } from './AppLayout';

// The chat is the first page people see: it is in the main bundle, the other sections load when opened.
const RunsPage = lazy(() => import('../runs/RunsPage'));
const RunPage = lazy(() => import('../runs/RunPage'));
const ManualPipelinePage = lazy(() => import('../pipelines/ManualPipelinePage'));

const later = (page: ReactNode) => <Suspense fallback={<p className="boot">Loading…</p>}>{page}</Suspense>;

export const router = createBrowserRouter([
  {
    path: '/',
    element: <AppLayout />,
    children: [
      { index: true, element: <ChatPage /> },
      { path: 'chat/:conversationId', element: <ChatPage /> },
      { path: 'runs', element: later(<RunsPage />) },
      { path: 'runs/:runId', element: later(<RunPage />) },
      { path: 'pipelines/manual', element: later(<ManualPipelinePage />) },
    ],
  },
]);
