import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diffLines, formatUnifiedDiff, type LineEdit } from './line-diff.ts';

// A small deterministic PRNG (mulberry32) so the property test is reproducible.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function lcsLength(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = x === b[j - 1] ? diagonal + 1 : Math.max(above, row[j - 1] ?? 0);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

const side = (edits: readonly LineEdit[], skip: '+' | '-'): string[] => edits.filter((edit) => edit.op !== skip).map((edit) => edit.line);

describe('diffLines', () => {
  test('is a shortest edit script: it rebuilds both texts and keeps a longest common subsequence', () => {
    const next = random(42);
    for (let round = 0; round < 300; round++) {
      const line = (): string => 'abcde'[Math.floor(next() * 5)] ?? 'a';
      const a = Array.from({ length: Math.floor(next() * 12) }, line);
      const b = Array.from({ length: Math.floor(next() * 12) }, line);
      const edits = diffLines(a, b);
      assert.deepEqual(side(edits, '+'), a);
      assert.deepEqual(side(edits, '-'), b);
      assert.equal(edits.filter((edit) => edit.op === ' ').length, lcsLength(a, b), `${a.join('')} → ${b.join('')}`);
    }
  });

  test('empty and equal inputs', () => {
    assert.deepEqual(diffLines([], []), []);
    assert.deepEqual(diffLines(['a'], ['a']), [{ op: ' ', line: 'a' }]);
    assert.deepEqual(diffLines([], ['a']), [{ op: '+', line: 'a' }]);
    assert.deepEqual(diffLines(['a'], []), [{ op: '-', line: 'a' }]);
  });
});

describe('formatUnifiedDiff', () => {
  const format = { from: 'live', to: 'desired' };
  const lines = (count: number): string[] => Array.from({ length: count }, (_, i) => `line ${i + 1}`);

  test('equal texts give no diff', () => {
    assert.equal(formatUnifiedDiff(lines(5), lines(5), format), '');
  });

  test('one change in the middle: a hunk with 3 lines of context each side (GNU diff -u format)', () => {
    const b = lines(10);
    b[4] = 'line 5 changed';
    assert.equal(
      formatUnifiedDiff(lines(10), b, format),
      ['--- live', '+++ desired', '@@ -2,7 +2,7 @@', ' line 2', ' line 3', ' line 4', '-line 5', '+line 5 changed', ' line 6', ' line 7', ' line 8', ''].join('\n'),
    );
  });

  test('changes far apart make two hunks; close ones share one', () => {
    const far = lines(20);
    far[1] = 'x';
    far[17] = 'y';
    const farDiff = formatUnifiedDiff(lines(20), far, format);
    assert.deepEqual(farDiff.split('\n').filter((line) => line.startsWith('@@')), ['@@ -1,5 +1,5 @@', '@@ -15,6 +15,6 @@']);
    const near = lines(20);
    near[5] = 'x';
    near[12] = 'y';
    assert.deepEqual(formatUnifiedDiff(lines(20), near, format).split('\n').filter((line) => line.startsWith('@@')), ['@@ -3,14 +3,14 @@']);
  });

  test('insertion into an empty text and deletion of everything', () => {
    assert.equal(formatUnifiedDiff([], ['a', 'b'], format), '--- live\n+++ desired\n@@ -0,0 +1,2 @@\n+a\n+b\n');
    assert.equal(formatUnifiedDiff(['a'], [], format), '--- live\n+++ desired\n@@ -1 +0,0 @@\n-a\n');
  });

  test('a pure insertion names the line before it, as GNU diff does', () => {
    assert.equal(formatUnifiedDiff(['a', 'b'], ['a', 'x', 'b'], { ...format, context: 0 }), '--- live\n+++ desired\n@@ -1,0 +2 @@\n+x\n');
  });
});
