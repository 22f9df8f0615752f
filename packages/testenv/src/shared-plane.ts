import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries, stderrProgress } from '@beamline/binaries';
import { startControlPlane } from '@beamline/control-plane';
import { DEMO_USERS, startIdentityProvider } from '@beamline/oidc-provider';
import type { SharedControlPlane, SharedIdentity } from './shared-state.ts';

/** A started shared plane and how to stop it (plane, then identity provider, then its folder). */
export interface StartedSharedPlane {
  readonly shared: SharedControlPlane;
  stop(): Promise<void>;
}

/**
 * Starts what every test file of a run shares: a real OIDC provider with the demo users, then one
 * full control plane whose apiserver trusts it from its first start (`oidc:` prefixes, as the
 * default PlatformConfig identity). Used by the global setup, and by a test file run on its own.
 */
export async function startSharedPlane(): Promise<StartedSharedPlane> {
  const binaries = await ensureBinaries({ progress: stderrProgress('setup') });
  const providerDir = await mkdtemp(join(tmpdir(), 'beamline-testenv-idp-'));
  const provider = await startIdentityProvider({ dir: providerDir, users: DEMO_USERS, port: 0 }).catch(async (error: unknown) => {
    await rm(providerDir, { recursive: true, force: true });
    throw error;
  });
  const identity: SharedIdentity = { issuer: provider.issuer, caPem: provider.caPem, clientID: provider.clientID, usernamePrefix: 'oidc:', groupsPrefix: 'oidc:' };
  const stopProvider = async (): Promise<void> => {
    await provider.stop();
    await rm(providerDir, { recursive: true, force: true });
  };
  let plane;
  try {
    plane = await startControlPlane({
      binaries: binaries.paths,
      mode: 'full',
      name: 'testenv',
      authentication: [
        {
          issuer: identity.issuer,
          audiences: [identity.clientID],
          certificateAuthority: identity.caPem,
          usernameClaim: 'email',
          usernamePrefix: identity.usernamePrefix,
          groupsClaim: 'groups',
          groupsPrefix: identity.groupsPrefix,
        },
      ],
    });
  } catch (error) {
    await stopProvider();
    throw error;
  }
  return {
    shared: { kubeconfigPath: plane.kubeconfigPath, server: plane.server, dir: plane.dir, binDir: binaries.dir, mode: 'full', identity },
    stop: async () => {
      await plane.stop();
      await stopProvider();
    },
  };
}
