import { KubeApiError } from '@beamline/kube';

/** The longest line {@link kubeErrorLine} returns. */
export const ERROR_LINE_MAX = 400;
/** Bad values at most this long are quoted in the line; longer ones (struct dumps) are left out. */
const VALUE_MAX = 40;

// The error types of apimachinery's field.Error, as its ErrorBody prints them.
const FIELD_ERROR_TYPES = [
  'Invalid value',
  'Unsupported value',
  'Duplicate value',
  'Not found',
  'Required value',
  'Forbidden',
  'Too long',
  'Too many',
  'Too short',
  'Internal error',
  'Must be empty',
];
// Types printed with a value between the type and the detail (`Invalid value: 70000: must be ...`).
const WITH_VALUE = new Set(['Invalid value', 'Unsupported value', 'Duplicate value', 'Not found', 'Too long', 'Too many', 'Too short', 'Must be empty']);
const FIELD_ERROR = new RegExp(`^([^\\s:]+): (${FIELD_ERROR_TYPES.join('|')})(?:: (.*))?$`, 's');
const IS_INVALID = / is invalid: /;

/**
 * One short line for a failed Kubernetes request: `422 Invalid: spec.template: field is immutable`
 * instead of the apiserver's full message, which for an invalid object quotes every bad value
 * with Go's `%#v` (a changed Job template is a 3 KB struct dump). Each field error becomes
 * `field: detail` (with the value when it is short), joined by `; `; other errors keep their
 * first line. At most {@link ERROR_LINE_MAX} characters. Never throws.
 */
export function kubeErrorLine(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  let text = (raw.split('\n')[0] ?? '').trim();
  if (error instanceof KubeApiError) {
    // `failed to PATCH /apis/...: 422 Invalid: Job.batch "x" is invalid: ...`: the caller names the object.
    const status = `${error.code}${error.reason === undefined ? '' : ` ${error.reason}`}: `;
    const at = text.indexOf(status);
    if (at !== -1) text = `${status}${summarizeStatusMessage(text.slice(at + status.length))}`;
  } else {
    text = summarizeStatusMessage(text);
  }
  return text.length > ERROR_LINE_MAX ? `${text.slice(0, ERROR_LINE_MAX - 1)}…` : text;
}

/**
 * The field errors of an apiserver message `<Kind> "<name>" is invalid: <errors>` as
 * `field: detail; field: detail`; any other message as it is.
 */
export function summarizeStatusMessage(message: string): string {
  const match = IS_INVALID.exec(message);
  if (match === null) return message;
  let rest = message.slice(match.index + match[0].length);
  if (rest.startsWith('[') && rest.endsWith(']')) rest = rest.slice(1, -1);
  const parts = splitFieldErrors(rest).map(summarizeFieldError);
  return parts.join('; ');
}

/** `spec.x: Invalid value: <value>: <detail>` → `spec.x: <detail> (got <value>)`, the value only when short. */
function summarizeFieldError(text: string): string {
  const match = FIELD_ERROR.exec(text);
  if (match === null) return text;
  const [, field = '', type = '', body = ''] = match;
  if (!WITH_VALUE.has(type)) return body === '' ? `${field}: ${type.toLowerCase()}` : `${field}: ${body}`;
  const end = skipValue(body, 0);
  const value = body.slice(0, end);
  const detail = body.slice(end).replace(/^: /, '');
  const shown = value.length > 0 && value.length <= VALUE_MAX ? ` (got ${value})` : '';
  if (detail === '') return `${field}: ${type.toLowerCase()}${shown}`;
  return `${field}: ${detail}${shown}`;
}

/**
 * Where a printed Go value starting at `from` ends: a quoted string (Go escapes), or anything up to
 * `: ` outside braces, brackets and quotes (structs, maps, slices, numbers, `null`).
 */
function skipValue(text: string, from: number): number {
  return findOutside(text, from, (i) => text[i] === ':' && text[i + 1] === ' ');
}

/**
 * The first index from `from` on where `stops` holds outside Go-quoted strings, braces, brackets
 * and parentheses; `text.length` when there is none.
 */
function findOutside(text: string, from: number, stops: (index: number) => boolean): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      i = skipQuoted(text, i);
      continue;
    }
    if (char === '{' || char === '[' || char === '(') depth += 1;
    else if (char === '}' || char === ']' || char === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && stops(i)) return i;
    i += 1;
  }
  return text.length;
}

/** The index after the Go-quoted string starting at `from`. */
function skipQuoted(text: string, from: number): number {
  let i = from + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i += 1;
  }
  return text.length;
}

/**
 * The errors of an aggregate (`a: Invalid value: 1: x, b: Required value`): split at `, ` outside
 * quotes and braces when a field error follows (details themselves may contain `, `).
 */
function splitFieldErrors(text: string): string[] {
  const parts: string[] = [];
  const nextError = new RegExp(`^, [^\\s:]+: (${FIELD_ERROR_TYPES.join('|')})(:|$|,)`);
  const isSeparator = (i: number): boolean => text[i] === ',' && nextError.test(text.slice(i, i + 200));
  let start = 0;
  for (let at = findOutside(text, 0, isSeparator); at < text.length; at = findOutside(text, start, isSeparator)) {
    parts.push(text.slice(start, at));
    start = at + 2;
  }
  parts.push(text.slice(start));
  return parts.filter((part) => part !== '');
}
