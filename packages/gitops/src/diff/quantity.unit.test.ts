import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseQuantity, quantitiesEqual } from './quantity.ts';

function equal(a: string | number, b: string | number): boolean {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  assert.ok(x !== undefined && y !== undefined, `${String(a)} and ${String(b)} parse`);
  return quantitiesEqual(x, y);
}

describe('parseQuantity', () => {
  test('decimal suffixes, binary suffixes, exponents and plain numbers', () => {
    assert.deepEqual(parseQuantity('1500m'), { numerator: 1500n, denominator: 1000n });
    assert.deepEqual(parseQuantity('1Gi'), { numerator: 1073741824n, denominator: 1n });
    assert.deepEqual(parseQuantity('1.5Ki'), { numerator: 15360n, denominator: 10n });
    assert.deepEqual(parseQuantity('2e3'), { numerator: 2000n, denominator: 1n });
    assert.deepEqual(parseQuantity(0.25), { numerator: 25n, denominator: 100n });
    assert.deepEqual(parseQuantity('-1'), { numerator: -1n, denominator: 1n });
  });

  test('equal amounts written differently are equal', () => {
    assert.ok(equal(1, '1'));
    assert.ok(equal('1', '1000m'));
    assert.ok(equal('0.5', '500m'));
    assert.ok(equal('1Gi', 1073741824));
    assert.ok(equal('1Gi', '1024Mi'));
    assert.ok(equal('1k', '1000'));
    assert.ok(equal('1M', '1e6'));
    assert.ok(equal('1E', '1e18'));
    assert.ok(equal('100n', '0.1u'));
  });

  test('different amounts differ (1G is not 1Gi)', () => {
    assert.ok(!equal('1G', '1Gi'));
    assert.ok(!equal('1m', '1M'));
    assert.ok(!equal('1001m', '1'));
  });

  test('what is not a quantity is undefined', () => {
    for (const text of ['', 'abc', '1.2.3', '1 Gi', '1gi', '1e3m', '1Ki5', 'Infinity', '1e999999999']) assert.equal(parseQuantity(text), undefined, text);
    assert.equal(parseQuantity(Number.NaN), undefined);
  });
});
