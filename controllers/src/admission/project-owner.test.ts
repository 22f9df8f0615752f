// Project owners manage their own Project's members, against the run's shared apiserver with real
// RBAC: the per-project owner ClusterRole (as the Project controller writes it, from desired.ts;
// the last suite runs the controller itself) lets owners update their Project, and the Project webhook (served in-process, called by the
// real apiserver) keeps the quotas and the rest the platform admins'. Projects are cluster-scoped,
// so the webhook is narrowed by an object selector on this file's own label: Projects of test
// files running at the same time are never intercepted. Its namespaceSelector matches no
// namespace at all, which shows the apiserver does not apply it to cluster-scoped objects.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { API_VERSION, type Project } from '@beamline/api';
import { installApi } from '@beamline/install';
import { clientFor, KubeClient, resourcePath, type KubeObject } from '@beamline/kube';
import { Manager } from '@beamline/reconcile';
import { apiOutcome, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { projectOwnerRole, projectOwnerRoleName, projectReader, projectReaderName } from '../project/desired.ts';
import { tenancyControllers } from '../project/index.ts';
import { TENANCY_RESOURCES as R } from '../project/kinds.ts';
import { projectOwnerReference } from '../project/reconciler.ts';
import { subjectAccessReviewCheck } from './project-review.ts';
import { PROJECT_RESOURCE } from './quota-review.ts';
import { MUTATING_WEBHOOK_CONFIGURATIONS, VALIDATING_WEBHOOK_CONFIGURATIONS, webhookConfigurations } from './registration.ts';
import { startAdmission, type Admission } from './server.ts';

const env = useTestEnv('powner');

describe('project owners manage their members; quotas stay the platform admins', () => {
  const id = uniqueName('po');
  const testLabel = 'beamline.dev/project-owner-test';
  const names = { quota: `${id}-quota`, changedBy: `${id}-changed-by` };
  const projectName = uniqueName('owned');
  const otherProject = uniqueName('other');
  const ownerGroup = `${id}-leads`;
  const alice = `oidc:alice-${id}@x`;
  const bob = `oidc:bob-${id}@x`;
  const opsGroup = `oidc:${id}-ops`;
  const opsRole = `${id}-project-admin`;
  let admission: Admission | undefined;
  let owner: KubeClient;
  let member: KubeClient;
  let ops: KubeClient;
  const admin = (): KubeClient => clientFor(env.kubeConfig);
  const members: Project['spec']['members'] = [
    { kind: 'Group', name: ownerGroup, role: 'owner' },
    { kind: 'User', name: `bob-${id}@x`, role: 'member' },
  ];
  const project = (name: string, spec: Partial<Project['spec']>): Project => ({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name, labels: { [testLabel]: id } },
    spec: { displayName: name, members: [], quota: { clusters: 1, nodes: 3 }, ...spec },
  });
  const patch = (client: KubeClient, body: unknown, name = projectName): Promise<Project> => client.patch<Project>(PROJECT_RESOURCE, name, undefined, body, 'merge');
  const stored = async (): Promise<Project> => {
    const found = await admin().get<Project>(PROJECT_RESOURCE, projectName);
    assert.ok(found !== undefined);
    return found;
  };

  before(async () => {
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace });
    const created = await admin().create(PROJECT_RESOURCE, project(projectName, { members }));
    // Another project alice owns nothing of: RBAC names the Project, not the kind.
    await admin().create(PROJECT_RESOURCE, project(otherProject, { members: [{ kind: 'User', name: `carol-${id}@x`, role: 'owner' }] }));
    // What the Project controller writes for the owners and readers (the default identity: prefix oidc:).
    const reference = projectOwnerReference(created);
    for (const desired of [projectOwnerRole(created, undefined, reference), projectReader(created, undefined, reference)]) {
      await admin().apply(R.clusterRole, desired.role);
      assert.ok(desired.binding !== undefined);
      await admin().apply(R.clusterRoleBinding, desired.binding);
    }
    // A platform admin who is not system:masters: a group that may update every Project.
    await admin().apply(R.clusterRole, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: opsRole },
      rules: [{ apiGroups: ['beamline.dev'], resources: ['projects'], verbs: ['get', 'update', 'patch'] }],
    } as KubeObject);
    await admin().apply(R.clusterRoleBinding, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: opsRole },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: opsRole },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: opsGroup }],
    } as KubeObject);
    owner = new KubeClient(await env.kubeConfigFor({ name: alice, groups: [`oidc:${ownerGroup}`] }));
    member = new KubeClient(await env.kubeConfigFor({ name: bob, groups: [] }));
    ops = new KubeClient(await env.kubeConfigFor({ name: `oidc:dana-${id}@x`, groups: [opsGroup] }));
    admission = await startAdmission({
      kubeConfig: env.kubeConfig,
      namespace: env.namespace,
      port: 0,
      // No namespace carries this label: the Project webhook is reached all the same.
      namespaceSelector: { matchLabels: { [testLabel]: `${id}-no-namespace` } },
      projectSelector: { matchLabels: { [testLabel]: id } },
      names,
      keepRegisteredMs: 200,
    });
    // RBAC and the configuration reach the apiserver through watches: wait until both decide.
    const dryRun = (): Promise<unknown> =>
      owner.request('PATCH', resourcePath(PROJECT_RESOURCE, { name: projectName }), {
        query: { dryRun: 'All' },
        body: { spec: { quota: { clusters: 5 } } },
        contentType: 'application/merge-patch+json',
      });
    await waitFor(async () => (await apiOutcome(dryRun())).message.includes("spec.quota is the platform admins'"), { what: 'the owner role and the Project webhook in effect', timeoutMs: 30_000 });
  });

  after(async () => {
    await admission?.close();
    // Whatever happened: no configuration of this file is left to intercept anything.
    await admin().delete(VALIDATING_WEBHOOK_CONFIGURATIONS, names.quota).catch(() => undefined);
    await admin().delete(MUTATING_WEBHOOK_CONFIGURATIONS, names.changedBy).catch(() => undefined);
    for (const name of [projectName, otherProject]) {
      await admin().delete(PROJECT_RESOURCE, name).catch(() => undefined);
      // A Project controller of another test file may have put its finalizer on it and stopped since.
      await admin().patch(PROJECT_RESOURCE, name, undefined, { metadata: { finalizers: null } }, 'merge').catch(() => undefined);
    }
    for (const name of [projectOwnerRoleName(projectName), projectReaderName(projectName), opsRole]) {
      await admin().delete(R.clusterRoleBinding, name).catch(() => undefined);
      await admin().delete(R.clusterRole, name).catch(() => undefined);
    }
  });

  test('an owner adds a member and renames the project', async () => {
    const grown = [...members, { kind: 'User' as const, name: `erin-${id}@x`, role: 'viewer' as const }];
    const updated = await patch(owner, { spec: { members: grown, displayName: 'Owned by its owners', description: 'members managed by the owners' } });
    assert.deepEqual(updated.spec.members, grown);
    assert.equal((await stored()).spec.displayName, 'Owned by its owners');
  });

  test('an owner raising the quota is refused, naming the quota', async () => {
    const { code, message } = await apiOutcome(patch(owner, { spec: { quota: { clusters: 10 } } }));
    assert.equal(code, 403);
    assert.match(message, /project owners may change displayName, description and members; spec\.quota is the platform admins'/);
    assert.equal((await stored()).spec.quota?.clusters, 1);
    // Nor may it come in with an allowed change, or go by another field the admins own.
    const mixed = await apiOutcome(patch(owner, { spec: { displayName: 'sneaky', templates: ['gpu-large'] } }));
    assert.equal(mixed.code, 403);
    assert.match(mixed.message, /spec\.templates is the platform admins'/);
    assert.notEqual((await stored()).spec.displayName, 'sneaky');
  });

  test('an owner removing every owner is refused; handing over to another owner is not', async () => {
    const withoutOwners = (await stored()).spec.members.filter((entry) => entry.role !== 'owner');
    const { code, message } = await apiOutcome(patch(owner, { spec: { members: withoutOwners } }));
    assert.equal(code, 403);
    assert.match(message, /a project keeps at least one owner/);
    const current = (await stored()).spec.members;
    assert.ok(current.some((entry) => entry.role === 'owner'));
    // Bob becomes an owner too: the group may then step down (the bindings follow in the controller, not here).
    await patch(owner, { spec: { members: current.map((entry) => (entry.name === `bob-${id}@x` ? { ...entry, role: 'owner' } : entry)) } });
    const handedOver = await patch(owner, { spec: { members: members.map((entry) => (entry.kind === 'Group' ? { ...entry, role: 'member' } : { ...entry, role: 'owner' })) } });
    assert.deepEqual(
      handedOver.spec.members.map((entry) => entry.role),
      ['member', 'owner'],
    );
    // Back as it was, by an admin, for the tests after this one.
    await patch(admin(), { spec: { members } });
  });

  test("an owner may not touch the platform's labels or the finalizers", async () => {
    const label = await apiOutcome(patch(owner, { metadata: { labels: { 'beamline.dev/tier': 'gold' } } }));
    assert.equal(label.code, 403);
    assert.match(label.message, /project owners may not change label beamline\.dev\/tier/);
    const finalizers = await apiOutcome(patch(owner, { metadata: { finalizers: ['example.org/keep'] } }));
    assert.equal(finalizers.code, 403);
    assert.match(finalizers.message, /metadata\.finalizers/);
    // A label of their own is theirs.
    const own = await patch(owner, { metadata: { labels: { team: 'beam' } } });
    assert.equal(own.metadata?.labels?.team, 'beam');
  });

  test('a member cannot update the project at all, and an owner not another project (RBAC)', async () => {
    const asMember = await apiOutcome(patch(member, { spec: { displayName: 'mine now' } }));
    assert.equal(asMember.code, 403);
    assert.match(asMember.message, /cannot patch resource "projects"/);
    const elsewhere = await apiOutcome(patch(owner, { spec: { displayName: 'mine now' } }, otherProject));
    assert.equal(elsewhere.code, 403);
    assert.match(elsewhere.message, /cannot patch resource "projects"/);
  });

  test('platform admins change the quota: cluster-admin, and a group RBAC lets update every Project', async () => {
    assert.equal((await patch(admin(), { spec: { quota: { clusters: 4 } } })).spec.quota?.clusters, 4);
    assert.equal((await patch(ops, { spec: { quota: { clusters: 6 }, templates: ['small'] } })).spec.quota?.clusters, 6);
    // The webhook's own check (behind the apiserver's match condition) answers the same as RBAC.
    const check = subjectAccessReviewCheck(admin());
    assert.equal(await check({ username: `oidc:dana-${id}@x`, groups: [opsGroup, 'system:authenticated'] }), true);
    assert.equal(await check({ username: alice, groups: [`oidc:${ownerGroup}`, 'system:authenticated'] }), false);
  });

  test('while no webhook answers, owners are refused (Fail) and platform admins are not even asked', async () => {
    assert.ok(admission !== undefined);
    const { caPem } = admission;
    await admission.close();
    admission = undefined;
    // A registration naming a port nobody serves: a manager that crashed with no standby.
    const dead = webhookConfigurations({ baseUrl: 'https://127.0.0.1:1', caPem, names, namespaceSelector: { matchLabels: { [testLabel]: `${id}-no-namespace` } }, projectSelector: { matchLabels: { [testLabel]: id } } });
    await admin().apply(VALIDATING_WEBHOOK_CONFIGURATIONS, dead.validating);
    await waitFor(async () => (await apiOutcome(patch(owner, { spec: { displayName: 'while down' } }))).message.includes('failed calling webhook'), {
      what: 'the dead registration in effect',
      timeoutMs: 30_000,
    });
    assert.notEqual((await stored()).spec.displayName, 'while down');
    // The apiserver's own authorizer skips the webhook for those who may update every Project.
    assert.equal((await patch(ops, { spec: { quota: { clusters: 7 } } })).spec.quota?.clusters, 7);
    assert.equal((await patch(admin(), { spec: { displayName: 'repaired by an admin' } })).spec.displayName, 'repaired by an admin');
  });
});

describe('the Project controller binds the owner role to the owners, follows them and removes it with the project', () => {
  const name = uniqueName('owners');
  const alice = `alice-${name}@x`;
  const carol = `carol-${name}@x`;
  const admin = (): KubeClient => clientFor(env.kubeConfig);
  const roleName = projectOwnerRoleName(name);
  let manager: Manager | undefined;
  const rename = async (client: KubeClient, displayName: string): Promise<number> => (await apiOutcome(client.patch(PROJECT_RESOURCE, name, undefined, { spec: { displayName } }, 'merge'))).code;
  const subjects = async (): Promise<string[] | undefined> =>
    (await admin().get<KubeObject & { subjects?: { name: string }[] }>(R.clusterRoleBinding, roleName))?.subjects?.map((subject) => subject.name);

  before(async () => {
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace });
    const tenancy = tenancyControllers();
    manager = new Manager({ kubeConfig: env.kubeConfig, logger: pino({ level: process.env.BEAMLINE_LOG_LEVEL ?? 'warn' }) });
    // Only the Project controller: the one that writes the owner role.
    const [projects] = tenancy.controllers;
    assert.ok(projects !== undefined);
    manager.add(projects);
    tenancy.attach(manager.cache);
    await manager.start();
  });

  after(async () => {
    // The project goes while the manager runs: its finalizer needs it.
    await admin().delete(PROJECT_RESOURCE, name).catch(() => undefined);
    await waitFor(async () => (await admin().get(PROJECT_RESOURCE, name)) === undefined, { what: 'the project deleted', timeoutMs: 60_000 }).catch(() => undefined);
    await manager?.stop();
    await admin().patch(PROJECT_RESOURCE, name, undefined, { metadata: { finalizers: null } }, 'merge').catch(() => undefined);
    for (const object of [projectOwnerRoleName(name), projectReaderName(name)]) {
      await admin().delete(R.clusterRoleBinding, object).catch(() => undefined);
      await admin().delete(R.clusterRole, object).catch(() => undefined);
    }
  });

  test('an owner the controller bound makes another owner, who may then update; a demoted owner may not; no owners, no binding; deleted with the project', async () => {
    await admin().create(PROJECT_RESOURCE, {
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name },
      spec: { displayName: name, members: [{ kind: 'User', name: alice, role: 'owner' }] },
    });
    await waitFor(async () => JSON.stringify(await subjects()) === JSON.stringify([`oidc:${alice}`]), { what: 'the owner binding', timeoutMs: 30_000 });
    const asAlice = new KubeClient(await env.kubeConfigFor({ name: `oidc:${alice}`, groups: [] }));
    const asCarol = new KubeClient(await env.kubeConfigFor({ name: `oidc:${carol}`, groups: [] }));
    await waitFor(async () => (await rename(asAlice, 'by alice')) === 200, { what: 'alice may update her project', timeoutMs: 30_000 });
    assert.equal(await rename(asCarol, 'by carol'), 403);
    await asAlice.patch(PROJECT_RESOURCE, name, undefined, { spec: { members: [{ kind: 'User', name: alice, role: 'member' }, { kind: 'User', name: carol, role: 'owner' }] } }, 'merge');
    await waitFor(async () => JSON.stringify(await subjects()) === JSON.stringify([`oidc:${carol}`]), { what: 'the binding following the owners', timeoutMs: 30_000 });
    await waitFor(async () => (await rename(asCarol, 'by carol')) === 200, { what: 'carol may update the project', timeoutMs: 30_000 });
    await waitFor(async () => (await rename(asAlice, 'by alice again')) === 403, { what: 'alice, now a member, may not', timeoutMs: 30_000 });
    const role = await admin().get<KubeObject & { rules?: unknown }>(R.clusterRole, roleName);
    assert.deepEqual(role?.rules, [{ apiGroups: ['beamline.dev'], resources: ['projects'], resourceNames: [name], verbs: ['update', 'patch'] }]);
    await admin().patch(PROJECT_RESOURCE, name, undefined, { spec: { members: [{ kind: 'User', name: alice, role: 'viewer' }] } }, 'merge');
    await waitFor(async () => (await admin().get(R.clusterRoleBinding, roleName)) === undefined, { what: 'no owners, no owner binding', timeoutMs: 30_000 });
    assert.ok((await admin().get(R.clusterRole, roleName)) !== undefined, 'the role stays with the project');
    await admin().delete(PROJECT_RESOURCE, name);
    await waitFor(async () => (await admin().get(PROJECT_RESOURCE, name)) === undefined, { what: 'the project deleted', timeoutMs: 60_000 });
    assert.equal(await admin().get(R.clusterRole, roleName), undefined);
    assert.equal(await admin().get(R.clusterRoleBinding, roleName), undefined);
  });
});
