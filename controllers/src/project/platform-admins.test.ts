// The platform admins' binding of the management cluster, on a control plane of this file's own:
// PlatformConfig is a singleton, and changing the run's shared one would change every other file's
// world. Real RBAC decides whether a member of an admin group (a client-certificate identity with
// the group's prefixed name) is cluster-admin.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { PLATFORM_ADMINS_BINDING, PLATFORM_CONFIG_NAME } from '@beamline/api';
import { kubeconfigYamlForDir, startControlPlane, type ControlPlane } from '@beamline/control-plane';
import { defaultPlatformConfig, installApi } from '@beamline/install';
import { KubeClient } from '@beamline/kube';
import { Manager } from '@beamline/reconcile';
import { apiCode, useTestEnv, waitFor } from '@beamline/testenv';
import { RESOURCES } from '../resources.ts';
import type { Binding } from './desired.ts';
import { tenancyControllers } from './index.ts';
import { TENANCY_RESOURCES as R } from './kinds.ts';

const env = useTestEnv('platform-admins');

describe('platform admins of the management cluster', () => {
  let plane: ControlPlane | undefined;
  let manager: Manager | undefined;
  let admin: KubeClient;
  const userClient = async (name: string, groups: string[]): Promise<KubeClient> => {
    const config = new KubeConfig();
    config.loadFromString(await kubeconfigYamlForDir(plane?.dir ?? '', { name, groups }));
    return new KubeClient(config);
  };
  /** A merge patch of `spec.identity`: a field given null is removed. */
  const setIdentity = (identity: Record<string, unknown>): Promise<unknown> => admin.patch(RESOURCES.platformConfig, PLATFORM_CONFIG_NAME, undefined, { spec: { identity } }, 'merge');

  before(async () => {
    plane = await startControlPlane({ binaries: env.binaries, mode: 'minimal', name: 'platform-admins' });
    const config = new KubeConfig();
    config.loadFromFile(plane.kubeconfigPath);
    admin = new KubeClient(config);
    const platform = defaultPlatformConfig();
    await installApi(config, { platformConfig: { ...platform, spec: { ...platform.spec, identity: { issuer: 'https://id.lab.org', clientID: 'beamline', adminGroups: ['ops'] } } } });
    manager = new Manager({ kubeConfig: config, logger: pino({ level: process.env.BEAMLINE_LOG_LEVEL ?? 'warn' }) });
    const admins = tenancyControllers().controllers.find((controller) => controller.reconciler.name === 'platform-admins');
    assert.ok(admins !== undefined);
    manager.add(admins);
    await manager.start();
  });

  after(async () => {
    await manager?.stop();
    await plane?.stop();
  });

  test("PlatformConfig's admin groups, prefixed, are cluster-admin; others are not; the binding follows the config", async () => {
    const binding = await waitFor(() => admin.get<Binding>(R.clusterRoleBinding, PLATFORM_ADMINS_BINDING), { what: 'the platform admins binding', timeoutMs: 30_000 });
    assert.equal(binding.roleRef.name, 'cluster-admin');
    assert.deepEqual(binding.subjects.map((subject) => `${subject.kind}:${subject.name}`), ['Group:oidc:ops']);
    const ops = await userClient('oidc:olga@lab.org', ['oidc:ops']);
    const other = await userClient('oidc:sam@lab.org', ['oidc:physics']);
    const unprefixed = await userClient('ops-impostor', ['ops']);
    assert.equal(await apiCode(ops.list(RESOURCES.secret, { namespace: 'kube-system' })), 200);
    assert.equal(await apiCode(other.list(RESOURCES.secret, { namespace: 'kube-system' })), 403);
    assert.equal(await apiCode(unprefixed.list(RESOURCES.secret, { namespace: 'kube-system' })), 403);

    await setIdentity({ groupsPrefix: 'lab:', adminGroups: ['ops', 'sre'] });
    await waitFor(async () => (await admin.get<Binding>(R.clusterRoleBinding, PLATFORM_ADMINS_BINDING))?.subjects.length === 2, { what: 'the binding rewritten', timeoutMs: 30_000 });
    assert.deepEqual((await admin.get<Binding>(R.clusterRoleBinding, PLATFORM_ADMINS_BINDING))?.subjects.map((subject) => subject.name), ['lab:ops', 'lab:sre']);
    assert.equal(await apiCode(ops.list(RESOURCES.secret, { namespace: 'kube-system' })), 403);

    await setIdentity({ adminGroups: null });
    await waitFor(async () => (await admin.get(R.clusterRoleBinding, PLATFORM_ADMINS_BINDING)) === undefined, { what: 'the binding removed', timeoutMs: 30_000 });
  });
});
