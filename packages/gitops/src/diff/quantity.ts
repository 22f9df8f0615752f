/**
 * A Kubernetes resource quantity as an exact fraction (`1500m` → 3/2, `1Gi` → 1073741824/1), so
 * that equal amounts written differently compare equal without floating-point error.
 */
export interface Quantity {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

// <sign><digits>[.<digits>] then either a decimal exponent (1e3, 1E-3) or a suffix: binary (Ki..Ei)
// or decimal (n u m "" k M G T P E). `1E` is one exa; `1E3` is a thousand.
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

const BINARY: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// Bounds the exponent so that a hostile `1e999999999` cannot make a giant BigInt.
const MAX_EXPONENT = 64;

/**
 * Parses a quantity (`"250m"`, `"1.5Gi"`, `"1e3"`, or a JSON number such as `2`), or returns
 * `undefined` when `value` is not one.
 */
export function parseQuantity(value: string | number): Quantity | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const match = QUANTITY.exec(text);
  if (match === null) return undefined;
  const [, sign = '', mantissa = '', exponentText, suffix] = match;
  const [whole = '', fraction = ''] = mantissa.split('.');
  let numerator = BigInt(`${whole}${fraction}` || '0') * (sign === '-' ? -1n : 1n);
  let denominator = 10n ** BigInt(fraction.length);
  let exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (suffix !== undefined && suffix in BINARY) numerator *= 1024n ** BigInt(BINARY[suffix] ?? 0);
  else if (suffix !== undefined) exponent += DECIMAL[suffix] ?? 0;
  if (Math.abs(exponent) > MAX_EXPONENT) return undefined;
  if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator *= 10n ** BigInt(-exponent);
  return { numerator, denominator };
}

/** Whether two quantities are the same amount (`"1"`, `1`, `"1000m"`; `"1Gi"`, `1073741824`). */
export function quantitiesEqual(a: Quantity, b: Quantity): boolean {
  return a.numerator * b.denominator === b.numerator * a.denominator;
}
