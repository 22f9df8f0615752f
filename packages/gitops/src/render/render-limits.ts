import { RenderError } from './render-error.ts';

/**
 * Caps on what one render reads, runs and parses. A repository is written by anyone with push
 * access: without caps a 20 MiB YAML file, a folder of 100k files or a chart that prints forever
 * fills the manager's heap and it crash-loops. Every cap is checked before the bytes are read
 * (sizes come from git's listing or `stat`), and the renderers' output is cut off at
 * {@link RenderLimits.maxTotalBytes} with the binary killed.
 */
export interface RenderLimits {
  /** The largest manifest (or value) file read, in bytes. */
  readonly maxFileBytes: number;
  /** All files of the app together, and the output of `helm template` or `kubectl kustomize`, in bytes. */
  readonly maxTotalBytes: number;
  /** Files in the app's folder (every file, not only manifests: they are all exported or listed). */
  readonly maxFiles: number;
  /** Kubernetes objects one app renders to. */
  readonly maxObjects: number;
}

/**
 * The defaults: 4 MiB per file, 16 MiB per app, 5,000 files, 10,000 objects. Generous for real
 * apps (Argo CD's install.yaml is under 2 MiB with every CRD; a kube-prometheus-stack render about
 * 3 MiB), and small enough that the manager, which runs with a 256 MiB heap, stays up.
 */
export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  maxFileBytes: 4 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024,
  maxFiles: 5_000,
  maxObjects: 10_000,
};

/** {@link DEFAULT_RENDER_LIMITS} with `overrides` applied. */
export function renderLimits(overrides: Partial<RenderLimits> = {}): RenderLimits {
  return { ...DEFAULT_RENDER_LIMITS, ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) };
}

/** `4 MiB`, `300 KiB`, `12 bytes`: sizes in messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}

/** A `LimitExceeded` render error naming the file (relative to the source folder) and the limit. */
export function limitExceeded(what: string, file: string | undefined, detail: string): RenderError {
  return new RenderError('LimitExceeded', `failed to render ${what}: ${detail}`, file === undefined ? {} : { file });
}

/** A file (or entry) with its size, as a listing gives it before anything is read. */
export interface SizedFile {
  /** Relative to the source folder, `/`-separated. */
  readonly path: string;
  readonly size: number;
}

/**
 * Checks a listing against the caps on files, bytes per file and bytes in all, before anything is
 * read: the first file over a cap is named.
 *
 * @throws {@link RenderError} `LimitExceeded`.
 */
export function checkListing(files: Iterable<SizedFile>, limits: RenderLimits, what = 'source'): void {
  let count = 0;
  let total = 0;
  for (const file of files) {
    count += 1;
    if (count > limits.maxFiles) {
      throw limitExceeded(what, file.path, `more than ${limits.maxFiles} files (the limit of files per app), ${file.path} is one too many`);
    }
    if (file.size > limits.maxFileBytes) {
      throw limitExceeded(what, file.path, `${file.path} is ${formatBytes(file.size)}, more than the limit of ${formatBytes(limits.maxFileBytes)} per file`);
    }
    total += file.size;
    if (total > limits.maxTotalBytes) {
      throw limitExceeded(what, file.path, `the files up to ${file.path} make more than ${formatBytes(limits.maxTotalBytes)}, the limit per app`);
    }
  }
}
