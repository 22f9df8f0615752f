// Quantities with exact integer arithmetic: what the apiserver accepts, rounded up to the base unit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMilli, formatUnits, parseMilli, parseUnits, QuantityError } from './quantity.ts';

test('parseMilli: cpu quantities as milli-units', () => {
  const cases: [string, bigint][] = [
    ['2', 2000n],
    ['500m', 500n],
    ['1.5', 1500n],
    ['.25', 250n],
    ['0.0001', 1n], // rounded up, as the apiserver does
    ['100u', 1n],
    ['1k', 1_000_000n],
    ['1e3', 1_000_000n],
    ['1E-3', 1n],
    ['+3', 3000n],
    ['0', 0n],
    ['1Ki', 1_024_000n],
  ];
  for (const [text, milli] of cases) assert.equal(parseMilli(text), milli, text);
});

test('parseUnits: memory quantities as bytes', () => {
  const cases: [string, bigint][] = [
    ['4Gi', 4n * 1024n ** 3n],
    ['1.5Gi', 1_610_612_736n],
    ['512Mi', 512n * 1024n ** 2n],
    ['1G', 1_000_000_000n],
    ['1k', 1000n],
    ['0.5', 1n],
    ['100', 100n],
    ['1Ei', 1024n ** 6n],
    ['2e2', 200n],
  ];
  for (const [text, bytes] of cases) assert.equal(parseUnits(text), bytes, text);
});

test('exact sums: 0.1 + 0.2 is 0.3', () => {
  assert.equal(parseMilli('0.1') + parseMilli('0.2'), parseMilli('0.3'));
});

test('not quantities are refused without echoing long input', () => {
  for (const text of ['', 'abc', '1.2.3', '1Gb', '--1', '1 Gi', '1e', 'Gi']) assert.throws(() => parseMilli(text), QuantityError, text);
  const long = '1'.repeat(200);
  assert.throws(() => parseUnits(long), (error: Error) => error.message.length < 80);
});

test('formatMilli: whole numbers plain, else m', () => {
  assert.equal(formatMilli(0n), '0');
  assert.equal(formatMilli(2000n), '2');
  assert.equal(formatMilli(1500n), '1500m');
  assert.equal(formatMilli(1n), '1m');
});

test('formatUnits: the largest exact binary suffix, else decimal, else plain', () => {
  assert.equal(formatUnits(0n), '0');
  assert.equal(formatUnits(8n * 1024n ** 3n), '8Gi');
  assert.equal(formatUnits(1536n * 1024n ** 2n), '1536Mi');
  assert.equal(formatUnits(1024n), '1Ki');
  assert.equal(formatUnits(3000n), '3k');
  assert.equal(formatUnits(2_000_000_000n), '2G');
  assert.equal(formatUnits(123n), '123');
  // round trip
  for (const text of ['8Gi', '3k', '123', '1536Mi']) assert.equal(formatUnits(parseUnits(text)), text);
});
