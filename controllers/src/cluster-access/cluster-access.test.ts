// Workload-cluster access on a real kwok cluster provisioned by the Cluster controller in this
// process: a project's members get cluster-admin, edit or view there through the bindings Beamline
// writes with the admin kubeconfig, and the real RBAC of that apiserver decides.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_VERSION, projectDeliveryUser, projectNamespace, type Project } from '@beamline/api';
import { defaultTemplates, installApi } from '@beamline/install';
import { clientFor, type KubeClient, type KubeObject } from '@beamline/kube';
import { apiCode, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { RESOURCES } from '../resources.ts';
import { DELIVERY_BINDING, roleBindingName, type Binding } from '../project/desired.ts';
import { TENANCY_RESOURCES as R } from '../project/kinds.ts';
import { startTenancyInProcess, type TenancyInProcess } from '../project/testing/tenancy-in-process.ts';

const env = useTestEnv('cluster-access');

const CONFIG_MAPS = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true } as const;

describe('workload-cluster access of a project', () => {
  let running: TenancyInProcess | undefined;
  const admin = (): KubeClient => clientFor(env.kubeConfig);
  const template = uniqueName('tpl');
  const project = uniqueName('acc');
  const namespace = projectNamespace(project);
  const cluster = 'work';
  const group = `lab-${project}`;
  let workloadAdmin: KubeClient;
  const configMap = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { a: 'b' } }) as KubeObject;
  const clusterRole = (name: string): KubeObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: [] }) as KubeObject;

  before(async () => {
    const [small] = defaultTemplates();
    assert.ok(small !== undefined);
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace, templates: [{ ...small, metadata: { ...small.metadata, name: template } }] });
    running = await startTenancyInProcess(env);
    await admin().create(R.project, {
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: project },
      spec: {
        displayName: 'Access',
        members: [
          { kind: 'User', name: 'alice@lab.org', role: 'owner' },
          { kind: 'Group', name: group, role: 'member' },
          { kind: 'User', name: 'bob@lab.org', role: 'viewer' },
        ],
      },
    } as KubeObject);
    await waitFor(async () => (await admin().get<Project>(R.project, project))?.status?.namespace === namespace, { what: 'the project namespace', timeoutMs: 30_000 });
    await running.startCluster(namespace, cluster, template);
    workloadAdmin = await running.workloadClientFor(namespace, cluster, { name: 'test-admin', groups: ['system:masters'] });
  });

  after(async () => {
    await running?.stop([{ namespace, name: cluster }], [project]);
    await admin().delete(RESOURCES.clusterTemplate, template).catch(() => undefined);
  });

  test('the members, per role, and the delivery identity are bound in the workload cluster', async () => {
    const bindings = await waitFor(async () => {
      const list = await workloadAdmin.list<Binding>(R.clusterRoleBinding, { labelSelector: 'app.kubernetes.io/managed-by=beamline' });
      const byName = new Map(list.items.map((binding) => [binding.metadata.name, binding]));
      return byName.size >= 4 ? byName : undefined;
    }, { what: 'the access bindings in the workload cluster', timeoutMs: 60_000 });
    const summary = (name: string): unknown => {
      const binding = bindings.get(name);
      return binding === undefined ? undefined : [binding.roleRef.name, binding.subjects.map((subject) => `${subject.kind}:${subject.name}`)];
    };
    assert.deepEqual(summary(roleBindingName('owner')), ['cluster-admin', ['User:oidc:alice@lab.org']]);
    assert.deepEqual(summary(roleBindingName('member')), ['edit', [`Group:oidc:${group}`]]);
    assert.deepEqual(summary(roleBindingName('viewer')), ['view', ['User:oidc:bob@lab.org']]);
    assert.deepEqual(summary(DELIVERY_BINDING), ['cluster-admin', [`User:${projectDeliveryUser(project)}`]]);
  });

  test('a member edits (a ConfigMap, not a ClusterRole), a viewer only reads, the owner administers', async () => {
    assert.ok(running !== undefined);
    const member = await running.workloadClientFor(namespace, cluster, { name: 'oidc:dave@lab.org', groups: [`oidc:${group}`] });
    const viewer = await running.workloadClientFor(namespace, cluster, { name: 'oidc:bob@lab.org' });
    const owner = await running.workloadClientFor(namespace, cluster, { name: 'oidc:alice@lab.org' });
    const stranger = await running.workloadClientFor(namespace, cluster, { name: 'oidc:mallory@lab.org' });
    await waitFor(async () => (await apiCode(member.create(CONFIG_MAPS, configMap('by-member')))) === 200, { what: 'the member creates a ConfigMap', timeoutMs: 60_000 });
    assert.equal(await apiCode(member.create(R.clusterRole, clusterRole(`by-member-${project}`))), 403);
    assert.equal(await apiCode(viewer.list(CONFIG_MAPS, { namespace: 'default' })), 200);
    assert.equal(await apiCode(viewer.create(CONFIG_MAPS, configMap('by-viewer'))), 403);
    assert.equal(await apiCode(viewer.delete(CONFIG_MAPS, 'by-member', 'default')), 403);
    assert.equal(await apiCode(stranger.list(CONFIG_MAPS, { namespace: 'default' })), 403);
    assert.equal(await apiCode(owner.create(R.clusterRole, clusterRole(`by-owner-${project}`))), 200);
  });

  test('a member removed from the project loses access to the workload cluster', async () => {
    assert.ok(running !== undefined);
    const member = await running.workloadClientFor(namespace, cluster, { name: 'oidc:erin@lab.org', groups: [`oidc:${group}`] });
    await waitFor(async () => (await apiCode(member.list(CONFIG_MAPS, { namespace: 'default' }))) === 200, { what: 'the member reads', timeoutMs: 60_000 });
    const current = await admin().get<Project>(R.project, project);
    assert.ok(current !== undefined);
    // A merge patch of the spec: the controller writes status meanwhile, so a PUT of what was read could conflict.
    await admin().patch(R.project, project, undefined, { spec: { members: current.spec.members.filter((member) => member.kind !== 'Group') } }, 'merge');
    await waitFor(async () => (await apiCode(member.list(CONFIG_MAPS, { namespace: 'default' }))) === 403, { what: 'the removed member refused', timeoutMs: 60_000 });
    assert.equal(await workloadAdmin.get(R.clusterRoleBinding, roleBindingName('member')), undefined);
    assert.notEqual(await workloadAdmin.get(R.clusterRoleBinding, roleBindingName('owner')), undefined);
  });
});
