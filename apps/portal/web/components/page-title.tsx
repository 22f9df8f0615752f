/** A page's title: the h1 (focused on navigation, so screen readers hear the new page) and the document title. */
import { useEffect, useRef, type ReactNode } from 'react';

/** The page's h1; also sets `document.title` to "<title> · Beamline". */
export function PageTitle({ children }: { readonly children: string }): ReactNode {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = children === 'Beamline' ? children : `${children} · Beamline`;
    ref.current?.focus();
  }, [children]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}
