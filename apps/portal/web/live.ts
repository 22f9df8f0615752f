/**
 * The live event stream (`GET /api/events`, server-sent events): one EventSource for the app;
 * every `change` (a Cluster, Application or Project the user may see) bumps a version that the
 * views' {@link useLiveResource} reload on, coalesced so a burst of changes is one reload.
 */
import { createContext, useEffect, useState } from 'react';

/** What the views read: a number that grows on each (coalesced) change, and whether the stream is open. */
export interface Live {
  readonly version: number;
  readonly connected: boolean;
}

/** The app's live state; version 0 and not connected outside a {@link useEventStream} provider. */
export const LiveContext = createContext<Live>({ version: 0, connected: false });

/**
 * Called when a view's request answers 401 (the session expired or was logged out elsewhere): the
 * app then shows the login page instead of an error in each view.
 */
export const UnauthorizedContext = createContext<() => void>(() => undefined);

/** Changes within this window are one reload. */
const COALESCE_MS = 500;

/** Opens the event stream while mounted; EventSource reconnects by itself after an error. */
export function useEventStream(enabled: boolean): Live {
  const [live, setLive] = useState<Live>({ version: 0, connected: false });
  useEffect(() => {
    if (!enabled) return undefined;
    const source = new EventSource('/api/events', { withCredentials: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bump = (): void => {
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        setLive((previous) => ({ ...previous, version: previous.version + 1 }));
      }, COALESCE_MS);
    };
    let wasDown = false;
    source.addEventListener('ready', () => {
      // A reconnect: changes may have been missed while the stream was down, so reload too.
      if (wasDown) bump();
      wasDown = false;
      setLive((previous) => ({ ...previous, connected: true }));
    });
    source.addEventListener('change', bump);
    source.addEventListener('error', () => {
      wasDown = true;
      setLive((previous) => ({ ...previous, connected: false }));
    });
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      source.close();
    };
  }, [enabled]);
  return live;
}
