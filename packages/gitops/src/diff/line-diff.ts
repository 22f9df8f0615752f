/** One line of an edit script: kept (`' '`), removed from the old text (`'-'`), added (`'+'`). */
export interface LineEdit {
  readonly op: ' ' | '-' | '+';
  readonly line: string;
}

// Past this many differing lines (after trimming the common head and tail) Myers' trace would
// grow quadratically; the middle is then shown as all removed and all added, which is still a
// correct diff, only not a minimal one.
const MAX_EDIT_DISTANCE = 2000;

/**
 * A shortest edit script from `a` to `b` (Myers' O(ND) algorithm, "An O(ND) Difference Algorithm
 * and Its Variations", 1986), after trimming the common prefix and suffix.
 */
export function diffLines(a: readonly string[], b: readonly string[]): LineEdit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const keep = (lines: readonly string[]): LineEdit[] => lines.map((line) => ({ op: ' ', line }));
  const middle = myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail));
  return [...keep(a.slice(0, head)), ...middle, ...keep(a.slice(a.length - tail))];
}

function myers(a: readonly string[], b: readonly string[]): LineEdit[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  if (max === 0) return [];
  const offset = max + 1;
  // v[k + offset]: the furthest x reached on diagonal k (y = x - k).
  const v = new Int32Array(2 * max + 3);
  // trace[d]: v for diagonals -d..d after step d, for walking back.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(max, MAX_EDIT_DISTANCE); d++) {
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[k - 1 + offset] ?? 0) < (v[k + 1 + offset] ?? 0));
      let x = down ? (v[k + 1 + offset] ?? 0) : (v[k - 1 + offset] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[k + offset] = x;
      if (x >= n && y >= m) {
        trace.push(v.slice(offset - d, offset + d + 1));
        return backtrack(trace, a, b);
      }
    }
    trace.push(v.slice(offset - d, offset + d + 1));
  }
  return [...a.map((line): LineEdit => ({ op: '-', line })), ...b.map((line): LineEdit => ({ op: '+', line }))];
}

function backtrack(trace: readonly Int32Array[], a: readonly string[], b: readonly string[]): LineEdit[] {
  const edits: LineEdit[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d > 0; d--) {
    const previous = trace[d - 1] ?? new Int32Array();
    const at = (k: number): number => previous[k + d - 1] ?? 0;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const previousK = down ? k + 1 : k - 1;
    const previousX = at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      edits.push({ op: ' ', line: a[x - 1] ?? '' });
      x--;
      y--;
    }
    if (down) edits.push({ op: '+', line: b[y - 1] ?? '' });
    else edits.push({ op: '-', line: a[x - 1] ?? '' });
    x = previousX;
    y = previousY;
  }
  while (x > 0 && y > 0) {
    edits.push({ op: ' ', line: a[x - 1] ?? '' });
    x--;
    y--;
  }
  return edits.reverse();
}

/** Options of {@link formatUnifiedDiff}. */
export interface UnifiedDiffFormat {
  /** The name on the `---` line. */
  readonly from: string;
  /** The name on the `+++` line. */
  readonly to: string;
  /** Unchanged lines shown around each change (default 3). */
  readonly context?: number;
}

// GNU diff's range: `start,count`, `start` alone when count is 1, and for an empty range the line
// before it.
function range(start: number, count: number): string {
  if (count === 0) return `${start},0`;
  if (count === 1) return `${start + 1}`;
  return `${start + 1},${count}`;
}

/**
 * A unified diff of two texts given as lines (`--- from`, `+++ to`, `@@ -a,b +c,d @@` hunks with
 * `context` lines around changes, hunks closer than twice that merged). `''` when they are equal.
 */
export function formatUnifiedDiff(a: readonly string[], b: readonly string[], format: UnifiedDiffFormat): string {
  const context = format.context ?? 3;
  const edits = diffLines(a, b);
  const changed = edits.flatMap((edit, index) => (edit.op === ' ' ? [] : [index]));
  if (changed.length === 0) return '';
  // Group changed edits into hunks: a gap of more than 2 * context unchanged lines starts a new one.
  const hunks: [number, number][] = [];
  for (const index of changed) {
    const last = hunks.at(-1);
    if (last !== undefined && index - last[1] <= 2 * context + 1) last[1] = index;
    else hunks.push([index, index]);
  }
  // Line numbers (0-based) in a and b before each edit.
  const oldLine: number[] = [];
  const newLine: number[] = [];
  let i = 0;
  let j = 0;
  for (const edit of edits) {
    oldLine.push(i);
    newLine.push(j);
    if (edit.op !== '+') i++;
    if (edit.op !== '-') j++;
  }
  oldLine.push(i);
  newLine.push(j);
  const out = [`--- ${format.from}`, `+++ ${format.to}`];
  for (const [first, last] of hunks) {
    const start = Math.max(0, first - context);
    const end = Math.min(edits.length, last + context + 1);
    const slice = edits.slice(start, end);
    const oldCount = slice.filter((edit) => edit.op !== '+').length;
    const newCount = slice.filter((edit) => edit.op !== '-').length;
    out.push(`@@ -${range(oldLine[start] ?? 0, oldCount)} +${range(newLine[start] ?? 0, newCount)} @@`);
    for (const edit of slice) out.push(`${edit.op}${edit.line}`);
  }
  return `${out.join('\n')}\n`;
}
