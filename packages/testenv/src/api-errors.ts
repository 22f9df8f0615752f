/** How an API call ended, for tests of refusals: the HTTP status and the API server's Status message. */
export interface ApiOutcome {
  /** 200 when the call succeeded; otherwise the status the API server answered (-1: no answer). */
  readonly code: number;
  /** The `message` of the Status object (it names the field for validation errors); '' on success. */
  readonly message: string;
}

/**
 * Awaits an API call (client-node's, or `@beamline/kube`'s, whose `KubeApiError` carries the
 * Status message as its message) and reports its status code and the Status message, never throwing.
 */
export async function apiOutcome(call: Promise<unknown>): Promise<ApiOutcome> {
  try {
    await call;
    return { code: 200, message: '' };
  } catch (error) {
    const e = error as { code?: number; body?: unknown; message?: string };
    if (e.body === undefined && typeof e.code === 'number') return { code: e.code, message: e.message ?? '' };
    const raw = typeof e.body === 'string' ? e.body : JSON.stringify(e.body);
    try {
      return { code: e.code ?? -1, message: (JSON.parse(raw) as { message?: string }).message ?? raw };
    } catch {
      return { code: e.code ?? -1, message: raw };
    }
  }
}

/**
 * The HTTP status a call ended with: 200, or the status the apiserver refused it with (a
 * client-node `ApiException` or an `@beamline/kube` `KubeApiError`, both carry `code`). Anything
 * else (a bug, a network error) is thrown, so a test of refusals never passes on it.
 */
export async function apiCode(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'number') return code;
    throw error;
  }
}
