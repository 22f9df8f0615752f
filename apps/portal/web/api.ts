/**
 * The portal server's JSON API as the app uses it: same-origin fetches with the session cookie,
 * typed errors, and a hook that loads a resource and reloads it on the live event stream.
 */
import { useContext, useEffect, useState } from 'react';
import { LiveContext, UnauthorizedContext } from './live.ts';

/** A failed API call: the HTTP status and the server's message (`@beamline/errors` body). */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { message?: unknown };
    if (typeof body.message === 'string' && body.message !== '') message = body.message;
  } catch {
    // Not JSON (a proxy's error page): the status line says enough.
  }
  return new ApiError(response.status, message);
}

/** GETs `path` as JSON; throws {@link ApiError} on any non-2xx answer. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' }, ...(signal === undefined ? {} : { signal }) });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

/** POSTs to `path` with the session's CSRF token (every write needs it); throws {@link ApiError} on failure. */
export async function post(path: string, csrfToken: string): Promise<void> {
  const response = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrfToken } });
  if (!response.ok) throw await errorOf(response);
}

/** A resource being loaded: loading first, then its data or the error; `data` stays while a reload runs. */
export type Resource<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'ready'; readonly data: T; readonly reloading: boolean }
  | { readonly state: 'error'; readonly error: Error };

/**
 * Loads `load()` and loads it again whenever the event stream reports a change (the dashboard and
 * the lists stay current without polling). A reload keeps showing the last data until it answers;
 * a failed reload shows the error.
 */
export function useLiveResource<T>(key: string, load: (signal: AbortSignal) => Promise<T>): Resource<T> {
  const { version } = useContext(LiveContext);
  const unauthorized = useContext(UnauthorizedContext);
  const [resource, setResource] = useState<Resource<T>>({ state: 'loading' });
  const [loadedKey, setLoadedKey] = useState(key);
  if (loadedKey !== key) {
    // Another resource (a route change reusing the component): start over rather than show the old data.
    setLoadedKey(key);
    setResource({ state: 'loading' });
  }
  useEffect(() => {
    const controller = new AbortController();
    setResource((previous) => (previous.state === 'ready' ? { ...previous, reloading: true } : previous));
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setResource({ state: 'ready', data, reloading: false });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) unauthorized();
        setResource({ state: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => controller.abort();
    // `load` is a new function each render; the key names what it loads.
  }, [key, version]);
  return resource;
}
