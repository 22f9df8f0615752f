import { isRecord } from './json.ts';

/**
 * The reference tokens of an RFC 6901 JSON pointer (`/metadata/annotations/a~1b` →
 * `['metadata', 'annotations', 'a/b']`). Throws on a pointer that does not start with `/` or has a
 * `~` not followed by `0` or `1`.
 */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`invalid JSON pointer ${JSON.stringify(pointer)}: must start with "/", e.g. "/spec/replicas"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) throw new Error(`invalid JSON pointer ${JSON.stringify(pointer)}: "~" must be followed by 0 or 1 ("~0" is "~", "~1" is "/")`);
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

/** An RFC 6901 JSON pointer from tokens (`['metadata', 'annotations', 'a/b']` → `/metadata/annotations/a~1b`). */
export function formatJsonPointer(tokens: readonly (string | number)[]): string {
  return tokens.map((token) => `/${String(token).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * Removes what `tokens` point at from `root`, in place (so only for data the caller owns). A path
 * that does not exist is not an error: the field is simply not there to ignore.
 */
export function deleteAtPointer(root: unknown, tokens: readonly string[]): void {
  let node: unknown = root;
  for (const [index, token] of tokens.entries()) {
    const last = index === tokens.length - 1;
    if (Array.isArray(node)) {
      if (!ARRAY_INDEX.test(token)) return;
      const position = Number(token);
      if (position >= node.length) return;
      if (last) node.splice(position, 1);
      else node = node[position] as unknown;
    } else if (isRecord(node)) {
      if (!Object.hasOwn(node, token)) return;
      if (last) delete (node as Record<string, unknown>)[token];
      else node = node[token];
    } else {
      return;
    }
  }
}
