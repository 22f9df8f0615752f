/**
 * The sparkline's numbers, without React, so the unit tests run them in Node
 * (apps/portal/src/application-model.unit.test.ts): the spoken summary and the polyline points.
 */

/**
 * The summary a screen reader hears for a sparkline: "Clusters not ready: now 2, from 0 to 3 over
 * the last 60 minutes" (`period`; "over 240 samples" without one), or "no data yet".
 */
export function sparklineSummary(label: string, values: readonly (number | null)[], format: (value: number) => string = String, period?: string): string {
  const known = values.filter((value): value is number => value !== null && Number.isFinite(value));
  if (known.length === 0) return `${label}: no data yet`;
  const last = known[known.length - 1] ?? 0;
  const low = Math.min(...known);
  const high = Math.max(...known);
  return `${label}: now ${format(last)}, ${low === high ? `steady at ${format(low)}` : `from ${format(low)} to ${format(high)}`} ${period ?? `over ${values.length} samples`}`;
}

/**
 * The polyline segments of `values` in a `width`×`height` box (one per run of known values), zero
 * at the bottom unless values go below it; a flat series sits in the middle.
 */
export function sparklinePoints(values: readonly (number | null)[], width: number, height: number): string[] {
  const known = values.filter((value): value is number => value !== null && Number.isFinite(value));
  if (known.length === 0) return [];
  const low = Math.min(0, ...known);
  const high = Math.max(...known);
  const span = high - low;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const segments: string[] = [];
  let current: string[] = [];
  values.forEach((value, index) => {
    if (value === null || !Number.isFinite(value)) {
      if (current.length > 0) segments.push(current.join(' '));
      current = [];
      return;
    }
    const y = span === 0 ? height / 2 : height - ((value - low) / span) * height;
    current.push(`${(index * step).toFixed(1)},${y.toFixed(1)}`);
  });
  if (current.length > 0) segments.push(current.join(' '));
  // A lone sample still shows: a short flat line from it.
  return segments.map((segment) => (segment.includes(' ') ? segment : `${segment} ${segment.replace(/^[^,]+/, (x) => String(Math.min(width, Number(x) + 4)))}`));
}

/** "over the last 12 minutes" for samples taken from `first` to `last` (ISO times); undefined when unknown. */
export function periodOf(first: string | undefined, last: string | undefined): string | undefined {
  if (first === undefined || last === undefined) return undefined;
  const ms = Date.parse(last) - Date.parse(first);
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return minutes === 1 ? 'over the last minute' : `over the last ${minutes} minutes`;
}
