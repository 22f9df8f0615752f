// The Project controller in a manager of this process against the run's shared apiserver, with the
// ClusterRoles installApi applies: real RBAC decides what users (client-certificate identities
// named as the OIDC prefixes name them) may do in their project's namespace and in others'.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { API_VERSION, PROJECT_LABEL, projectNamespace, type Project, type ProjectSpec } from '@beamline/api';
import { defaultTemplates, installApi } from '@beamline/install';
import { clientFor, KubeClient, type KubeObject } from '@beamline/kube';
import { Manager } from '@beamline/reconcile';
import { apiCode, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { RESOURCES } from '../resources.ts';
import { PROJECT_DEFAULTS, roleBindingName } from './desired.ts';
import { tenancyControllers } from './index.ts';
import { TENANCY_RESOURCES as R } from './kinds.ts';

const env = useTestEnv('projects');

describe('Project controller and the project ClusterRoles', () => {
  let manager: Manager | undefined;
  const admin = (): KubeClient => clientFor(env.kubeConfig);
  const template = uniqueName('tpl');
  const physics = uniqueName('phys');
  const chemistry = uniqueName('chem');
  const clash = uniqueName('clash');
  /** Users: alice owns physics, the group lab-<physics> are its members, bob views it; carol owns chemistry. */
  const alice = `alice-${physics}@lab.org`;
  const bob = `bob-${physics}@lab.org`;
  const carol = `carol-${physics}@lab.org`;
  const physicsGroup = `lab-${physics}`;
  const userClient = async (name: string, groups: string[] = []): Promise<KubeClient> => new KubeClient(await env.kubeConfigFor({ name: `oidc:${name}`, groups: groups.map((group) => `oidc:${group}`) }));
  const getProject = (name: string): Promise<Project | undefined> => admin().get<Project>(R.project, name);
  const ready = (project: Project | undefined): { status: string; reason: string; message: string } | undefined => project?.status?.conditions?.find((entry) => entry.type === 'Ready');
  const createProject = (name: string, spec: ProjectSpec): Promise<unknown> => admin().create(R.project, { apiVersion: API_VERSION, kind: 'Project', metadata: { name }, spec });
  const waitReady = (name: string): Promise<Project> =>
    waitFor(async () => {
      const project = await getProject(name);
      return ready(project)?.status === 'True' && project?.status?.observedGeneration === project?.metadata?.generation ? project : undefined;
    }, { what: `project ${name} Ready`, timeoutMs: 30_000 });
  const cluster = (name: string, namespace: string): KubeObject =>
    ({ apiVersion: API_VERSION, kind: 'Cluster', metadata: { name, namespace }, spec: { templateRef: { name: template } } }) as KubeObject;

  before(async () => {
    const [small] = defaultTemplates();
    assert.ok(small !== undefined);
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace, templates: [{ ...small, metadata: { ...small.metadata, name: template } }] });
    const tenancy = tenancyControllers();
    // Watching every namespace (no `namespace` option): projects live in namespaces of their own.
    manager = new Manager({ kubeConfig: env.kubeConfig, logger: pino({ level: process.env.BEAMLINE_LOG_LEVEL ?? 'warn' }) });
    // Only the Project controller: no workload clusters here (the Cluster objects are never provisioned).
    const [projects] = tenancy.controllers;
    assert.ok(projects !== undefined);
    manager.add(projects);
    tenancy.attach(manager.cache);
    await manager.start();
    await createProject(physics, {
      displayName: 'Physics',
      members: [
        { kind: 'User', name: alice, role: 'owner' },
        { kind: 'Group', name: physicsGroup, role: 'member' },
        { kind: 'User', name: bob, role: 'viewer' },
      ],
      namespaceDefaults: { resourceQuota: { hard: { pods: '20' } }, limitRange: { default: { memory: '512Mi' }, max: { cpu: '2' } } },
    });
    await createProject(chemistry, { displayName: 'Chemistry', members: [{ kind: 'User', name: carol, role: 'owner' }] });
  });

  after(async () => {
    // Projects go while the manager runs: their finalizer needs it.
    for (const name of [physics, chemistry, clash]) await admin().delete(R.project, name).catch(() => undefined);
    await waitFor(async () => (await Promise.all([physics, chemistry, clash].map(getProject))).every((project) => project === undefined), { what: 'projects deleted', timeoutMs: 60_000 }).catch(() => undefined);
    await manager?.stop();
    // Without the controller a finalizer would hold them: drop what is left.
    for (const name of [physics, chemistry, clash]) {
      const left = await getProject(name);
      if (left !== undefined) await admin().patch(R.project, name, undefined, { metadata: { finalizers: null } }, 'merge').catch(() => undefined);
    }
    await admin().delete(R.namespace, projectNamespace(clash)).catch(() => undefined);
    await admin().delete(RESOURCES.clusterTemplate, template).catch(() => undefined);
  });

  test('a project gets its namespace (labelled, owned), one RoleBinding per role, its namespace defaults and its status', async () => {
    const project = await waitReady(physics);
    const namespace = projectNamespace(physics);
    assert.equal(project.status?.namespace, namespace);
    assert.deepEqual(project.status?.usage, { clusters: 0, nodes: 0, gpus: 0, cpu: '0', memory: '0' });
    const ns = await admin().get(R.namespace, namespace);
    assert.equal(ns?.metadata?.labels?.[PROJECT_LABEL], physics);
    assert.equal(ns?.metadata?.ownerReferences?.[0]?.uid, project.metadata?.uid);
    const bindings = (await admin().list<KubeObject & { roleRef: { name: string }; subjects: { kind: string; name: string }[] }>(R.roleBinding, { namespace })).items;
    const byName = new Map(bindings.map((binding) => [binding.metadata?.name, binding]));
    assert.deepEqual(byName.get(roleBindingName('owner'))?.subjects.map((s) => [s.kind, s.name]), [['User', `oidc:${alice}`]]);
    assert.equal(byName.get(roleBindingName('owner'))?.roleRef.name, 'beamline:project-owner');
    assert.deepEqual(byName.get(roleBindingName('member'))?.subjects.map((s) => [s.kind, s.name]), [['Group', `oidc:${physicsGroup}`]]);
    assert.deepEqual(byName.get(roleBindingName('viewer'))?.subjects.map((s) => [s.kind, s.name]), [['User', `oidc:${bob}`]]);
    const quota = await admin().get<KubeObject & { spec: { hard: Record<string, string> } }>(R.resourceQuota, PROJECT_DEFAULTS, namespace);
    assert.deepEqual(quota?.spec.hard, { pods: '20' });
    const limits = await admin().get<KubeObject & { spec: { limits: { type: string; default?: Record<string, string>; max?: Record<string, string> }[] } }>(R.limitRange, PROJECT_DEFAULTS, namespace);
    // The apiserver fills in the rest (a default from max, defaultRequest from default).
    assert.equal(limits?.spec.limits[0]?.type, 'Container');
    assert.equal(limits?.spec.limits[0]?.default?.memory, '512Mi');
    assert.equal(limits?.spec.limits[0]?.max?.cpu, '2');
  });

  test("members create Clusters in their project's namespace and cannot see another project's; the owner writes Secrets but cannot read them", async () => {
    await waitReady(physics);
    await waitReady(chemistry);
    const mine = projectNamespace(physics);
    const theirs = projectNamespace(chemistry);
    const owner = await userClient(alice);
    const member = await userClient(`dave-${physics}@lab.org`, [physicsGroup]);
    assert.equal(await apiCode(member.create(RESOURCES.cluster, cluster('by-member', mine))), 200);
    assert.equal(await apiCode(owner.create(RESOURCES.cluster, cluster('by-owner', mine))), 200);
    assert.equal(await apiCode(member.list(RESOURCES.cluster, { namespace: theirs })), 403);
    assert.equal(await apiCode(owner.create(RESOURCES.cluster, cluster('intruder', theirs))), 403);
    // Secrets: written (a Git credential), never read back (kubeconfig Secrets hold admin certificates).
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-token', namespace: mine }, stringData: { token: 'not-a-real-token' } } as KubeObject;
    assert.equal(await apiCode(owner.create(RESOURCES.secret, secret)), 200);
    assert.equal(await apiCode(owner.get(RESOURCES.secret, 'git-token', mine)), 403);
    assert.equal(await apiCode(owner.list(RESOURCES.secret, { namespace: mine })), 403);
    assert.equal(await apiCode(member.get(RESOURCES.secret, 'git-token', mine)), 403);
    // The project itself is readable by its members, other projects are not; templates by anyone signed in.
    assert.equal(await apiCode(member.get(R.project, physics)), 200);
    assert.equal(await apiCode(member.get(R.project, chemistry)), 403);
    assert.equal(await apiCode(member.list(R.project)), 403);
    assert.equal(await apiCode(member.get(RESOURCES.clusterTemplate, template)), 200);
    // Usage counts the Clusters of the namespace and, before their NodeGroups exist, their template's groups (small: 3 nodes each).
    const usage = await waitFor(async () => {
      const found = (await getProject(physics))?.status?.usage;
      return found?.clusters === 2 ? found : undefined;
    }, { what: 'usage counts 2 clusters', timeoutMs: 30_000 });
    assert.equal(usage.nodes, 6);
  });

  test('a viewer reads and changes nothing', async () => {
    await waitReady(physics);
    const namespace = projectNamespace(physics);
    const viewer = await userClient(bob);
    await admin().create(RESOURCES.cluster, cluster('seen', namespace)).catch(() => undefined);
    assert.equal(await apiCode(viewer.list(RESOURCES.cluster, { namespace })), 200);
    assert.equal(await apiCode(viewer.get(RESOURCES.cluster, 'seen', namespace)), 200);
    assert.equal(await apiCode(viewer.create(RESOURCES.cluster, cluster('by-viewer', namespace))), 403);
    assert.equal(await apiCode(viewer.patch(RESOURCES.cluster, 'seen', namespace, { metadata: { labels: { touched: 'yes' } } }, 'merge')), 403);
    assert.equal(await apiCode(viewer.delete(RESOURCES.cluster, 'seen', namespace)), 403);
    assert.equal(await apiCode(viewer.create(RESOURCES.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'v', namespace }, stringData: { a: 'b' } } as KubeObject)), 403);
    assert.equal(await apiCode(viewer.create(R.roleBinding, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'v', namespace }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [] } as KubeObject)), 403);
  });

  test('removing a member removes its access, and removed namespace defaults are deleted', async () => {
    await waitReady(physics);
    const namespace = projectNamespace(physics);
    const member = await userClient(`erin-${physics}@lab.org`, [physicsGroup]);
    assert.equal(await apiCode(member.list(RESOURCES.cluster, { namespace })), 200);
    const project = await getProject(physics);
    assert.ok(project !== undefined);
    // A merge patch of the spec: the controller writes status meanwhile, so a PUT of what was read could conflict.
    const members = project.spec.members.filter((entry) => entry.kind !== 'Group');
    await admin().patch(R.project, physics, undefined, { spec: { members, namespaceDefaults: { limitRange: null } } }, 'merge');
    await waitFor(async () => (await apiCode(member.list(RESOURCES.cluster, { namespace }))) === 403, { what: 'the removed group refused', timeoutMs: 30_000 });
    assert.equal(await admin().get(R.roleBinding, roleBindingName('member'), namespace), undefined);
    await waitFor(async () => (await admin().get(R.limitRange, PROJECT_DEFAULTS, namespace)) === undefined, { what: 'the LimitRange removed', timeoutMs: 30_000 });
    assert.notEqual(await admin().get(R.resourceQuota, PROJECT_DEFAULTS, namespace), undefined);
    assert.equal(await apiCode(member.get(R.project, physics)), 403);
  });

  test('a namespace that exists without the project label is never adopted: Ready=False NamespaceConflict', async () => {
    const namespace = projectNamespace(clash);
    await admin().create(R.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await createProject(clash, { displayName: 'Clash', members: [{ kind: 'User', name: carol, role: 'owner' }] });
    const project = await waitFor(async () => {
      const found = await getProject(clash);
      return ready(found)?.reason === 'NamespaceConflict' ? found : undefined;
    }, { what: 'NamespaceConflict', timeoutMs: 30_000 });
    assert.equal(ready(project)?.status, 'False');
    assert.match(ready(project)?.message ?? '', /belongs to no project/);
    const ns = await admin().get(R.namespace, namespace);
    assert.equal(ns?.metadata?.labels?.[PROJECT_LABEL], undefined);
    assert.equal((await admin().list(R.roleBinding, { namespace })).items.filter((binding) => binding.metadata?.name?.startsWith('beamline:')).length, 0);
    // Deleting the project leaves the namespace it never owned.
    await admin().delete(R.project, clash);
    await waitFor(async () => (await getProject(clash)) === undefined, { what: 'the clashing project gone', timeoutMs: 30_000 });
    assert.notEqual(await admin().get(R.namespace, namespace), undefined);
  });

  test('the API refuses a shared namespace listed twice and a member listed twice (dry run)', async () => {
    const entry = { cluster: { namespace: 'platform', name: 'shared' }, namespace: 'web' };
    const body = (spec: Partial<ProjectSpec>): KubeObject =>
      ({ apiVersion: API_VERSION, kind: 'Project', metadata: { name: uniqueName('dup') }, spec: { displayName: 'Dup', members: [{ kind: 'User', name: 'a', role: 'owner' }], ...spec } }) as KubeObject;
    const dryRun = (object: KubeObject): Promise<unknown> => admin().request('POST', '/apis/beamline.dev/v1alpha1/projects', { body: object, query: { dryRun: 'All' } });
    assert.equal(await apiCode(dryRun(body({ sharedNamespaces: [entry, { ...entry, namespace: 'batch' }] }))), 200);
    assert.equal(await apiCode(dryRun(body({ sharedNamespaces: [entry, { ...entry }] }))), 422);
    assert.equal(await apiCode(dryRun(body({ members: [{ kind: 'User', name: 'a', role: 'owner' }, { kind: 'User', name: 'a', role: 'viewer' }] }))), 422);
  });

  test('deleting a project deletes its namespace, with its Clusters, then the Project', async () => {
    await waitReady(chemistry);
    const namespace = projectNamespace(chemistry);
    await admin().create(RESOURCES.cluster, cluster('doomed', namespace));
    await admin().delete(R.project, chemistry);
    await waitFor(async () => (await getProject(chemistry)) === undefined, { what: 'the project gone', timeoutMs: 60_000 });
    const ns = await admin().get(R.namespace, namespace);
    assert.ok(ns === undefined || ns.metadata?.deletionTimestamp !== undefined, 'the namespace is gone or going');
    await waitFor(async () => (await admin().get(R.namespace, namespace)) === undefined, { what: 'the namespace gone', timeoutMs: 60_000 });
  });
});
