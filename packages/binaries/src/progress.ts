/** Receives the setup's progress lines. Setup can take tens of minutes cold: it must never be silent. */
export interface Progress {
  /** One line for a person to read, e.g. `building kube-apiserver (2/8)`. */
  step(message: string): void;
}

/** Progress printed to stderr with a prefix, so it never mixes with a command's real output. */
export function stderrProgress(prefix = 'setup'): Progress {
  return { step: (message) => process.stderr.write(`[${prefix}] ${message}\n`) };
}

/** Progress that drops every line (library use, tests). */
export const silentProgress: Progress = { step: () => undefined };

/** `83_000` → `1m23s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/**
 * Runs `work` and prints `still <what> (elapsed)` every `everyMs` until it ends, so a long build
 * shows it is alive.
 */
export async function withHeartbeat<T>(progress: Progress, what: string, work: () => Promise<T>, everyMs = 30_000): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => progress.step(`still ${what} (${formatDuration(Date.now() - started)})`), everyMs);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
