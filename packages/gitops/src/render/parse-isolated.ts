import { Worker } from 'node:worker_threads';
import type { Manifest } from './manifest.ts';
import { parseManifests, type ParseManifestsOptions } from './parse-manifests.ts';
import { RenderError, type RenderErrorReason } from './render-error.ts';
import { limitExceeded } from './render-limits.ts';

/** A text to parse into objects, with how to read it and how errors name it. */
export interface ManifestText {
  readonly text: string;
  readonly options: ParseManifestsOptions;
}

/**
 * Parses the texts in order, with one cap on objects over all of them.
 *
 * @throws {@link RenderError} `InvalidManifest` or `LimitExceeded` (see {@link parseManifests}).
 */
export function parseTexts(texts: readonly ManifestText[], maxObjects: number | undefined, onFile?: (file: string) => void): Manifest[] {
  const objects: Manifest[] = [];
  for (const { text, options } of texts) {
    onFile?.(options.file);
    for (const object of parseManifests(text, { ...options, maxObjects, already: objects.length })) objects.push(object);
  }
  return objects;
}

/** Options of {@link parseIsolated}. */
export interface ParseIsolatedOptions {
  readonly maxObjects?: number;
  /** Kill the parse (and fail) after this long; 60 s by default. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Texts up to this size are parsed in the calling thread: a worker costs more than they do. */
export const INLINE_PARSE_BYTES = 64 * 1024;
/** The heap of a parse worker. */
const WORKER_HEAP_MIB = 192;
/** Parse workers at once (each may use {@link WORKER_HEAP_MIB}). */
const MAX_WORKERS = 2;
const DEFAULT_TIMEOUT_MS = 60_000;

/** What a parse worker posts: the file it starts on, then the objects or the error. */
export type ParseWorkerMessage =
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'done'; readonly objects: Manifest[] }
  | {
      readonly kind: 'failed';
      readonly reason: RenderErrorReason | undefined;
      readonly message: string;
      readonly file?: string;
      readonly document?: number;
      readonly line?: number;
      readonly column?: number;
    };

let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(use: () => Promise<T>): Promise<T> {
  if (running >= MAX_WORKERS) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await use();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

function parseInWorker(texts: readonly ManifestText[], options: ParseIsolatedOptions): Promise<Manifest[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./parse-worker.ts', import.meta.url), {
      workerData: { texts, maxObjects: options.maxObjects },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MIB, maxYoungGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
    let file: string | undefined;
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      outcome();
    };
    const timer = setTimeout(() => {
      finish(() => reject(limitExceeded('manifests', file, `parsing ${file ?? 'the manifests'} took longer than ${timeoutMs / 1000} s`)));
    }, timeoutMs);
    const onAbort = (): void => finish(() => reject(new Error('failed to parse manifests: aborted')));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: ParseWorkerMessage) => {
      if (message.kind === 'file') file = message.file;
      else if (message.kind === 'done') finish(() => resolve(message.objects));
      else {
        const { reason, message: text, ...location } = message;
        finish(() => reject(reason === undefined ? new Error(text) : new RenderError(reason, text, location)));
      }
    });
    worker.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        // A small file can still be a memory bomb: the YAML library keeps a few hundred bytes per
        // node, so a 1 MiB flow sequence of `1,` needs more than the manager's whole heap.
        finish(() => reject(limitExceeded('manifests', file, `parsing ${file ?? 'the manifests'} needs more than ${WORKER_HEAP_MIB} MiB of memory`)));
      } else {
        finish(() => reject(new Error(`failed to parse manifests: ${error.message}`, { cause: error })));
      }
    });
    worker.on('exit', (code) => finish(() => reject(new Error(`failed to parse manifests: the parser stopped with code ${code}`))));
  });
}

/**
 * Parses manifest texts ({@link parseTexts}) so that no input can take the manager down: up to
 * {@link INLINE_PARSE_BYTES} in this thread, anything larger in a worker thread with its own
 * bounded heap and a timeout (at most two at once). A memory or CPU bomb (a flow sequence of a
 * million items, a map of 50,000 keys whose duplicate check is quadratic) then fails that one
 * render with `LimitExceeded` naming the file, instead of exhausting the manager's heap or
 * blocking its event loop.
 *
 * @throws {@link RenderError} `InvalidManifest` or `LimitExceeded`.
 */
export async function parseIsolated(texts: readonly ManifestText[], options: ParseIsolatedOptions = {}): Promise<Manifest[]> {
  const size = texts.reduce((sum, { text }) => sum + text.length, 0);
  if (size <= INLINE_PARSE_BYTES) return parseTexts(texts, options.maxObjects);
  return slot(() => parseInWorker(texts, options));
}
