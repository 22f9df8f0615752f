/** The loading, empty and error states every view shows, and a wrapper that picks one for a resource. */
import type { ReactNode } from 'react';
import type { Resource } from './api.ts';

/** Shown while a view's first load runs; announced politely to screen readers. */
export function Loading({ what }: { readonly what: string }): ReactNode {
  return (
    <p className="state" role="status">
      Loading {what}…
    </p>
  );
}

/** Shown when a view's load failed; an alert, with the server's message. */
export function ErrorState({ what, error }: { readonly what: string; readonly error: Error }): ReactNode {
  return (
    <div className="state state-error" role="alert">
      <p>
        Could not load {what}: {error.message}
      </p>
    </div>
  );
}

/** Shown when a view loaded and has nothing to show. */
export function Empty({ children }: { readonly children: ReactNode }): ReactNode {
  return <p className="state state-empty">{children}</p>;
}

/** Renders `children(data)` once `resource` is ready, else its loading or error state. */
export function ResourceView<T>({ resource, what, children }: { readonly resource: Resource<T>; readonly what: string; readonly children: (data: T) => ReactNode }): ReactNode {
  if (resource.state === 'loading') return <Loading what={what} />;
  if (resource.state === 'error') return <ErrorState what={what} error={resource.error} />;
  return <div aria-busy={resource.reloading}>{children(resource.data)}</div>;
}
