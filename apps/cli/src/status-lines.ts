// One function that turns an API server's refusal into what a person needs: one `field: message`
// line per mistake. The Status the API server sends repeats itself (the summary message lists every
// cause again), names admission policies and bindings, and dumps the regular expression a field
// failed; none of that helps the person who typed the flag.

/** A `Status` object as the API server returns it with an error. */
export interface ApiStatusBody {
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
  };
}

/**
 * What the schema's patterns mean, said in words. Spelled out here rather than imported from
 * `@beamline/api`, which every command would pay for at start-up; an unknown pattern is "is not in
 * the allowed format", never the expression itself.
 */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$': "must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit",
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$':
    "must be a DNS subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
  '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$': "must be lower-case letters, digits, '.' and '-', starting and ending with a letter or digit",
  '^\\d+\\.\\d+\\.\\d+$': 'must be a version like 1.36.3',
  '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$': "must be a label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
};

/** `Invalid value: "x": spec.a in body should match '^...$'` and its relatives, said plainly. */
function plainCause(message: string): string {
  let text = message.trim();
  // The value CEL rules on objects and lists report is only a type name: "object", "array".
  text = text.replace(/^Invalid value: "(?:object|array|string|integer|number|boolean)": /, '');
  const value = /^Invalid value: ("(?:[^"\\]|\\.)*"|[-\w.]+): /.exec(text);
  const shown = value === null ? '' : ` (got ${value[1]})`;
  if (value !== null) text = text.slice(value[0].length);
  // A CEL rule with a fieldPath reports no value at all: `Invalid value: replicas must not be below minReplicas`.
  else text = text.replace(/^Invalid value: /, '');
  const pattern = /^\S+ in body should match '(.*)'$/.exec(text);
  if (pattern !== null) return `${PATTERN_WORDS[pattern[1] ?? ''] ?? 'is not in the allowed format'}${shown}`;
  const bound = /^\S+ in body should be (greater|less) than (or equal to )?(-?[\d.]+)$/.exec(text);
  if (bound !== null) return `must be ${bound[1] === 'greater' ? (bound[2] === undefined ? '>' : '≥') : bound[2] === undefined ? '<' : '≤'} ${bound[3] ?? ''}${shown}`;
  const length = /^\S+ in body should be (at most|at least) (\d+) chars long$/.exec(text);
  if (length !== null) return `must be ${length[1] ?? ''} ${length[2] ?? ''} characters long${shown}`;
  const items = /^\S+ in body should have (at most|at least) (\d+) items$/.exec(text);
  if (items !== null) return `must have ${items[1] ?? ''} ${items[2] ?? ''} items`;
  if (/^Required value/.test(text)) return text.replace(/^Required value(: )?/, '') || 'is required';
  if (/^\S+ in body must be of type/.test(text)) return `${text.replace(/^\S+ in body /, '')}${shown}`;
  return `${text}${shown && !text.includes(value?.[1] ?? '') ? shown : ''}`;
}

/** A cause's line; a message that already starts with its own field path is not prefixed again. */
function causeLine(field: string | undefined, message: string): string {
  const plain = plainCause(message);
  if (field === undefined || field === '' || field === '<nil>') return plain;
  if (plain.startsWith(`${field}`) && /^[\w.[\]-]+: /.test(plain)) return plain;
  // `spec.nodeGroups: unknown flavor ...` on the field `spec`: the message's own path is the precise one.
  if (/^spec[\w.[\]-]*: /.test(plain)) return plain;
  return `${field}: ${plain === 'is required' ? 'is required' : plain}`;
}

/** The summary without the object's name and the admission machinery: what is left is the reason. */
function plainMessage(message: string): string {
  return message
    .replace(/^.*?ValidatingAdmissionPolicy '[^']*' with binding '[^']*' denied request: /s, '')
    .replace(/^.*?admission webhook "[^"]*" denied the request: /s, '')
    .replace(/^[\w.]+ "[^"]*" is (?:invalid|forbidden): /, '')
    .trim();
}

/**
 * The lines of an API server's refusal: one `field: message` per mistake (duplicates and the
 * summary that repeats them dropped, policy and binding names and regular expressions left out),
 * or the Status message itself when it has no causes. `namespaces "x" not found` becomes
 * `namespace "x" not found`.
 */
export function statusLines(status: ApiStatusBody): string[] {
  if (status.code === 404 && status.details?.kind === 'namespaces' && status.details.name !== undefined) return [`namespace "${status.details.name}" not found`];
  const causes = (status.details?.causes ?? []).filter((cause) => (cause.message ?? '') !== '');
  if (causes.length > 0) {
    const byField = new Map<string, typeof causes>();
    for (const cause of causes) byField.set(cause.field ?? '', [...(byField.get(cause.field ?? '') ?? []), cause]);
    const lines: string[] = [];
    for (const [field, sameField] of byField) {
      // One line per field: a hand-written rule's message beats the schema's generic one for the same mistake.
      const chosen = field === '' ? sameField : [sameField.find((cause) => !/ in body /.test(cause.message ?? '')) ?? sameField[0]];
      for (const cause of chosen) if (cause !== undefined) lines.push(causeLine(cause.field, plainMessage(cause.message ?? '')));
    }
    return [...new Set(lines)];
  }
  const message = plainMessage(status.message ?? '');
  if (message === '') return [status.code === undefined ? 'the API server refused the request' : `the API server answered ${status.code}`];
  return [message];
}

/** Parses a client-node error's body as a Status, if it is one. */
export function statusOf(body: unknown): ApiStatusBody | undefined {
  if (body !== null && typeof body === 'object') return body;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed) : undefined;
  } catch {
    return undefined;
  }
}

/** `failed to X: line`, or with several mistakes `failed to X:` and one indented line each. */
export function joinLines(prefix: string, lines: readonly string[]): string {
  if (lines.length === 1) return `${prefix}: ${lines[0] ?? ''}`;
  return `${prefix}:\n${lines.map((line) => `  ${line}`).join('\n')}`;
}
