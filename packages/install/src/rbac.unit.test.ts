import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROJECT_CLUSTER_ROLES } from '@beamline/api';
import { catalogReader, projectClusterRoles, rbacObjects, type ClusterRoleManifest } from './rbac.ts';

/** The verbs a role grants on one resource of one API group. */
function verbs(role: ClusterRoleManifest | undefined, group: string, resource: string): string[] {
  return (role?.rules ?? []).filter((rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource)).flatMap((rule) => [...rule.verbs]);
}

const roles = new Map(projectClusterRoles().map((role) => [role.metadata.name, role]));
const owner = roles.get(PROJECT_CLUSTER_ROLES.owner);
const member = roles.get(PROJECT_CLUSTER_ROLES.member);
const viewer = roles.get(PROJECT_CLUSTER_ROLES.viewer);

test('one ClusterRole per project role, named as the api names them', () => {
  assert.deepEqual([...roles.keys()].sort(), Object.values(PROJECT_CLUSTER_ROLES).sort());
});

test('nobody of a project reads Secrets (kubeconfig Secrets hold admin certificates); owners and members write them', () => {
  for (const role of [owner, member, viewer]) {
    for (const read of ['get', 'list', 'watch']) assert.ok(!verbs(role, '', 'secrets').includes(read), `${role?.metadata.name} may not ${read} secrets`);
  }
  assert.deepEqual(verbs(owner, '', 'secrets').sort(), ['create', 'delete', 'patch', 'update']);
  assert.deepEqual(verbs(member, '', 'secrets').sort(), ['create', 'delete', 'patch', 'update']);
  assert.deepEqual(verbs(viewer, '', 'secrets'), []);
});

test('owners manage Roles and RoleBindings, members do not; viewers only read Beamline kinds; nobody writes status', () => {
  assert.ok(verbs(owner, 'rbac.authorization.k8s.io', 'rolebindings').includes('create'));
  assert.deepEqual(verbs(member, 'rbac.authorization.k8s.io', 'rolebindings'), []);
  for (const kind of ['clusters', 'nodegroups', 'applications']) {
    assert.ok(verbs(member, 'beamline.dev', kind).includes('create'), `member creates ${kind}`);
    assert.deepEqual(verbs(viewer, 'beamline.dev', kind).sort(), ['get', 'list', 'watch']);
    for (const role of [owner, member, viewer]) assert.deepEqual(verbs(role, 'beamline.dev', `${kind}/status`).sort(), ['get', 'list', 'watch']);
  }
  // Projects, templates and the PlatformConfig are not the namespace roles' business.
  for (const role of [owner, member, viewer]) for (const kind of ['projects', 'clustertemplates', 'platformconfigs']) assert.deepEqual(verbs(role, 'beamline.dev', kind), []);
});

test('the catalogue is read by every authenticated user, and only read', () => {
  const { role, binding } = catalogReader();
  assert.deepEqual(verbs(role, 'beamline.dev', 'clustertemplates').sort(), ['get', 'list', 'watch']);
  assert.deepEqual(verbs(role, 'beamline.dev', 'platformconfigs').sort(), ['get', 'list', 'watch']);
  assert.deepEqual(binding.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }]);
  assert.equal(binding.roleRef.name, role.metadata.name);
  // Roles are applied before the binding that names them.
  const names = rbacObjects().map((object) => `${object.kind}/${object.metadata.name}`);
  assert.ok(names.indexOf(`ClusterRole/${role.metadata.name}`) < names.indexOf(`ClusterRoleBinding/${binding.metadata.name}`));
});
