// The entry of a parse worker (see parseIsolated): parses what it is given and posts the objects
// or the error, naming each file before it starts on it so a worker killed for its memory still
// says which file did it.
import { parentPort, workerData } from 'node:worker_threads';
import { parseTexts, type ManifestText, type ParseWorkerMessage } from './parse-isolated.ts';
import { RenderError } from './render-error.ts';

interface ParseWorkerData {
  readonly texts: readonly ManifestText[];
  readonly maxObjects: number | undefined;
}

const post = (message: ParseWorkerMessage): void => parentPort?.postMessage(message);
const { texts, maxObjects } = workerData as ParseWorkerData;
try {
  const objects = parseTexts(texts, maxObjects, (file) => post({ kind: 'file', file }));
  post({ kind: 'done', objects });
} catch (error) {
  if (error instanceof RenderError) {
    post({ kind: 'failed', reason: error.reason, message: error.message, file: error.file, document: error.document, line: error.line, column: error.column });
  } else {
    post({ kind: 'failed', reason: undefined, message: `failed to parse manifests: ${(error as Error).message}` });
  }
}
