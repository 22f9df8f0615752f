// Shared clusters on a real kwok cluster provisioned in-process: projects get namespaces there,
// labelled, bound, with quota, limits and isolating NetworkPolicies; another project's namespace
// and a namespace of no project are left alone; an entry removed takes its namespace with it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_VERSION, PROJECT_LABEL, projectDeliveryUser, SHARED_CLUSTER_LABEL, type Project, type ProjectSpec } from '@beamline/api';
import { defaultTemplates, installApi } from '@beamline/install';
import { clientFor, type KubeClient, type KubeObject } from '@beamline/kube';
import { apiCode, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { RESOURCES } from '../resources.ts';
import { DELIVERY_BINDING, NETWORK_POLICY_NAMES, PROJECT_DEFAULTS, roleBindingName, type Binding } from './desired.ts';
import { TENANCY_RESOURCES as R } from './kinds.ts';
import { startTenancyInProcess, type TenancyInProcess } from './testing/tenancy-in-process.ts';

const env = useTestEnv('shared-ns');

const CONFIG_MAPS = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true } as const;

describe('namespaces of projects on a shared cluster', () => {
  let running: TenancyInProcess | undefined;
  const admin = (): KubeClient => clientFor(env.kubeConfig);
  const template = uniqueName('tpl');
  const shared = 'shared';
  const alpha = uniqueName('alpha');
  const beta = uniqueName('beta');
  const gamma = uniqueName('gamma');
  let workload: KubeClient;
  const entry = (namespace: string): NonNullable<ProjectSpec['sharedNamespaces']>[number] => ({ cluster: { namespace: env.namespace, name: shared }, namespace });
  const getProject = (name: string): Promise<Project | undefined> => admin().get<Project>(R.project, name);
  const ready = (project: Project | undefined): { status: string; reason: string; message: string } | undefined => project?.status?.conditions?.find((c) => c.type === 'Ready');
  const waitReady = (name: string): Promise<Project> =>
    waitFor(async () => {
      const project = await getProject(name);
      return ready(project)?.status === 'True' && project?.status?.observedGeneration === project?.metadata?.generation ? project : undefined;
    }, { what: `project ${name} Ready`, timeoutMs: 60_000 });
  const createProject = (name: string, spec: Omit<ProjectSpec, 'displayName'>): Promise<unknown> =>
    admin().create(R.project, { apiVersion: API_VERSION, kind: 'Project', metadata: { name }, spec: { displayName: name, ...spec } } as KubeObject);

  before(async () => {
    const [small] = defaultTemplates();
    assert.ok(small !== undefined);
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace, templates: [{ ...small, metadata: { ...small.metadata, name: template } }] });
    running = await startTenancyInProcess(env);
    await running.startCluster(env.namespace, shared, template, { [SHARED_CLUSTER_LABEL]: 'true' });
    workload = await running.workloadClientFor(env.namespace, shared, { name: 'test-admin', groups: ['system:masters'] });
    // A namespace of nobody's on the shared cluster: never adopted.
    await workload.create(R.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'taken' } });
    await createProject(alpha, {
      members: [
        { kind: 'User', name: 'alice@lab.org', role: 'owner' },
        { kind: 'Group', name: `team-${alpha}`, role: 'member' },
      ],
      namespaceDefaults: { resourceQuota: { hard: { pods: '10' } }, limitRange: { default: { memory: '256Mi' } } },
      sharedNamespaces: [entry(`${alpha}-web`), entry(`${alpha}-batch`)],
    });
    await createProject(beta, { members: [{ kind: 'User', name: 'carol@lab.org', role: 'owner' }], networkIsolation: false, sharedNamespaces: [entry(`${beta}-web`)] });
    await createProject(gamma, { members: [{ kind: 'User', name: 'carol@lab.org', role: 'owner' }], sharedNamespaces: [entry('taken')] });
  });

  after(async () => {
    await running?.stop([{ namespace: env.namespace, name: shared }], [alpha, beta, gamma]);
    for (const name of [alpha, beta, gamma]) {
      if ((await getProject(name)) !== undefined) await admin().patch(R.project, name, undefined, { metadata: { finalizers: null } }, 'merge').catch(() => undefined);
    }
    await admin().delete(RESOURCES.clusterTemplate, template).catch(() => undefined);
  });

  test('a project namespace on the shared cluster is labelled, bound per role, limited and isolated', async () => {
    const project = await waitReady(alpha);
    const namespace = `${alpha}-web`;
    assert.deepEqual(
      project.status?.sharedNamespaces?.map((status) => [status.cluster, status.namespace, status.ready]),
      [[`${env.namespace}/${shared}`, `${alpha}-web`, true], [`${env.namespace}/${shared}`, `${alpha}-batch`, true]],
    );
    assert.equal((await workload.get(R.namespace, namespace))?.metadata?.labels?.[PROJECT_LABEL], alpha);
    const bindings = new Map((await workload.list<Binding>(R.roleBinding, { namespace })).items.map((binding) => [binding.metadata.name, binding]));
    assert.deepEqual([bindings.get(roleBindingName('owner'))?.roleRef.name, bindings.get(roleBindingName('owner'))?.subjects.map((s) => s.name)], ['admin', ['oidc:alice@lab.org']]);
    assert.deepEqual([bindings.get(roleBindingName('member'))?.roleRef.name, bindings.get(roleBindingName('member'))?.subjects.map((s) => s.name)], ['edit', [`oidc:team-${alpha}`]]);
    assert.deepEqual([bindings.get(DELIVERY_BINDING)?.roleRef.name, bindings.get(DELIVERY_BINDING)?.subjects.map((s) => s.name)], ['admin', [projectDeliveryUser(alpha)]]);
    assert.deepEqual((await workload.get<KubeObject & { spec: { hard: Record<string, string> } }>(R.resourceQuota, PROJECT_DEFAULTS, namespace))?.spec.hard, { pods: '10' });
    assert.notEqual(await workload.get(R.limitRange, PROJECT_DEFAULTS, namespace), undefined);
    const policies = new Map((await workload.list<KubeObject & { spec: Record<string, unknown> }>(R.networkPolicy, { namespace })).items.map((policy) => [policy.metadata?.name, policy.spec]));
    assert.deepEqual(policies.get(NETWORK_POLICY_NAMES.denyAll), { podSelector: {}, policyTypes: ['Ingress'] });
    assert.deepEqual(policies.get(NETWORK_POLICY_NAMES.sameProject)?.ingress, [{ from: [{ namespaceSelector: { matchLabels: { [PROJECT_LABEL]: alpha } } }] }]);
  });

  test("a member works in its project's namespace and not in another project's; isolation off means no policies", async () => {
    assert.ok(running !== undefined);
    await waitReady(alpha);
    await waitReady(beta);
    const member = await running.workloadClientFor(env.namespace, shared, { name: 'oidc:dave@lab.org', groups: [`oidc:team-${alpha}`] });
    const configMap = (namespace: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'by-member', namespace }, data: { a: 'b' } }) as KubeObject;
    assert.equal(await apiCode(member.create(CONFIG_MAPS, configMap(`${alpha}-web`))), 200);
    assert.equal(await apiCode(member.create(CONFIG_MAPS, configMap(`${beta}-web`))), 403);
    assert.equal(await apiCode(member.list(CONFIG_MAPS, { namespace: 'default' })), 403);
    assert.equal((await workload.get(R.namespace, `${beta}-web`))?.metadata?.labels?.[PROJECT_LABEL], beta);
    assert.equal((await workload.list(R.networkPolicy, { namespace: `${beta}-web` })).items.length, 0);
  });

  test('a namespace that exists for no project is not adopted: NamespaceConflict, and it stays as it was', async () => {
    const project = await waitFor(async () => {
      const found = await getProject(gamma);
      return ready(found)?.reason === 'NamespaceConflict' ? found : undefined;
    }, { what: 'NamespaceConflict', timeoutMs: 60_000 });
    assert.equal(ready(project)?.status, 'False');
    assert.equal(project.status?.sharedNamespaces?.[0]?.ready, false);
    assert.match(project.status?.sharedNamespaces?.[0]?.message ?? '', /belongs to no project/);
    const taken = await workload.get(R.namespace, 'taken');
    assert.equal(taken?.metadata?.labels?.[PROJECT_LABEL], undefined);
    assert.equal((await workload.list(R.roleBinding, { namespace: 'taken' })).items.length, 0);
  });

  test('an entry removed takes its namespace; the other project is untouched', async () => {
    await waitReady(alpha);
    // A merge patch of the spec: the controller writes status meanwhile, so a PUT of what was read could conflict.
    await admin().patch(R.project, alpha, undefined, { spec: { sharedNamespaces: [entry(`${alpha}-web`)] } }, 'merge');
    await waitFor(async () => {
      const namespace = await workload.get(R.namespace, `${alpha}-batch`);
      return namespace === undefined || namespace.metadata?.deletionTimestamp !== undefined;
    }, { what: 'the removed shared namespace deleted', timeoutMs: 60_000 });
    const after = await waitReady(alpha);
    assert.deepEqual(after.status?.sharedNamespaces?.map((status) => status.namespace), [`${alpha}-web`]);
    assert.equal((await workload.get(R.namespace, `${alpha}-web`))?.metadata?.deletionTimestamp, undefined);
    assert.equal((await workload.get(R.namespace, `${beta}-web`))?.metadata?.deletionTimestamp, undefined);
  });

  test("deleting a project removes its namespaces from the shared cluster", async () => {
    await admin().delete(R.project, beta);
    await waitFor(async () => (await getProject(beta)) === undefined, { what: 'the project gone', timeoutMs: 60_000 });
    const namespace = await workload.get(R.namespace, `${beta}-web`);
    assert.ok(namespace === undefined || namespace.metadata?.deletionTimestamp !== undefined);
    assert.equal((await workload.get(R.namespace, `${alpha}-web`))?.metadata?.deletionTimestamp, undefined);
  });
});
