/** A page's title: the h1 (focused on navigation, so screen readers hear the new page) and the document title. */
import { useEffect, useRef, type ReactNode } from 'react';

/**
 * Whether a title was shown already: the first page of a load keeps the browser's own focus (the
 * first Tab then reaches the skip link, as on any page); only moving to another page within the
 * app moves the focus to its heading.
 */
let titleShown = false;

/** The page's h1; also sets `document.title` to "<title> · Beamline". */
export function PageTitle({ children }: { readonly children: string }): ReactNode {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = children === 'Beamline' ? children : `${children} · Beamline`;
    if (titleShown) ref.current?.focus();
    titleShown = true;
  }, [children]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}
