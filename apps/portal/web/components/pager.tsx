/** Previous / next through a server-side list, with "101–200 of 9,812". */
import type { ReactNode } from 'react';

/** Props of {@link Pager}. */
export interface PagerProps {
  readonly offset: number;
  readonly limit: number;
  readonly total: number;
  readonly onOffset: (offset: number) => void;
  /** What the list holds, for the navigation's label ("applications"). */
  readonly what: string;
}

/** Paging controls; nothing when everything fits on one page. */
export function Pager({ offset, limit, total, onOffset, what }: PagerProps): ReactNode {
  if (total <= limit && offset === 0) return null;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(total, offset + limit);
  return (
    <nav className="pager" aria-label={`Pages of ${what}`}>
      <button type="button" onClick={() => onOffset(Math.max(0, offset - limit))} disabled={offset === 0}>
        Previous
      </button>
      <span aria-live="polite">
        {first.toLocaleString('en')}–{last.toLocaleString('en')} of {total.toLocaleString('en')}
      </span>
      <button type="button" onClick={() => onOffset(offset + limit)} disabled={last >= total}>
        Next
      </button>
    </nav>
  );
}
