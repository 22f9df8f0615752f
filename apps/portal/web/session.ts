/** The logged-in session as every view reads it: who, and the CSRF token writes must send. */
import { createContext, useContext } from 'react';
import type { SessionInfo } from './types.ts';

/** The session; only provided once logged in (the login page has none). */
export const SessionContext = createContext<SessionInfo | undefined>(undefined);

/** The session of a logged-in view; throws outside one (a programming error, not a user's). */
export function useSession(): SessionInfo {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useSession() outside a logged-in view');
  return session;
}
