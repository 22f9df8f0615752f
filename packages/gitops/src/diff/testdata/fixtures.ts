// Builders for the diff tests: objects from YAML next to this file, and edited copies of them.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Manifest } from '../../render/manifest.ts';
import { parseJsonPointer } from '../json-pointer.ts';

/** Loads `<name>.yaml` from this folder. */
export function fixture(name: string): Manifest {
  return parse(readFileSync(new URL(`./${name}.yaml`, import.meta.url), 'utf8')) as Manifest;
}

type Container = Record<string, unknown> | unknown[];

/**
 * A deep copy of `obj` with each JSON pointer set to its value (`undefined` deletes; a missing
 * parent object is created; for arrays, an index equal to the length appends).
 */
export function edited(obj: Manifest, edits: Readonly<Record<string, unknown>>): Manifest {
  const copy = structuredClone(obj) as unknown as Record<string, unknown>;
  for (const [pointer, value] of Object.entries(edits)) {
    const tokens = parseJsonPointer(pointer);
    let node: Container = copy;
    for (const token of tokens.slice(0, -1)) {
      const next: unknown = Array.isArray(node) ? node[Number(token)] : node[token];
      if (typeof next === 'object' && next !== null) node = next as Container;
      else {
        const created: Record<string, unknown> = {};
        if (Array.isArray(node)) node[Number(token)] = created;
        else node[token] = created;
        node = created;
      }
    }
    const last = tokens.at(-1) ?? '';
    if (Array.isArray(node)) {
      if (value === undefined) node.splice(Number(last), 1);
      else node[Number(last)] = value;
    } else if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return copy as unknown as Manifest;
}
