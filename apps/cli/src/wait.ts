import { apiStatus } from './kube.ts';
import { CliError } from './output.ts';
import type { ResourceClient } from './resources.ts';

/** `90s`, `10m`, `1h`, `500ms` → milliseconds; anything else is a usage error naming the flag. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(value.trim());
  if (match === null) throw new CliError(`invalid value "${value}" for ${flag}: use a duration like 90s, 10m or 1h`, 2);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/** Polls `check` every half second until it returns true; a timeout is a {@link CliError}. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, timeoutMessage: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new CliError(timeoutMessage());
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Waits until the object is gone (its get answers 404); a timeout is a {@link CliError}. */
export async function waitUntilGone(client: ResourceClient, name: string, namespace: string, timeoutMs: number, timeoutMessage: () => string): Promise<void> {
  await waitUntil(
    async () => {
      try {
        await client.get(name, namespace);
        return false;
      } catch (error) {
        if (apiStatus(error) === 404) return true;
        throw error;
      }
    },
    timeoutMs,
    timeoutMessage,
  );
}
