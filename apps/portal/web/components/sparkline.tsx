/**
 * A small line chart of a series over time, hand-written SVG (no chart library): the page's CSP
 * forbids style attributes, so the look is SVG attributes and CSS classes only. Screen readers get
 * the summary (first, last, lowest, highest) as the image's name; the `<title>` shows it on hover.
 */
import type { ReactNode } from 'react';

/** Props of {@link Sparkline}. */
export interface SparklineProps {
  /** The values, oldest first; `null` is a gap (no sample). */
  readonly values: readonly (number | null)[];
  /** What the series is ("Clusters not ready"), the start of the summary. */
  readonly label: string;
  /** How a value reads ("3", "1.2 s"). */
  readonly format?: (value: number) => string;
  /** Drawn in the "bad" colour (not-ready counts). */
  readonly bad?: boolean;
  /** The drawing's coordinate width (it is drawn as wide as its box). */
  readonly width?: number;
  readonly height?: number;
}

/** The summary a screen reader hears: "Clusters not ready: now 2, from 0 to 3 over 240 samples", or "no data yet". */
export function sparklineSummary(label: string, values: readonly (number | null)[], format: (value: number) => string = String): string {
  const known = values.filter((value): value is number => value !== null && Number.isFinite(value));
  if (known.length === 0) return `${label}: no data yet`;
  const last = known[known.length - 1] ?? 0;
  const low = Math.min(...known);
  const high = Math.max(...known);
  return `${label}: now ${format(last)}, ${low === high ? `steady at ${format(low)}` : `from ${format(low)} to ${format(high)}`} over ${values.length} samples`;
}

/**
 * The polyline segments of `values` in a `width`×`height` box (one per run of known values), the
 * lowest value at the bottom; a flat series sits in the middle.
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

/** An inline SVG sparkline with a title and an aria-label summarising the series. */
export function Sparkline({ values, label, format = String, bad = false, width = 160, height = 32 }: SparklineProps): ReactNode {
  const summary = sparklineSummary(label, values, format);
  const segments = sparklinePoints(values, width, height);
  return (
    <svg className="sparkline" role="img" aria-label={summary} width="100%" height={height + 4} viewBox={`0 -2 ${width} ${height + 4}`} preserveAspectRatio="none">
      <title>{summary}</title>
      {segments.length === 0 ? (
        <line className="sparkline-line sparkline-empty" x1={0} y1={height / 2} x2={width} y2={height / 2} />
      ) : (
        segments.map((points, index) => <polyline key={index} className={bad ? 'sparkline-line sparkline-bad' : 'sparkline-line'} points={points} />)
      )}
    </svg>
  );
}
