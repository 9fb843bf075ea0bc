import { lazy, Suspense, type ReactNode } from 'react';
import { createBrowserRouter } from 'react-router';
import { ChatPage } from '../chat/ChatPage';
import { AppLayout } from './AppLayout';

// The chat is the first page people see: it is in the main bundle, the other sections load when opened.
const RunsPage = lazy(() => import('../runs/RunsPage'));
const RunPage = lazy(() => import('../runs/RunPage'));
// The operator's console (admins): its own chunks, never in the chat's bundle. To add a section, add a child
// route here and an entry in console/ConsoleLayout's SECTIONS.
const ConsoleLayout = lazy(() => import('../console/ConsoleLayout'));
const ConsoleHome = lazy(() => import('../console/ConsoleHome'));
const KeysPage = lazy(() => import('../console/KeysPage'));
const AgentsPage = lazy(() => import('../console/AgentsPage'));
const ProvidersPage = lazy(() => import('../console/ProvidersPage'));
const QueuesPage = lazy(() => import('../console/QueuesPage'));
const UsagePage = lazy(() => import('../console/UsagePage'));
const ModelsPage = lazy(() => import('../console/ModelsPage'));
const BenchmarksPage = lazy(() => import('../console/BenchmarksPage'));
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
      {
        path: 'console',
        element: later(<ConsoleLayout />),
        children: [
          { index: true, element: later(<ConsoleHome />) },
          { path: 'keys', element: later(<KeysPage />) },
          { path: 'agents', element: later(<AgentsPage />) },
          { path: 'providers', element: later(<ProvidersPage />) },
          { path: 'queues', element: later(<QueuesPage />) },
          { path: 'usage', element: later(<UsagePage />) },
          { path: 'models', element: later(<ModelsPage />) },
          { path: 'benchmarks', element: later(<BenchmarksPage />) },
        ],
      },
      { path: 'pipelines/manual', element: later(<ManualPipelinePage />) },
    ],
  },
]);
