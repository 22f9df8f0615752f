import { formatBytes, limitExceeded, type RenderLimits } from './render-limits.ts';
import { isolatedEnv, runTool, ToolFailure } from './tool.ts';

/** How a renderer is named in its errors. */
export interface RendererNames {
  /** The command, in `failed to run <command>: …`: `helm`, `kubectl kustomize`. */
  readonly command: string;
  /** What it renders, in the limit error: `helm chart`, `kustomization`. */
  readonly source: string;
  /** What prints the output: `helm template`, `kustomize`. */
  readonly printer: string;
}

/** Options of {@link runRenderer}. */
export interface RunRendererOptions {
  /** The private home it runs in (see `withPrivateHome`). */
  readonly home: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Its output is capped at `maxTotalBytes`, the limit per app. */
  readonly limits: RenderLimits;
}

/**
 * Runs a renderer (helm template, kubectl kustomize) offline in a private home, its output capped
 * at the app's limit, and returns what it printed. What is not the source's fault is thrown as is
 * or as `failed to run <command>: …`; output over the limit is a limit error. A {@link ToolFailure}
 * about the input is rethrown for the caller to describe in its own words.
 */
export async function runRenderer(binary: string, args: readonly string[], names: RendererNames, options: RunRendererOptions): Promise<string> {
  try {
    return await runTool(binary, args, {
      env: isolatedEnv(options.home, 'none'),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      maxOutputBytes: options.limits.maxTotalBytes,
    });
  } catch (cause) {
    if (!(cause instanceof ToolFailure)) throw cause;
    if (!cause.aboutInput) throw new Error(`failed to run ${names.command}: ${cause.detail}`, { cause });
    if (cause.outcome === 'outputTooLarge') {
      throw limitExceeded(names.source, `${names.printer} output`, `${names.printer} printed more than ${formatBytes(options.limits.maxTotalBytes)}, the limit per app (it was stopped)`);
    }
    throw cause;
  }
}
