import { stringify } from 'yaml';
import type { Manifest } from '../render/manifest.ts';
import { compareObjects, type DiffOptions } from './diff-object.ts';
import { isRecord } from './json.ts';
import { formatUnifiedDiff } from './line-diff.ts';
import { REDACTED } from './normalize.ts';

/** Options of {@link unifiedDiff}: those of the comparison, and the context lines. */
export interface UnifiedDiffOptions extends DiffOptions {
  /** Unchanged lines around each change (default 3). */
  readonly context?: number;
}

/** What a live Secret value that differs from the desired one shows (the desired shows `<redacted>`). */
export const REDACTED_CHANGED = '<redacted (changed)>';

// Hashes of Secret values become placeholders; a live value differing from the desired one gets a
// different placeholder, so the diff still shows that (not how) it changed.
function redactData(desired: Record<string, unknown>, live: Record<string, unknown> | undefined): [unknown, unknown] {
  const desiredData = isRecord(desired.data) ? desired.data : undefined;
  const liveData = live !== undefined && isRecord(live.data) ? live.data : undefined;
  const shownDesired = desiredData === undefined ? desired : { ...desired, data: Object.fromEntries(Object.keys(desiredData).map((key) => [key, REDACTED])) };
  if (live === undefined || liveData === undefined) return [shownDesired, live];
  const shownLive = {
    ...live,
    data: Object.fromEntries(Object.entries(liveData).map(([key, value]) => [key, desiredData?.[key] === value ? REDACTED : REDACTED_CHANGED])),
  };
  return [shownDesired, shownLive];
}

function toLines(value: unknown): string[] {
  if (value === undefined) return [];
  const text = stringify(value, { sortMapEntries: true, lineWidth: 0 });
  return text.split('\n').slice(0, -1);
}

/**
 * A unified diff (`--- live`, `+++ desired`, `@@` hunks, 3 lines of context) between the YAML of
 * the normalised desired object and of the live object as far as the desired one reaches (the same
 * subset {@link diffObject} compares: live-only defaults, status and others' fields are left out),
 * with sorted keys; list elements matched by key appear in the desired order. Values that compare
 * equal are shown as the desired object writes them. Secret values are `<redacted>`. `''` when in
 * sync; all `+` lines when live is missing.
 */
export function unifiedDiff(desired: Manifest, live: Manifest | undefined, options: UnifiedDiffOptions = {}): string {
  const comparison = compareObjects(desired, live, options);
  const [shownDesired, shownLive] = comparison.secret ? redactData(comparison.desired, comparison.live) : [comparison.desired, comparison.live];
  const format = { from: 'live', to: 'desired', ...(options.context === undefined ? {} : { context: options.context }) };
  return formatUnifiedDiff(toLines(shownLive), toLines(shownDesired), format);
}
