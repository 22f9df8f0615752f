/**
 * The sandbox's identity: the embedded OIDC provider (a real one, in its own process) with demo
 * users, the PlatformConfig identity pointing at it, and two demo projects whose members are those
 * users, so that a newcomer can log in as a scientist at once and see what tenants see.
 */
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, PLATFORM_CONFIG, PLATFORM_CONFIG_NAME, PROJECT, type Identity, type Project } from '@beamline/api';
import { clientFor, isConflict, type ResourceType } from '@beamline/kube';
import { DEMO_USERS, startIdentityProvider, type DemoUser, type IdentityProvider } from '@beamline/oidc-provider';

/** The group of the demo users who are platform admins. */
export const SANDBOX_ADMIN_GROUP = 'beamline-admins';

/** The field manager of what `beamline up` sets in the PlatformConfig: only `spec.identity`, so an operator's edits of the rest stay. */
const FIELD_MANAGER = 'beamline-sandbox';

/** The folder of the sandbox's identity provider (its CA, keys, users, log). */
export function identityProviderDir(home: string): string {
  return join(home, 'identity-provider');
}

/**
 * Starts the sandbox's identity provider (detached, like the control planes), or finds it running.
 * Its port, CA and signing keys are kept in its folder, so the issuer the apiservers trust stays
 * the same across `down`/`up`. The portal's callback on the manager's port is an allowed redirect.
 */
export async function ensureIdentityProvider(home: string, managerPort: number): Promise<IdentityProvider> {
  return startIdentityProvider({
    dir: identityProviderDir(home),
    users: DEMO_USERS,
    lifetime: 'detached',
    redirectUris: [`http://127.0.0.1:${managerPort}/auth/callback`, `http://localhost:${managerPort}/auth/callback`],
  });
}

/** The PlatformConfig identity of the sandbox: its provider, the default prefixes, `beamline-admins` as admins. */
export function sandboxIdentity(provider: IdentityProvider): Identity {
  return {
    issuer: provider.issuer,
    clientID: provider.clientID,
    certificateAuthority: provider.caPem,
    usernameClaim: 'email',
    usernamePrefix: 'oidc:',
    groupsClaim: 'groups',
    groupsPrefix: 'oidc:',
    adminGroups: [SANDBOX_ADMIN_GROUP],
  };
}

const platformConfigs: ResourceType = { apiVersion: API_VERSION, kind: PLATFORM_CONFIG.kind, plural: PLATFORM_CONFIG.plural, namespaced: false };
const projects: ResourceType = { apiVersion: API_VERSION, kind: PROJECT.kind, plural: PROJECT.plural, namespaced: false };

/** Server-side applies `spec.identity` of the PlatformConfig (as its own field manager: nothing else is touched). */
export async function applyIdentity(kubeConfig: KubeConfig, identity: Identity): Promise<void> {
  await clientFor(kubeConfig).patch(
    platformConfigs,
    PLATFORM_CONFIG_NAME,
    undefined,
    { apiVersion: API_VERSION, kind: PLATFORM_CONFIG.kind, metadata: { name: PLATFORM_CONFIG_NAME }, spec: { identity } },
    'apply',
    { fieldManager: FIELD_MANAGER, force: true },
  );
}

/** The demo projects: physics (alice owns it, bob is a member, dave a viewer) and chemistry (carol). */
export const DEMO_PROJECTS: readonly Project[] = [
  {
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: 'physics' },
    spec: {
      displayName: 'Physics',
      description: 'A demo project of the sandbox: alice owns it, bob is a member, dave a viewer.',
      members: [
        { kind: 'Group', name: 'physics', role: 'owner' },
        { kind: 'Group', name: 'physics-members', role: 'member' },
        { kind: 'Group', name: 'physics-viewers', role: 'viewer' },
      ],
      quota: { clusters: 3, nodes: 10, gpus: 2, cpu: '40', memory: '160Gi' },
      namespaceDefaults: {
        resourceQuota: { hard: { 'requests.cpu': '8', 'requests.memory': '16Gi', pods: '50' } },
        limitRange: { default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } },
      },
    },
  },
  {
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: 'chemistry' },
    spec: {
      displayName: 'Chemistry',
      description: 'A demo project of the sandbox: carol owns it.',
      members: [{ kind: 'Group', name: 'chemistry', role: 'owner' }],
      quota: { clusters: 2, nodes: 6 },
    },
  },
];

/** Creates the demo projects that do not exist (once: a project an operator edited or deleted is left alone after the first `up`). */
export async function ensureDemoProjects(kubeConfig: KubeConfig, firstStart: boolean): Promise<void> {
  if (!firstStart) return;
  const client = clientFor(kubeConfig);
  for (const project of DEMO_PROJECTS) {
    try {
      await client.create(projects, project);
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
}

/** The lines `beamline up` prints about logging in: the issuer and each demo user with password and groups. */
export function identityLines(issuer: string, users: readonly DemoUser[] = DEMO_USERS): string[] {
  const width = Math.max(...users.map((user) => user.username.length));
  return [
    `  identity provider:      ${issuer}  (demo users; passwords are public, the sandbox listens on 127.0.0.1 only)`,
    ...users.map((user) => `    ${user.username.padEnd(width)}  password ${user.password.padEnd(16)} groups ${user.groups.join(', ')}`),
    '  log in:                 beamline login   (then kubectl with the kubeconfig it prints)',
  ];
}
