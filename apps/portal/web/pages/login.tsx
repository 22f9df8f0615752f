/** Not logged in: a plain link to the server's login (a full navigation, not a route). */
import type { ReactNode } from 'react';
import { PageTitle } from '../components/page-title.tsx';

/** The login page; `expired` after a logout or an expired session. */
export function LoginPage({ expired }: { readonly expired: boolean }): ReactNode {
  return (
    <main id="main" className="login">
      <PageTitle>Beamline</PageTitle>
      <p>{expired ? 'You are logged out.' : 'Log in with your organisation’s account to see your clusters and projects.'}</p>
      <p>
        <a className="button" href="/auth/login">
          Log in
        </a>
      </p>
    </main>
  );
}
