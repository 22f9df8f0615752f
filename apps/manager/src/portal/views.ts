/**
 * `GET /api/clusters` and `GET /api/applications`: the portal's server-side lists. Rows come from
 * the {@link FleetIndex} (no apiserver list per request); which namespaces a user sees is decided
 * by access reviews as the user (the caller's), then this module filters, counts facets and pages
 * in one pass over the visible rows.
 */
import { InputError } from '@beamline/errors';
import type { AppRow, ClusterRow } from './fleet.ts';

/** The most rows one page may ask for. */
export const MAX_PAGE_LIMIT = 500;
/** Rows per page when `limit` is not given. */
export const DEFAULT_PAGE_LIMIT = 100;
/** The longest `search` accepted (a name is at most 253 characters). */
const MAX_SEARCH = 253;
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const STATUS_PATTERN = /^[A-Za-z]{1,32}$/;

/** One page of a list. */
export interface ListPage<T, F extends string> {
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly items: readonly T[];
  readonly facets: Record<F, Record<string, number>>;
}

/** A filter of a list: the row's value of a field must equal the query's. */
interface FieldFilter<T> {
  readonly field: string;
  readonly value: string;
  readonly get: (row: T) => string | undefined;
}

/** Reads and checks a query: unknown values of known parameters are a 400 naming the parameter. */
class QueryReader {
  readonly #query: Record<string, unknown>;

  constructor(query: Record<string, unknown>) {
    this.#query = query;
  }

  text(field: string, pattern: RegExp | undefined, maxLength = 253): string | undefined {
    const value = this.#query[field];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || value.length > maxLength || (pattern !== undefined && !pattern.test(value))) throw new InputError(`query parameter ${field} is not valid`);
    return value;
  }

  integer(field: string, fallback: number, min: number, max: number): number {
    const value = this.text(field, /^\d{1,10}$/);
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < min || number > max) throw new InputError(`query parameter ${field} must be an integer from ${String(min)} to ${String(max)}`);
    return number;
  }
}

/** A parsed list query: the field filters, the name search and the window. */
export interface ListQuery<T> {
  readonly filters: readonly FieldFilter<T>[];
  readonly search?: string;
  readonly offset: number;
  readonly limit: number;
}

function parseQuery<T>(query: Record<string, unknown>, fields: Readonly<Record<string, { readonly pattern: RegExp; readonly get: (row: T) => string | undefined }>>): ListQuery<T> {
  const reader = new QueryReader(query);
  const filters: FieldFilter<T>[] = [];
  for (const [field, { pattern, get }] of Object.entries(fields)) {
    const value = reader.text(field, pattern);
    if (value !== undefined) filters.push({ field, value, get });
  }
  const search = reader.text('search', undefined, MAX_SEARCH)?.toLowerCase();
  return {
    filters,
    ...(search === undefined ? {} : { search }),
    offset: reader.integer('offset', 0, 0, 1_000_000_000),
    limit: reader.integer('limit', DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT),
  };
}

/**
 * One pass over `rows` (already only what the user may see, sorted): the rows matching every
 * filter and the search, windowed; and per facet field, the counts of its values over the rows
 * matching every other filter (so a facet shows what choosing another value of it would give).
 */
export function pageOf<T extends { readonly name: string }, F extends string>(
  rows: readonly T[],
  query: ListQuery<T>,
  facets: Readonly<Record<F, (row: T) => string | undefined>>,
): ListPage<T, F> {
  const facetEntries = Object.entries(facets) as [F, (row: T) => string | undefined][];
  const counts = Object.fromEntries(facetEntries.map(([field]) => [field, {}])) as Record<F, Record<string, number>>;
  const items: T[] = [];
  let total = 0;
  for (const row of rows) {
    if (query.search !== undefined && !row.name.toLowerCase().includes(query.search)) continue;
    // The filter that failed, if exactly one did: the row still counts in that filter's own facet.
    let failed: string | undefined;
    let failures = 0;
    for (const filter of query.filters) {
      if (filter.get(row) !== filter.value) {
        failures++;
        failed = filter.field;
        if (failures > 1) break;
      }
    }
    if (failures > 1) continue;
    for (const [field, get] of facetEntries) {
      if (failures === 1 && failed !== field) continue;
      const value = get(row);
      if (value === undefined) continue;
      const facet: Record<string, number> = counts[field];
      facet[value] = (facet[value] ?? 0) + 1;
    }
    if (failures === 1) continue;
    if (total >= query.offset && items.length < query.limit) items.push(row);
    total++;
  }
  return { total, offset: query.offset, limit: query.limit, items, facets: counts };
}

/** The query of `GET /api/clusters`: `namespace`, `project`, `phase`, `search`, `offset`, `limit`. */
export function parseClusterQuery(query: Record<string, unknown>): ListQuery<ClusterRow> {
  return parseQuery<ClusterRow>(query, {
    namespace: { pattern: NAME_PATTERN, get: (row) => row.namespace },
    project: { pattern: NAME_PATTERN, get: (row) => row.project },
    phase: { pattern: STATUS_PATTERN, get: (row) => row.phase },
  });
}

/** The query of `GET /api/applications`: `namespace`, `project`, `sync`, `health`, `cluster`, `search`, `offset`, `limit`. */
export function parseApplicationQuery(query: Record<string, unknown>): ListQuery<AppRow> {
  return parseQuery<AppRow>(query, {
    namespace: { pattern: NAME_PATTERN, get: (row) => row.namespace },
    project: { pattern: NAME_PATTERN, get: (row) => row.project },
    sync: { pattern: STATUS_PATTERN, get: (row) => row.sync },
    health: { pattern: STATUS_PATTERN, get: (row) => row.health },
    cluster: { pattern: NAME_PATTERN, get: (row) => row.destination.cluster },
  });
}

/** The facets of the clusters list. */
export const CLUSTER_FACETS = { phase: (row: ClusterRow) => row.phase, project: (row: ClusterRow) => row.project } as const;
/** The facets of the applications list. */
export const APPLICATION_FACETS = { sync: (row: AppRow) => row.sync, health: (row: AppRow) => row.health, project: (row: AppRow) => row.project } as const;

/** Which namespaces a user may list a kind in: all, or these. */
export interface Visibility {
  readonly all: boolean;
  readonly namespaces: ReadonlySet<string>;
}

/** The key of a visibility: users who see the same namespaces share cached lists. */
export function visibilityKey(visibility: Visibility): string {
  return visibility.all ? '*' : [...visibility.namespaces].sort().join(',');
}

/**
 * The sorted rows a visibility sees, kept per (index version, visibility): at 10,000 apps the
 * filter over namespaces is done once per change and set of namespaces, not per request.
 */
export class VisibleRows<T extends { readonly namespace: string }> {
  #version = -1;
  readonly #byKey = new Map<string, readonly T[]>();

  /** The rows of `all` (sorted, of index `version`) in the namespaces `visibility` allows. */
  rows(version: number, all: readonly T[], visibility: Visibility): readonly T[] {
    if (visibility.all) return all;
    if (version !== this.#version) {
      this.#version = version;
      this.#byKey.clear();
    }
    const key = visibilityKey(visibility);
    let rows = this.#byKey.get(key);
    if (rows === undefined) {
      rows = all.filter((row) => visibility.namespaces.has(row.namespace));
      // Bounded: many distinct users between two changes start over rather than grow.
      if (this.#byKey.size >= 1000) this.#byKey.clear();
      this.#byKey.set(key, rows);
    }
    return rows;
  }
}
