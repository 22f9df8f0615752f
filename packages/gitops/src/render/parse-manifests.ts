import { Composer, LineCounter, Parser, type DocumentOptions, type ParseOptions, type SchemaOptions, type Tags } from 'yaml';
import type { Manifest } from './manifest.ts';
import { RenderError } from './render-error.ts';
import { limitExceeded } from './render-limits.ts';

/** Options of {@link parseManifests}. */
export interface ParseManifestsOptions {
  /** How errors name the text: a path relative to the source folder, or e.g. `helm template output`. */
  readonly file: string;
  /** `yaml` (the default) reads YAML 1.1 as Kubernetes does; `json` reads JSON (no comments, no YAML). */
  readonly format?: 'yaml' | 'json';
  /** Name the template of each document from helm's `# Source: <chart>/templates/x.yaml` comments. */
  readonly sourceComments?: boolean;
  /**
   * Fail (`LimitExceeded`) as soon as this many objects are exceeded, counting `already` objects
   * read before (from other files of the same app). No cap by default.
   */
  readonly maxObjects?: number;
  /** Objects of the same app already read, for {@link ParseManifestsOptions.maxObjects}. */
  readonly already?: number;
}

type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

// Kubernetes reads YAML with go-yaml v2 semantics (sigs.k8s.io/yaml): YAML 1.1, so `0644` is octal
// (420, the file mode a ConfigMap volume means) and `yes`/`on` are booleans. go-yaml does not resolve
// timestamps (into JSON they stay strings) nor base-60 numbers (`12:30` is a string), so drop those.
const DROPPED_TAGS = new Set(['timestamp', 'intTime', 'floatTime']);

function kubernetesTags(tags: Tags): Tags {
  return tags.filter((tag) =>
    typeof tag === 'string' ? !DROPPED_TAGS.has(tag) : tag.tag !== 'tag:yaml.org,2002:timestamp' && !('format' in tag && tag.format === 'TIME'),
  );
}

const YAML_OPTIONS: YamlOptions = { version: '1.1', customTags: kubernetesTags, prettyErrors: false };
const JSON_OPTIONS: YamlOptions = { version: '1.2', schema: 'json', prettyErrors: false };

/** Bounds YAML alias expansion ("billion laughs"): a manifest has no reason for more. */
const MAX_ALIAS_COUNT = 100;

// The parser quotes the scalar it choked on ("Unresolved plain scalar \"hunter2\""); a manifest may
// hold secrets, so errors keep the position and drop what was quoted.
function withoutQuotes(message: string): string {
  const redacted = message.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');
  return redacted.charAt(0).toLowerCase() + redacted.slice(1);
}

const LIST_KIND = /List$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A `List` (or `<Kind>List`: `kind` ends in `List`, `items` is an array and there is no
 * `metadata.name`, which a real object of a kind named `...List` would have).
 */
function listItems(value: Record<string, unknown>): readonly unknown[] | undefined {
  const kind = value.kind;
  if (typeof kind !== 'string' || !LIST_KIND.test(kind)) return undefined;
  const items = value.items;
  if (kind === 'List' && (items === undefined || items === null)) return [];
  if (!Array.isArray(items)) return undefined;
  const metadata = value.metadata;
  if (isRecord(metadata) && metadata.name !== undefined) return undefined;
  return items as readonly unknown[];
}

// An object named by the apiserver at create (an Argo CD hook Job): the sync decides what to do
// with it (hooks are created, other such objects skipped with a message), not the renderer.
function hasGenerateName(metadata: Record<string, unknown>): boolean {
  return (metadata.name === undefined || metadata.name === null || metadata.name === '') && typeof metadata.generateName === 'string' && metadata.generateName !== '';
}

/** What makes `value` not a Kubernetes object (`missing kind`, `metadata.name is a number`), if anything. */
function missingField(value: Record<string, unknown>): string | undefined {
  const problem = (path: string, field: unknown): string | undefined =>
    field === undefined || field === null || field === '' ? `missing ${path}` : typeof field === 'string' ? undefined : `${path} is a ${typeof field}, not a string`;
  const metadata = value.metadata;
  return (
    problem('apiVersion', value.apiVersion) ??
    problem('kind', value.kind) ??
    (isRecord(metadata) ? (hasGenerateName(metadata) ? undefined : problem('metadata.name', metadata.name)) : 'missing metadata')
  );
}

// YAML 1.1 reads unquoted `y`, `n`, `yes`, `no`, `on`, `off` as booleans, Kubernetes too: a
// namespace called `no` must be quoted. Say so, rather than let the apiserver reject a boolean.
function badNamespace(value: Record<string, unknown>): string | undefined {
  const namespace = (value.metadata as Record<string, unknown>).namespace;
  if (namespace === undefined || namespace === null || typeof namespace === 'string') return undefined;
  return `metadata.namespace is a ${typeof namespace}, not a string (YAML reads unquoted y, n, yes, no, on and off as booleans: quote it)`;
}

interface Place {
  readonly file: string;
  readonly document: number;
  /** How the message names the place: `web/a.yaml, document 2` or `..., document 2 (chart/templates/x.yaml)`. */
  readonly label: string;
}

function collect(value: unknown, place: Place, path: string, into: Manifest[], cap: (place: Place) => void): void {
  if (value === null || value === undefined) return;
  const where = `${place.label}${path}`;
  if (Array.isArray(value)) {
    value.forEach((item, index) => collect(item, place, `${path}, item ${index + 1}`, into, cap));
    return;
  }
  if (!isRecord(value)) {
    throw new RenderError('InvalidManifest', `failed to read ${where}: not a kubernetes object (a ${typeof value}, not a mapping)`, {
      file: place.file,
      document: place.document,
    });
  }
  const items = listItems(value);
  if (items !== undefined) {
    items.forEach((item, index) => collect(item, place, `${path}, item ${index + 1}`, into, cap));
    return;
  }
  const missing = missingField(value);
  if (missing !== undefined) {
    const kind = typeof value.kind === 'string' && value.kind !== '' ? ` (kind ${value.kind})` : '';
    throw new RenderError('InvalidManifest', `failed to read ${where}: not a kubernetes object${kind}: ${missing}`, {
      file: place.file,
      document: place.document,
    });
  }
  const namespace = badNamespace(value);
  if (namespace !== undefined) throw new RenderError('InvalidManifest', `failed to read ${where}: ${namespace}`, { file: place.file, document: place.document });
  into.push(value as Manifest);
  cap(place);
}

const SOURCE_COMMENT = /^# Source: (.+)$/m;

/**
 * Parses a multi-document YAML (or a JSON) text into Kubernetes objects, in order: empty documents
 * are skipped, `List`s and top-level arrays flattened, and every object must have `apiVersion`,
 * `kind` and `metadata.name`.
 *
 * @throws {@link RenderError} `InvalidManifest` naming the file, the document (1-based) and, for
 * syntax errors, the line and column, never quoting the content; `LimitExceeded` past
 * `maxObjects`.
 */
export function parseManifests(text: string, options: ParseManifestsOptions): Manifest[] {
  const lineCounter = new LineCounter();
  const format = options.format ?? 'yaml';
  // One document at a time (what parseAllDocuments does, without keeping every document's syntax
  // tree alive until the end): a long multi-document file costs one document's tree at a time.
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer(format === 'json' ? JSON_OPTIONS : YAML_OPTIONS);
  const objects: Manifest[] = [];
  const maxObjects = options.maxObjects;
  const already = options.already ?? 0;
  const cap = (place: Place): void => {
    if (maxObjects !== undefined && already + objects.length > maxObjects) {
      throw limitExceeded('manifests', place.file, `more than ${maxObjects} objects (the limit of objects per app), reached at ${place.label}`);
    }
  };
  let number = 0;
  for (const document of composer.compose(parser.parse(text))) {
    number += 1;
    const source = options.sourceComments === true ? SOURCE_COMMENT.exec(text.slice(document.range[0], document.range[1]))?.[1] : undefined;
    const label = `${options.file}, document ${number}${source === undefined ? '' : ` (${source})`}`;
    const place: Place = { file: source ?? options.file, document: number, label };
    const error = document.errors[0];
    if (error !== undefined) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      throw new RenderError('InvalidManifest', `failed to parse ${label}, line ${line}, column ${col}: ${withoutQuotes(error.message)}`, {
        file: place.file,
        document: number,
        line,
        column: col,
        cause: new Error(error.code),
      });
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (cause) {
      throw new RenderError('InvalidManifest', `failed to parse ${label}: ${withoutQuotes((cause as Error).message)}`, {
        file: place.file,
        document: number,
        cause,
      });
    }
    collect(value, place, '', objects, cap);
  }
  return objects;
}
