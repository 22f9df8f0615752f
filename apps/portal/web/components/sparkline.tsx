/**
 * A small line chart of a series over time, hand-written SVG (no chart library): the page's CSP
 * forbids style attributes, so the look is SVG attributes and CSS classes only. Screen readers get
 * the summary (first, last, lowest, highest) as the image's name; the `<title>` shows it on hover.
 */
import type { ReactNode } from 'react';
import { sparklinePoints, sparklineSummary } from './sparkline-geometry.ts';

/** Props of {@link Sparkline}. */
export interface SparklineProps {
  /** The values, oldest first; `null` is a gap (no sample). */
  readonly values: readonly (number | null)[];
  /** What the series is ("Clusters not ready"), the start of the summary. */
  readonly label: string;
  /** How a value reads ("3", "1.2 s"). */
  readonly format?: (value: number) => string;
  /** What the samples span ("over the last 12 minutes"), for the summary. */
  readonly period?: string;
  /** Drawn in the "bad" colour (not-ready counts). */
  readonly bad?: boolean;
  /** The drawing's coordinate width (it is drawn as wide as its box). */
  readonly width?: number;
  readonly height?: number;
}

/** An inline SVG sparkline with a title and an aria-label summarising the series. */
export function Sparkline({ values, label, format = String, period, bad = false, width = 160, height = 32 }: SparklineProps): ReactNode {
  const summary = sparklineSummary(label, values, format, period);
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
