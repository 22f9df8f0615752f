/** Times as people read them: "3m ago" with the exact time on hover (and for screen readers). */
import type { ReactNode } from 'react';

/** "45s", "3m", "2h", "5d" since `iso` (relative to `now`). */
export function age(iso: string | undefined | null, now: number = Date.now()): string {
  if (iso === undefined || iso === null || iso === '') return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** A `<time>` showing the age, with the ISO time as its datetime and title. */
export function Age({ iso }: { readonly iso: string | undefined | null }): ReactNode {
  if (iso === undefined || iso === null || iso === '') return <span>—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {age(iso)} ago
    </time>
  );
}
