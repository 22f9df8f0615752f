import { detectSourceType } from './detect-source-type.ts';
import type { Manifest, SourceType } from './manifest.ts';
import { renderDirectory, type DirectoryOptions } from './render-directory.ts';
import { renderHelmChart, type HelmParams } from './render-helm-chart.ts';
import { renderKustomize } from './render-kustomize.ts';
import { DEFAULT_RENDER_LIMITS, type RenderLimits } from './render-limits.ts';
import type { ToolRunOptions } from './tool.ts';

/**
 * Everything besides the files that decides what a source renders to: the type (detected when
 * absent), the directory options and, for charts, the Helm parameters (required then).
 */
export interface RenderParams extends DirectoryOptions, Partial<HelmParams> {
  /** How to render; detected from the folder's files when absent ({@link detectSourceType}). */
  readonly type?: SourceType;
}

/** A source folder to render, and how. */
export interface RenderSource extends RenderParams {
  /** The folder: an app's path in a repository exported from git, or an unpacked chart. */
  readonly dir: string;
}

/** The binaries the renderers run, and the limits on running them. */
export interface RenderTools extends Omit<ToolRunOptions, 'maxOutputBytes'> {
  /** Caps on files, bytes, objects and output ({@link DEFAULT_RENDER_LIMITS} by default). */
  readonly limits?: RenderLimits;
  /**
   * Kustomize only: the folder no path may leave, the export of the repository root holding
   * `dir` (so `../../base` works); `dir` itself by default. Not part of the render cache key.
   */
  readonly root?: string;
  /** The helm binary (`ensureBinaries().paths.helm`). */
  readonly helm: string;
  /** The kubectl binary, whose built-in kustomize renders kustomizations (`ensureBinaries().paths.kubectl`). */
  readonly kubectl: string;
}

/** What a source rendered to. */
export interface RenderResult {
  /** The objects, in the renderer's order (path order for directories, helm's install order for charts). */
  readonly objects: readonly Manifest[];
  /** The renderer that made them (the detected one when the source named none). */
  readonly sourceType: SourceType;
}

/**
 * Renders a source folder into Kubernetes objects with the renderer its `type` names, or the one
 * {@link detectSourceType} finds: {@link renderDirectory}, {@link renderKustomize} or
 * {@link renderHelmChart}.
 *
 * @throws {@link RenderError} when the source cannot render (see its reasons); a `TypeError` when a
 * chart is rendered without `releaseName`, `namespace` or `kubeVersion`; plain errors for trouble
 * of this machine (a binary missing, a full disk).
 */
export async function render(source: RenderSource, tools: RenderTools): Promise<RenderResult> {
  const sourceType = source.type ?? (await detectSourceType(source.dir));
  const limits = tools.limits ?? DEFAULT_RENDER_LIMITS;
  const run = { timeoutMs: tools.timeoutMs, signal: tools.signal, limits };
  switch (sourceType) {
    case 'directory':
      return { sourceType, objects: await renderDirectory(source.dir, source, limits) };
    case 'kustomize':
      return { sourceType, objects: await renderKustomize(source.dir, { ...run, kubectl: tools.kubectl, ...(tools.root === undefined ? {} : { root: tools.root }) }) };
    case 'helm': {
      const { releaseName, namespace, kubeVersion } = source;
      if (releaseName === undefined || namespace === undefined || kubeVersion === undefined) {
        throw new TypeError('failed to render helm chart: releaseName, namespace and kubeVersion are required');
      }
      const objects = await renderHelmChart(source.dir, {
        ...run,
        helm: tools.helm,
        releaseName,
        namespace,
        kubeVersion,
        values: source.values,
        valueFiles: source.valueFiles,
        apiVersions: source.apiVersions,
      });
      return { sourceType, objects };
    }
  }
}
