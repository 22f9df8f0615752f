/** A status word with a colour that says good, busy or bad, for sync, health, phase and Ready. */
import type { ReactNode } from 'react';

const GOOD = new Set(['Synced', 'Healthy', 'Running', 'True', 'Ready', 'Succeeded', 'Available']);
const BAD = new Set(['OutOfSync', 'Degraded', 'Failed', 'Error', 'False', 'Missing', 'Unhealthy', 'Stalled']);
const BUSY = new Set(['Progressing', 'Provisioning', 'Pending', 'Deleting', 'Reconciling', 'Scaling', 'Suspended']);

/** The tone of a status word: `good`, `bad`, `busy` or `neutral` (unknown words). */
export function toneOf(status: string): 'good' | 'bad' | 'busy' | 'neutral' {
  if (GOOD.has(status)) return 'good';
  if (BAD.has(status)) return 'bad';
  if (BUSY.has(status)) return 'busy';
  return 'neutral';
}

/** `status` as a badge; the word itself carries the meaning (colour is only a help). */
export function StatusBadge({ status, title }: { readonly status: string; readonly title?: string }): ReactNode {
  return (
    <span className={`badge badge-${toneOf(status)}`} {...(title === undefined || title === '' ? {} : { title })}>
      {status}
    </span>
  );
}
