/** The frame of every page once logged in: skip link, header with the user and "Log out", navigation, and the page. */
import { useState, type ReactNode } from 'react';
import { NavLink, Outlet } from 'react-router';
import { post } from './api.ts';
import { forgetAccess } from './access.ts';
import type { SessionInfo } from './types.ts';

const NAV = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/clusters', label: 'Clusters', end: false },
  { to: '/applications', label: 'Applications', end: false },
  { to: '/projects', label: 'Projects', end: false },
  { to: '/templates', label: 'Templates', end: false },
] as const;

/** The layout; `onLoggedOut` runs once the server ended the session. */
export function Layout({ session, live, onLoggedOut }: { readonly session: SessionInfo; readonly live: boolean; readonly onLoggedOut: () => void }): ReactNode {
  const [loggingOut, setLoggingOut] = useState(false);
  const [logoutError, setLogoutError] = useState<string | undefined>();
  const logOut = (): void => {
    setLoggingOut(true);
    setLogoutError(undefined);
    post('/auth/logout', session.csrfToken).then(() => {
      forgetAccess();
      onLoggedOut();
    }, (error: unknown) => {
      setLoggingOut(false);
      setLogoutError(error instanceof Error ? error.message : String(error));
    });
  };
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Beamline</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} end={item.end}>
                  {item.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="user">
          <span className={live ? 'live live-on' : 'live'}>{live ? 'Live updates on' : 'Live updates off'}</span>
          <span className="user-name">
            <span className="visually-hidden">Signed in as </span>
            {session.user}
          </span>
          <button type="button" onClick={logOut} disabled={loggingOut}>
            Log out
          </button>
        </div>
      </header>
      {logoutError === undefined ? null : (
        <p className="state state-error" role="alert">
          Could not log out: {logoutError}
        </p>
      )}
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
