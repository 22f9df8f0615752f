import { realpath, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Manifest } from './manifest.ts';
import { parseIsolated } from './parse-isolated.ts';
import { RenderError } from './render-error.ts';
import { DEFAULT_RENDER_LIMITS, type RenderLimits } from './render-limits.ts';
import { findEscapingSymlink, isInside } from './symlinks.ts';
import { runRenderer, type RendererNames } from './run-renderer.ts';
import { ToolFailure, withoutPath, withPrivateHome, type ToolRunOptions } from './tool.ts';

/** The parameters of a Helm render that change its output (besides the chart's files). */
export interface HelmParams {
  /** The release name (`.Release.Name`). */
  readonly releaseName: string;
  /** The release namespace (`.Release.Namespace`). */
  readonly namespace: string;
  /** The destination's Kubernetes version (`.Capabilities.KubeVersion`), e.g. `1.36.3` or `v1.36.3`. */
  readonly kubeVersion: string;
  /** Values that override the chart's (and the value files'), as a JSON object. */
  readonly values?: Readonly<Record<string, unknown>>;
  /** Value files, relative to the chart folder and inside it, applied in order before `values`. */
  readonly valueFiles?: readonly string[];
  /** Extra API versions for `.Capabilities.APIVersions` (`--api-versions`), e.g. `monitoring.coreos.com/v1`. */
  readonly apiVersions?: readonly string[];
}

/** Options of {@link renderHelmChart}. */
export interface HelmChartOptions extends HelmParams, ToolRunOptions {
  /** The helm binary. */
  readonly helm: string;
  /** Caps on helm's output (bytes, killed beyond) and on the objects; the defaults otherwise. */
  readonly limits?: RenderLimits;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const HELM: RendererNames = { command: 'helm', source: 'helm chart', printer: 'helm template' };

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function invalidValues(message: string, cause?: unknown): RenderError {
  return new RenderError('InvalidValues', `failed to render helm chart: ${message}`, cause === undefined ? {} : { cause });
}

/** The absolute paths of the value files, each checked to be a file inside the chart folder. */
async function resolveValueFiles(root: string, rootReal: string, valueFiles: readonly string[]): Promise<string[]> {
  const paths: string[] = [];
  for (const file of valueFiles) {
    if (file === '' || file.includes('\0') || isAbsolute(file) || !isInside(root, resolve(root, file))) {
      throw invalidValues(`value file ${JSON.stringify(file)} is not a path inside the chart folder`);
    }
    const real = await realpath(resolve(root, file)).catch(() => undefined);
    if (real === undefined) throw invalidValues(`value file ${file} not found in the chart folder`);
    if (!isInside(rootReal, real)) throw invalidValues(`value file ${file} links outside the chart folder`);
    if (!(await stat(real)).isFile()) throw invalidValues(`value file ${file} is not a file`);
    paths.push(real);
  }
  return paths;
}

function valuesJson(values: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (values === undefined) return undefined;
  if (!isPlainObject(values)) throw invalidValues('values must be an object');
  try {
    return JSON.stringify(values);
  } catch (cause) {
    throw invalidValues('values are not representable as JSON', cause);
  }
}

const SCHEMA_ERROR_LINE = /^(\s*- at '[^']*': )(.*)$/;
const NUMERIC_BOUND = /^(minimum|maximum|exclusiveMinimum|exclusiveMaximum|multipleOf): got .*, want/;

/**
 * helm's values.schema.json errors quote the offending value (`- at '/password': 'hunter2' does not
 * match pattern '^x'`, `minimum: got -4, want 0`): keep the path and the rule, drop the value.
 */
function withoutSchemaValues(detail: string): string {
  return detail
    .split('\n')
    .map((line) => {
      const match = SCHEMA_ERROR_LINE.exec(line);
      if (match === null) return line;
      const rule = (match[2] ?? '')
        .replace(/^'.*' (does not match pattern|is not valid) /, 'the value $1 ')
        .replace(NUMERIC_BOUND, '$1: got …, want');
      return `${match[1]}${rule}`;
    })
    .join('\n');
}

const MISSING_DEPENDENCIES = /missing in charts\/ directory: (.+)$/m;

function templateFailure(output: string): RenderError {
  const detail = withoutSchemaValues(output);
  const missing = MISSING_DEPENDENCIES.exec(detail)?.[1];
  const message =
    missing === undefined
      ? `failed to render helm chart: ${detail}`
      : `failed to render helm chart: dependencies missing from charts/: ${missing} (rendering runs without network: vendor them into charts/ with helm dependency build and commit them)`;
  return new RenderError('HelmTemplateFailed', message, { cause: new Error(detail) });
}

/** `v1.36.3` from `1.36.3` or `v1.36.3`. */
function withV(version: string): string {
  return version.startsWith('v') ? version : `v${version}`;
}

/**
 * Renders a chart folder with
 * `helm template --namespace <ns> --kube-version <v> --include-crds --skip-tests [--api-versions a]
 * [-f <value file>]... [-f <values>] -- <release> <dir>`: no `--dependency-update` and no network
 * (dependencies must be in `charts/`), HOME and every helm folder (`HELM_CACHE_HOME`,
 * `HELM_CONFIG_HOME`, `HELM_DATA_HOME`) in a private temporary folder, so no user repository,
 * plugin or kubeconfig leaks in. Hooks stay in the output (with their annotations); chart tests do not.
 *
 * @throws {@link RenderError} `InvalidValues` (values not an object, a value file missing or outside
 * the chart folder), `HelmTemplateFailed` with helm's message (`execution error at
 * (chart/templates/x.yaml:3:4): ...`, values.schema.json violations, missing dependencies, a link
 * out of the chart folder), `LimitExceeded` (output or objects over `limits`), or
 * `InvalidManifest` when a template renders something that is not a Kubernetes object.
 */
export async function renderHelmChart(dir: string, options: HelmChartOptions): Promise<Manifest[]> {
  const root = resolve(dir);
  const rootReal = await realpath(root).catch((cause: unknown) => {
    throw new RenderError('HelmTemplateFailed', 'failed to render helm chart: the chart folder does not exist', { cause });
  });
  const limits = options.limits ?? DEFAULT_RENDER_LIMITS;
  const json = valuesJson(options.values);
  const valueFiles = await resolveValueFiles(root, rootReal, options.valueFiles ?? []);
  const escaping = await findEscapingSymlink(root);
  if (escaping !== undefined) {
    throw new RenderError('HelmTemplateFailed', `failed to render helm chart: ${escaping} links outside the chart folder`, { file: escaping });
  }
  // Anything but the tool failing (a full disk, say) is not the source's fault: it propagates as is.
  const output = await withPrivateHome(async (home) => {
    const args = [
      'template',
      '--namespace',
      options.namespace,
      '--kube-version',
      withV(options.kubeVersion),
      '--include-crds',
      '--skip-tests',
      ...(options.apiVersions ?? []).flatMap((apiVersion) => ['--api-versions', apiVersion]),
      ...valueFiles.flatMap((file) => ['--values', file]),
    ];
    if (json !== undefined) {
      const valuesFile = join(home, 'values.json');
      await writeFile(valuesFile, json, { mode: 0o600 });
      args.push('--values', valuesFile);
    }
    args.push('--', options.releaseName, root);
    try {
      return await runRenderer(options.helm, args, HELM, { home, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: options.signal, limits });
    } catch (cause) {
      if (!(cause instanceof ToolFailure)) throw cause;
      throw templateFailure(withoutPath(withoutPath(withoutPath(cause.detail, home), root), rootReal));
    }
  });
  return parseIsolated([{ text: output, options: { file: 'helm template output', sourceComments: true } }], { maxObjects: limits.maxObjects, signal: options.signal });
}
