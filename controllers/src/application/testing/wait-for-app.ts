// Test helpers shared by the Application tests (in-process and end to end).
import type { Application } from '@beamline/api';
import { waitFor } from '@beamline/testenv';

/**
 * Waits until `get(name)` satisfies `check`; on timeout the error carries the last status seen,
 * which is what one needs to tell why.
 */
export async function waitForAppStatus(
  get: (name: string) => Promise<Application>,
  name: string,
  what: string,
  check: (app: Application) => boolean,
  timeoutMs: number,
): Promise<Application> {
  let last: Application | undefined;
  try {
    return await waitFor(
      async () => {
        last = await get(name);
        return check(last) ? last : undefined;
      },
      { timeoutMs, what },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last status: ${JSON.stringify(last?.status, null, 1)}`, { cause: error });
  }
}
