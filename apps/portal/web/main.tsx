/**
 * The portal app's entry: asks `/api/session` who is logged in; without a session it shows the
 * login page, with one the layout, the routes and the live event stream. Each page's module adds
 * its routes here.
 */
import { StrictMode, useCallback, useEffect, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router';
import { getJson } from './api.ts';
import { Layout } from './layout.tsx';
import { LiveContext, UnauthorizedContext, useEventStream } from './live.ts';
import { ApplicationCreatePage } from './pages/application-create.tsx';
import { ApplicationDetailPage } from './pages/application-detail.tsx';
import { ApplicationsPage } from './pages/applications.tsx';
import { ClusterCreatePage } from './pages/cluster-create.tsx';
import { ClusterDetailPage } from './pages/cluster-detail.tsx';
import { ClustersPage } from './pages/clusters.tsx';
import { DashboardPage } from './pages/dashboard.tsx';
import { LoginPage } from './pages/login.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { ProjectDetailPage, ProjectsPage } from './pages/projects.tsx';
import { TemplateDetailPage, TemplatesPage } from './pages/templates.tsx';
import { SessionContext } from './session.ts';
import { ErrorState, Loading } from './states.tsx';
import type { SessionAnswer, SessionInfo } from './types.ts';
import './styles.css';

type SessionState = { readonly state: 'loading' } | { readonly state: 'anonymous'; readonly loggedOut: boolean } | { readonly state: 'error'; readonly error: Error } | { readonly state: 'ready'; readonly session: SessionInfo };

function App(): ReactNode {
  const [session, setSession] = useState<SessionState>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    // Not logged in is a 200 `{ authenticated: false }`, not a 401: the console stays clean before login.
    getJson<SessionAnswer>('/api/session', controller.signal).then(
      (answer) => setSession(answer.authenticated === false ? { state: 'anonymous', loggedOut: false } : { state: 'ready', session: answer }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setSession({ state: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => controller.abort();
  }, []);
  const live = useEventStream(session.state === 'ready');
  const expired = useCallback(() => setSession({ state: 'anonymous', loggedOut: true }), []);
  switch (session.state) {
    case 'loading':
      return (
        <main id="main">
          <Loading what="your session" />
        </main>
      );
    case 'error':
      return (
        <main id="main">
          <h1>Beamline</h1>
          <ErrorState what="your session" error={session.error} />
        </main>
      );
    case 'anonymous':
      return <LoginPage expired={session.loggedOut} />;
    case 'ready':
      return (
        <UnauthorizedContext value={expired}>
          <SessionContext value={session.session}>
            <LiveContext value={live}>
              <BrowserRouter>
                <Routes>
                  <Route element={<Layout session={session.session} live={live.connected} onLoggedOut={expired} />}>
                    <Route index element={<DashboardPage />} />
                    <Route path="clusters" element={<ClustersPage />} />
                    <Route path="clusters/new" element={<ClusterCreatePage />} />
                    <Route path="clusters/:namespace/:name" element={<ClusterDetailPage />} />
                    <Route path="applications" element={<ApplicationsPage />} />
                    <Route path="applications/new" element={<ApplicationCreatePage />} />
                    <Route path="applications/:namespace/:name" element={<ApplicationDetailPage />} />
                    <Route path="projects" element={<ProjectsPage />} />
                    <Route path="projects/:name" element={<ProjectDetailPage />} />
                    <Route path="templates" element={<TemplatesPage />} />
                    <Route path="templates/:name" element={<TemplateDetailPage />} />
                    <Route path="*" element={<NotFoundPage />} />
                  </Route>
                </Routes>
              </BrowserRouter>
            </LiveContext>
          </SessionContext>
        </UnauthorizedContext>
      );
  }
}

const container = document.getElementById('root');
if (container === null) throw new Error('the page has no #root element');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
