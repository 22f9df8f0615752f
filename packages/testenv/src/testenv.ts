import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { binaryPathsIn, type BinaryPaths } from '@beamline/binaries';
import { kubeconfigYamlForDir, type UserIdentity } from '@beamline/control-plane';
import { startSharedPlane, type StartedSharedPlane } from './shared-plane.ts';
import { SHARED_STATE_ENV, type SharedControlPlane, type SharedIdentity } from './shared-state.ts';

/** The control plane a test file works against. */
export interface TestEnv {
  /** Admin kubeconfig (group `system:masters`). */
  readonly kubeConfig: KubeConfig;
  readonly kubeconfigPath: string;
  readonly server: string;
  /** The pinned binaries, for tests that start processes of their own. */
  readonly binaries: BinaryPaths;
  /** A namespace created for this test file and deleted after it. */
  readonly namespace: string;
  /** The OIDC provider the plane's apiserver trusts (demo users of `@beamline/oidc-provider`). */
  readonly identity: SharedIdentity;
  /** A kubeconfig authenticating as any user and groups (client certificate from the plane's CA). */
  kubeConfigFor(identity: UserIdentity): Promise<KubeConfig>;
  /**
   * Registers cleanup (e.g. deleting cluster-scoped objects the file created). Cleanups run in
   * reverse order, before the namespace is deleted and while the control plane is still up, even
   * when tests failed; a failing cleanup does not stop the others.
   */
  onCleanup(cleanup: () => Promise<unknown>): void;
}

let ownPlane: Promise<StartedSharedPlane> | undefined;

/**
 * The run's shared control plane. When a test file runs on its own (without the global setup,
 * e.g. `npx node --test some.test.ts`) it starts a private one, stopped when the file ends.
 */
async function sharedPlane(): Promise<SharedControlPlane> {
  const statePath = process.env[SHARED_STATE_ENV];
  if (statePath !== undefined) return JSON.parse(readFileSync(statePath, 'utf8')) as SharedControlPlane;
  ownPlane ??= startSharedPlane();
  return (await ownPlane).shared;
}

/** A DNS-1123 name that is unique in this run: `<prefix>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * Registers `before`/`after` hooks that connect the test file to the shared control plane and
 * give it a namespace of its own, deleted afterwards. Returns a handle whose fields are set once
 * the `before` hook has run.
 */
export function useTestEnv(prefix = 'test'): TestEnv {
  const cleanups: (() => Promise<unknown>)[] = [];
  const env = { onCleanup: (cleanup: () => Promise<unknown>) => void cleanups.push(cleanup) } as { -readonly [K in keyof TestEnv]: TestEnv[K] };
  before(async () => {
    const shared = await sharedPlane();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(shared.kubeconfigPath);
    env.kubeConfig = kubeConfig;
    env.kubeconfigPath = shared.kubeconfigPath;
    env.server = shared.server;
    env.binaries = binaryPathsIn(shared.binDir);
    env.namespace = uniqueName(prefix);
    env.identity = shared.identity;
    env.kubeConfigFor = async (identity) => {
      const config = new KubeConfig();
      config.loadFromString(await kubeconfigYamlForDir(shared.dir, identity));
      return config;
    };
    await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: env.namespace } } });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (env.kubeConfig !== undefined) {
      await env.kubeConfig
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: env.namespace })
        .catch(() => undefined);
    }
    if (ownPlane !== undefined) await (await ownPlane).stop();
  });
  return env;
}

/** Options of {@link waitFor}. */
export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Says what is awaited, for the timeout message. */
  readonly what?: string;
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, and returns it. Tests
 * wait for the state of the world instead of sleeping; the timeout is a bound, not a measurement.
 * On timeout the error names what was awaited and the last error `check` threw.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : `: last error: ${(lastError as Error).message}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'}${cause}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
