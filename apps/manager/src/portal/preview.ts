/**
 * `GET /api/applications/:namespace/:name/preview`: what a sync would change. Renders a tenant's
 * source on the manager with the controller's engine and limits (`diffApplication`: the
 * SourceLoader's render limits, no network in kustomize), reads live objects only where and as
 * whom the controller delivers (`deliveryTarget`), bounded in concurrency, time and size.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Application } from '@beamline/api';
import { DeliveryRefusedError, diffApplication, type DiffObject } from '@beamline/controllers';
import { ConflictError, HttpError } from '@beamline/errors';
import type { KubeClient } from '@beamline/kube';
import type { Logger } from 'pino';

/** Previews running at once on the manager. */
export const MAX_PREVIEWS = 2;
/** How long a preview may take before the answer is 504. */
export const PREVIEW_TIMEOUT_MS = 60_000;
/** The longest diff text of one object; longer is cut and says so. */
export const MAX_OBJECT_DIFF_BYTES = 64 * 1024;
/** The largest answer: objects beyond it are left out and `truncated` says so. */
export const MAX_PREVIEW_BYTES = 2 * 1024 * 1024;
const TRUNCATED = '\n… truncated\n';

/** 429: too many previews at once. */
export class PreviewBusyError extends HttpError {
  constructor(message: string) {
    super(429, message);
  }
}

/** 504: the preview took longer than allowed. */
export class GatewayTimeoutError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(504, message, options);
  }
}

/** 502: the source could not be fetched or rendered, or the destination did not answer. */
export class PreviewFailedError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(502, message, options);
  }
}

/** The answer. */
export interface PreviewView {
  readonly revision: string;
  readonly changed: number;
  readonly objects: readonly DiffObject[];
  /** Present (true) when objects were left out to keep the answer under {@link MAX_PREVIEW_BYTES}. */
  readonly truncated?: true;
}

/** What previews run with. */
export interface PreviewerOptions {
  /** The manager's own client: reads the app's Namespace, Project, Cluster and kubeconfig Secret (never shown). */
  readonly client: KubeClient;
  /** `$BEAMLINE_HOME`: previews work in `<home>/portal-preview/<pid>-*`, owner-only, removed after each. */
  readonly home: string;
  /** The pinned helm and kubectl (kustomize), as delivery uses. */
  readonly binaries: { readonly helm: string; readonly kubectl: string };
  readonly logger: Logger;
  readonly timeoutMs?: number;
  /** The diff to run (tests give a fake); default `diffApplication`. */
  readonly diff?: typeof diffApplication;
}

/** Cuts `text` to `max` bytes of UTF-8 (at a character), saying so. */
function capText(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const cut = Buffer.from(text).subarray(0, max).toString('utf8').replace(/\uFFFD$/, '');
  return `${cut}${TRUNCATED}`;
}

/** The objects of a diff, each capped, as many as fit the answer's cap. */
export function capPreview(revision: string, objects: readonly DiffObject[], maxObjectBytes = MAX_OBJECT_DIFF_BYTES, maxBytes = MAX_PREVIEW_BYTES): PreviewView {
  const kept: DiffObject[] = [];
  let size = 200 + Buffer.byteLength(revision);
  for (const object of objects) {
    const capped = { ...object, diff: capText(object.diff, maxObjectBytes) };
    size += Buffer.byteLength(JSON.stringify(capped)) + 1;
    if (size > maxBytes) return { revision, changed: objects.length, objects: kept, truncated: true };
    kept.push(capped);
  }
  return { revision, changed: objects.length, objects: kept };
}

/** Whether a process id is running (its leftover folders are kept). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs previews: at most {@link MAX_PREVIEWS} at once and one per session (else 429), each in a
 * folder of its own under the manager's home, 504 after the timeout. A preview that timed out
 * still holds its slot until its work ends: the bound is on work, not on answers.
 */
export class Previewer {
  readonly #options: PreviewerOptions;
  readonly #root: string;
  readonly #sessions = new Set<string>();
  #running = 0;
  #prepared: Promise<void> | undefined;

  constructor(options: PreviewerOptions) {
    this.#options = options;
    this.#root = join(options.home, 'portal-preview');
  }

  /** The root folder, made owner-only; folders of managers no longer running are removed (a killed manager's). */
  #prepare(): Promise<void> {
    this.#prepared ??= (async () => {
      await mkdir(this.#root, { recursive: true, mode: 0o700 });
      for (const name of await readdir(this.#root)) {
        const pid = Number(/^(\d+)-/.exec(name)?.[1]);
        if (Number.isSafeInteger(pid) && pid !== process.pid && !alive(pid)) await rm(join(this.#root, name), { recursive: true, force: true });
      }
    })().catch((error: unknown) => {
      this.#prepared = undefined;
      throw error;
    });
    return this.#prepared;
  }

  /** What a sync of `app` would change; `prune`: also the objects a prune would delete. */
  async preview(sessionId: string, app: Application, prune: boolean): Promise<PreviewView> {
    if (this.#sessions.has(sessionId)) throw new PreviewBusyError('a preview of this session is still running: wait for it before asking another');
    if (this.#running >= MAX_PREVIEWS) throw new PreviewBusyError(`the manager runs at most ${String(MAX_PREVIEWS)} previews at once: retry in a few seconds`);
    this.#sessions.add(sessionId);
    this.#running++;
    const work = (async () => {
      await this.#prepare();
      const dir = await mkdtemp(join(this.#root, `${String(process.pid)}-`));
      try {
        return await (this.#options.diff ?? diffApplication)(app, { client: this.#options.client, binaries: this.#options.binaries, workDir: dir, showPrune: prune });
      } finally {
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    })();
    void work
      .finally(() => {
        this.#running--;
        this.#sessions.delete(sessionId);
      })
      .catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GatewayTimeoutError(`the preview took longer than ${String(Math.round((this.#options.timeoutMs ?? PREVIEW_TIMEOUT_MS) / 1000))} s`)), this.#options.timeoutMs ?? PREVIEW_TIMEOUT_MS);
    });
    try {
      const diff = await Promise.race([work, timeout]);
      return capPreview(diff.revision, diff.objects);
    } catch (error) {
      if (error instanceof HttpError) throw error;
      if (error instanceof DeliveryRefusedError) throw new ConflictError(error.message, { cause: error });
      const message = (error as Error).message;
      this.#options.logger.info({ err: message, app: `${app.metadata.namespace ?? ''}/${app.metadata.name ?? ''}` }, 'a portal preview failed');
      throw new PreviewFailedError(`the preview failed: ${message.length > 2000 ? `${message.slice(0, 2000)}…` : message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
