/** Prints rows as an aligned table with upper-case headers, the way kubectl does. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers.map((header) => header.toUpperCase())), ...rows.map(line)].join('\n');
}

/** An error whose message is shown to the user as is, with the exit code to end with. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Output formats every read command accepts, as kubectl's `-o`. */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'name'] as const;

/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Checks a `-o` value; a wrong one is a usage error naming the flag. */
export function parseOutputFormat(value: string | undefined): OutputFormat {
  const format = value ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new CliError(`invalid value "${format}" for -o/--output: use one of ${OUTPUT_FORMATS.join(', ')}`, 2);
  }
  return format as OutputFormat;
}

/** `2026-11-21T20:00:00Z` → `5m`, `3h`, `2d`, like kubectl's AGE column. */
export function age(timestamp: Date | string | undefined, now = new Date()): string {
  if (timestamp === undefined) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(timestamp).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
