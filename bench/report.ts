/** One row of a bench table: a metric, what was measured, and the target it is held against. */
export interface BenchRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The target from shared/targets.md, as text (e.g. `<= 5`). */
  readonly target: string;
  readonly pass: boolean;
  /** Samples behind the value, when it is a median. */
  readonly samples?: readonly number[];
}

/** What a suite returns. */
export interface BenchResult {
  readonly suite: string;
  readonly rows: readonly BenchRow[];
  /** Free text printed under the table: machine, method, caveats. */
  readonly notes?: readonly string[];
}

/** A bench suite: does its own setup, measures, cleans up. */
export type BenchSuite = () => Promise<BenchResult>;

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const round = (value: number): number => Math.round(value * 1000) / 1000;

/**
 * Prints the human table and then, as the very last line, the one JSON object of targets.md:
 * `{"suite": "...", "metrics": {"<metric>": <number>, ...}}`.
 */
export function printResult(result: BenchResult): void {
  const header = ['metric', 'value', 'target', 'ok', 'samples'];
  const rows = result.rows.map((row) => [
    row.metric,
    `${round(row.value)} ${row.unit}`,
    `${row.target} ${row.unit}`,
    row.pass ? 'yes' : 'NO',
    row.samples === undefined ? '' : row.samples.map(round).join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [`suite ${result.suite}`, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const note of result.notes ?? []) out.push(`note: ${note}`);
  process.stdout.write(`${out.join('\n')}\n`);
  const metrics = Object.fromEntries(result.rows.map((row) => [row.metric, round(row.value)]));
  process.stdout.write(`${JSON.stringify({ suite: result.suite, metrics })}\n`);
}
