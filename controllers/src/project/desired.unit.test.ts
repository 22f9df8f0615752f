import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROJECT_CLUSTER_ROLES, PROJECT_LABEL, WORKLOAD_CLUSTER_ROLES, type PlatformConfig, type Project } from '@beamline/api';
import { desiredWorkloadBindings } from '../cluster-access/reconciler.ts';
import { isolationPolicies, memberBindings, namespaceDefaultObjects, platformAdminsBinding, projectOwnerRole, projectOwnerRoleName, projectReader, roleBindingName } from './desired.ts';

const project: Project = {
  apiVersion: 'beamline.dev/v1alpha1',
  kind: 'Project',
  metadata: { name: 'physics', uid: 'u-1' },
  spec: {
    displayName: 'Physics',
    members: [
      { kind: 'User', name: 'alice@lab.org', role: 'owner' },
      { kind: 'Group', name: 'physics', role: 'member' },
      { kind: 'User', name: 'dave@lab.org', role: 'member' },
    ],
  },
};
const owner = { apiVersion: 'beamline.dev/v1alpha1', kind: 'Project', name: 'physics', uid: 'u-1', controller: true, blockOwnerDeletion: true };

test('one binding per role that has members, subjects prefixed as the identity says (default oidc:)', () => {
  const bindings = memberBindings(project, undefined, PROJECT_CLUSTER_ROLES, 'project-physics');
  assert.deepEqual(bindings.map((binding) => binding.metadata.name), [roleBindingName('owner'), roleBindingName('member')]);
  assert.deepEqual(bindings[1]?.subjects, [
    { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oidc:physics' },
    { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'oidc:dave@lab.org' },
  ]);
  assert.equal(bindings[0]?.kind, 'RoleBinding');
  assert.equal(bindings[0]?.metadata.labels[PROJECT_LABEL], 'physics');
  const custom = memberBindings(project, { issuer: 'https://id.lab.org', clientID: 'beamline', usernamePrefix: 'lab-user:', groupsPrefix: 'lab-group:' }, WORKLOAD_CLUSTER_ROLES);
  assert.equal(custom[0]?.kind, 'ClusterRoleBinding');
  assert.equal(custom[0]?.roleRef.name, 'cluster-admin');
  assert.deepEqual(custom[1]?.subjects.map((subject) => subject.name), ['lab-group:physics', 'lab-user:dave@lab.org']);
});

test('platform admins: the admin groups, prefixed, as cluster-admin; none without admin groups', () => {
  assert.equal(platformAdminsBinding(undefined), undefined);
  assert.equal(platformAdminsBinding({ issuer: 'https://id', clientID: 'c', adminGroups: [] }), undefined);
  const binding = platformAdminsBinding({ issuer: 'https://id', clientID: 'c', adminGroups: ['ops'] });
  assert.equal(binding?.roleRef.name, 'cluster-admin');
  assert.deepEqual(binding?.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oidc:ops' }]);
});

test('a workload cluster of a project holds the admins, the members per role and the delivery identity; one of no project only the admins', () => {
  const platform = { spec: { identity: { issuer: 'https://id', clientID: 'c', adminGroups: ['ops'] } } } as PlatformConfig;
  const names = (bindings: ReturnType<typeof desiredWorkloadBindings>): string[] => bindings.map((binding) => `${binding.metadata.name}→${binding.roleRef.name}`);
  assert.deepEqual(names(desiredWorkloadBindings(platform, project)), [
    'beamline:platform-admins→cluster-admin',
    'beamline:project:owner→cluster-admin',
    'beamline:project:member→edit',
    'beamline:project-delivery→cluster-admin',
  ]);
  assert.deepEqual(names(desiredWorkloadBindings(platform, undefined)), ['beamline:platform-admins→cluster-admin']);
  assert.deepEqual(names(desiredWorkloadBindings(undefined, undefined)), []);
});

test('namespace defaults: a ResourceQuota and a LimitRange of type Container, each only when asked for', () => {
  assert.deepEqual(namespaceDefaultObjects('physics', 'ns', undefined), {});
  const both = namespaceDefaultObjects('physics', 'ns', { resourceQuota: { hard: { pods: '10' } }, limitRange: { max: { cpu: '2' } } });
  assert.deepEqual((both.quota as unknown as { spec: unknown }).spec, { hard: { pods: '10' } });
  assert.deepEqual((both.limitRange as unknown as { spec: unknown }).spec, { limits: [{ type: 'Container', max: { cpu: '2' } }] });
  assert.equal(namespaceDefaultObjects('physics', 'ns', { limitRange: {} }).limitRange, undefined);
});

test('isolation: deny all ingress, then allow it from namespaces labelled with the same project', () => {
  const [deny, allow] = isolationPolicies('physics', 'ns') as unknown as { spec: Record<string, unknown> }[];
  assert.deepEqual(deny?.spec, { podSelector: {}, policyTypes: ['Ingress'] });
  assert.deepEqual(allow?.spec.ingress, [{ from: [{ namespaceSelector: { matchLabels: { [PROJECT_LABEL]: 'physics' } } }] }]);
});

test('the project reader grants get/list/watch on that Project only, to every member, owned by the Project', () => {
  const { role, binding } = projectReader(project, undefined, owner);
  assert.deepEqual((role as unknown as { rules: unknown }).rules, [{ apiGroups: ['beamline.dev'], resources: ['projects', 'projects/status'], resourceNames: ['physics'], verbs: ['get', 'list', 'watch'] }]);
  assert.equal(binding?.subjects.length, 3);
  assert.deepEqual(binding?.metadata.ownerReferences, [owner]);
  assert.equal(projectReader({ ...project, spec: { ...project.spec, members: [] } }, undefined, owner).binding, undefined);
});

test('the project owner role grants update and patch of that Project only (not its status), bound to the owners alone', () => {
  const { role, binding } = projectOwnerRole(project, { issuer: 'https://id', clientID: 'c', usernamePrefix: 'lab:' }, owner);
  assert.equal(role.metadata?.name, 'beamline:project-owner:physics');
  assert.equal(projectOwnerRoleName('physics'), role.metadata?.name);
  assert.deepEqual((role as unknown as { rules: unknown }).rules, [{ apiGroups: ['beamline.dev'], resources: ['projects'], resourceNames: ['physics'], verbs: ['update', 'patch'] }]);
  assert.deepEqual(role.metadata?.ownerReferences, [owner]);
  assert.equal(binding?.kind, 'ClusterRoleBinding');
  assert.equal(binding?.roleRef.name, 'beamline:project-owner:physics');
  // Members and viewers get no write: only alice, the owner, under the identity's user prefix.
  assert.deepEqual(binding?.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'lab:alice@lab.org' }]);
  assert.deepEqual(binding?.metadata.ownerReferences, [owner]);
  assert.equal(binding?.metadata.labels[PROJECT_LABEL], 'physics');
  const noOwners = { ...project, spec: { ...project.spec, members: project.spec.members.filter((member) => member.role !== 'owner') } };
  assert.equal(projectOwnerRole(noOwners, undefined, owner).binding, undefined);
});
