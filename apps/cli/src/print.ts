import { stringify } from 'yaml';
import { formatTable, type OutputFormat } from './output.ts';
import type { BeamlineObject } from './resources.ts';

/** An object without `metadata.managedFields`, as kubectl prints it by default. */
function forDisplay(object: BeamlineObject): BeamlineObject {
  if (object.metadata?.managedFields === undefined) return object;
  const { managedFields: _omitted, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/**
 * Prints objects in the chosen format: a table (with the given columns), JSON or YAML (a List
 * when there are several, as kubectl does), or `kind/name` lines.
 */
export function printObjects(
  objects: readonly BeamlineObject[],
  format: OutputFormat,
  table: { readonly headers: readonly string[]; readonly row: (object: BeamlineObject) => readonly string[]; readonly kind: string },
  single = false,
): string {
  const shown = objects.map(forDisplay);
  switch (format) {
    case 'json':
      return JSON.stringify(single ? shown[0] : { apiVersion: 'v1', kind: 'List', items: shown }, undefined, 2);
    case 'yaml':
      return stringify(single ? shown[0] : { apiVersion: 'v1', kind: 'List', items: shown }).trimEnd();
    case 'name':
      return shown.map((object) => `${table.kind.toLowerCase()}/${object.metadata?.name ?? ''}`).join('\n');
    case 'table':
      if (shown.length === 0) return 'No resources found.';
      return formatTable(table.headers, shown.map(table.row));
  }
}

/** Reads a nested field as a string for a table cell; `<none>` when absent, like kubectl. */
export function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '<none>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
