/** Any path no route matches. */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { PageTitle } from '../components/page-title.tsx';

/** "There is no page here", with a way back. */
export function NotFoundPage(): ReactNode {
  return (
    <>
      <PageTitle>Page not found</PageTitle>
      <p>
        There is no page here. <Link to="/">Go to the dashboard</Link>.
      </p>
    </>
  );
}
