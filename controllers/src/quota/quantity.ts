/**
 * Kubernetes quantities ("500m", "2", "4Gi", "1.5e3") with exact integer arithmetic. Quotas add
 * many small numbers and compare the sum with a limit: floating point would let `0.1 + 0.2`
 * exceed `0.3`, so every quantity becomes a BigInt count of a base unit (milli-CPUs, bytes), and
 * is rounded up to it as the apiserver does (`0.0001` CPU is `1m`).
 */

/** An exact rational: `numerator / denominator`, the denominator positive. */
interface Rational {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

const BINARY_SUFFIXES: Readonly<Record<string, bigint>> = {
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
  Ei: 1024n ** 6n,
};
const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// Sign, digits with an optional fraction, then a binary suffix, a decimal suffix or an integer exponent.
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d{1,3}))?$/;

/** The message of a string that is not a quantity; the string is tenant input, so it is quoted, not interpreted. */
export class QuantityError extends Error {
  constructor(text: string) {
    super(`not a quantity: ${JSON.stringify(text.slice(0, 40))}`);
    this.name = 'QuantityError';
  }
}

/** Parses a quantity to an exact rational; throws {@link QuantityError} when it is not one. */
function parseRational(text: string): Rational {
  const match = QUANTITY.exec(text.trim());
  if (match === null || text.length > 64) throw new QuantityError(text);
  const [, sign = '', number = '', binary, decimal, exponent] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let numerator = BigInt(`${whole === '' ? '0' : whole}${fraction}`);
  let denominator = 10n ** BigInt(fraction.length);
  if (sign === '-') numerator = -numerator;
  if (binary !== undefined) numerator *= BINARY_SUFFIXES[binary] ?? 1n;
  const power = decimal !== undefined ? (DECIMAL_EXPONENTS[decimal] ?? 0) : exponent !== undefined ? Number(exponent) : 0;
  if (power >= 0) numerator *= 10n ** BigInt(power);
  else denominator *= 10n ** BigInt(-power);
  return { numerator, denominator };
}

/** Ceiling division of BigInts, the divisor positive. */
function ceilDivide(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return numerator % denominator > 0n ? quotient + 1n : quotient;
}

/** A quantity as a whole number of milli-units (`"1.5"` → 1500n, `"250m"` → 250n), rounded up. */
export function parseMilli(text: string): bigint {
  const { numerator, denominator } = parseRational(text);
  return ceilDivide(numerator * 1000n, denominator);
}

/** A quantity as a whole number of units (`"4Gi"` → 4294967296n, `"1k"` → 1000n), rounded up. */
export function parseUnits(text: string): bigint {
  const { numerator, denominator } = parseRational(text);
  return ceilDivide(numerator, denominator);
}

/** Milli-units in canonical form: `"2"` when whole, else `"1500m"`. */
export function formatMilli(milli: bigint): string {
  return milli % 1000n === 0n ? (milli / 1000n).toString() : `${milli}m`;
}

/**
 * Units (bytes) in canonical form: the shortest of the largest exact binary suffix (`"8Gi"`), the
 * largest exact decimal one (`"2G"`) and the plain number; binary on a tie, since memory is sized
 * in Gi by every flavor and a sum of Gi reads best as Gi.
 */
export function formatUnits(units: bigint): string {
  if (units === 0n) return '0';
  const candidates = [largestSuffix(units, ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'], (suffix) => BINARY_SUFFIXES[suffix] ?? 1n)];
  candidates.push(largestSuffix(units, ['E', 'P', 'T', 'G', 'M', 'k'], (suffix) => 10n ** BigInt(DECIMAL_EXPONENTS[suffix] ?? 0)));
  candidates.push(units.toString());
  return candidates.reduce((best, candidate) => (candidate.length < best.length ? candidate : best));
}

/** `units` with the first of `suffixes` that divides it exactly, else the plain number. */
function largestSuffix(units: bigint, suffixes: readonly string[], size: (suffix: string) => bigint): string {
  for (const suffix of suffixes) {
    const divisor = size(suffix);
    if (units % divisor === 0n) return `${units / divisor}${suffix}`;
  }
  return units.toString();
}
