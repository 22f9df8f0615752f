import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHANGED_BY_ANNOTATION, PROJECT_LABEL, SHARED_CLUSTER_LABEL } from '@beamline/api';
import { changedByOf, deliveryPermission, isForbidden, objectsOutsideScope, projectOf, type DeliveryScope, type TenancyFacts } from './tenancy.ts';

const P1 = { [PROJECT_LABEL]: 'p1' };
const SHARED = { [SHARED_CLUSTER_LABEL]: 'true' };
const P1_SPEC = {
  sharedNamespaces: [
    { cluster: { namespace: 'platform', name: 'shared' }, namespace: 'p1-web' },
    { cluster: { namespace: 'platform', name: 'shared' }, namespace: 'p1-db' },
    { cluster: { namespace: 'platform', name: 'other' }, namespace: 'p1-elsewhere' },
  ],
};
const IDENTITY = { user: 'beamline:project:p1', group: 'beamline:projects' };

/** A project-p1 app in `project-p1` aimed at `destination`, with the facts of a shared cluster `platform/shared`. */
const facts = (destination: TenancyFacts['destination'], more: Partial<TenancyFacts> = {}): TenancyFacts => ({
  appNamespace: 'project-p1',
  repoURL: 'https://git.example.org/p1/deploy.git',
  destination,
  appNamespaceLabels: P1,
  clusterNamespaceLabels: {},
  clusterLabels: SHARED,
  projectSpec: P1_SPEC,
  ...more,
});

describe('deliveryPermission', () => {
  const cases: readonly { readonly name: string; readonly facts: TenancyFacts; readonly expected: ReturnType<typeof deliveryPermission> }[] = [
    {
      name: 'a namespace of no project may deliver anywhere, in-cluster too, as the manager',
      facts: facts({ cluster: 'in-cluster', namespace: 'x' }, { appNamespace: 'team', appNamespaceLabels: {} }),
      expected: { allowed: true, scope: { kind: 'admin' } },
    },
    {
      name: 'an empty project label is no project',
      facts: facts({ cluster: 'in-cluster', namespace: 'x' }, { appNamespace: 'team', appNamespaceLabels: { [PROJECT_LABEL]: '' } }),
      expected: { allowed: true, scope: { kind: 'admin' } },
    },
    {
      name: 'a namespace that cannot be read is no project (the admins space; only admins create namespaces)',
      facts: facts({ cluster: 'c', namespace: 'x', clusterNamespace: 'elsewhere' }, { appNamespace: 'team', appNamespaceLabels: undefined }),
      expected: { allowed: true, scope: { kind: 'admin' } },
    },
    {
      name: 'a project app to in-cluster is refused, naming the rule',
      facts: facts({ cluster: 'in-cluster', namespace: 'x' }),
      expected: { allowed: false, message: "project p1 may not deliver to in-cluster: only platform admins' Applications (namespaces of no project) may" },
    },
    {
      name: 'the label decides, not the namespace name',
      facts: facts({ cluster: 'in-cluster', namespace: 'x' }, { appNamespace: 'not-project-like', appNamespaceLabels: { [PROJECT_LABEL]: 'physics' } }),
      expected: { allowed: false, message: "project physics may not deliver to in-cluster: only platform admins' Applications (namespaces of no project) may" },
    },
    {
      name: "a Cluster of the app's namespace is the project's: allowed as its identity",
      facts: facts({ cluster: 'gpu', namespace: 'anything' }),
      expected: { allowed: true, scope: { kind: 'project-cluster', project: 'p1', identity: IDENTITY } },
    },
    {
      name: "clusterNamespace equal to the app's namespace is the same",
      facts: facts({ cluster: 'gpu', namespace: 'anything', clusterNamespace: 'project-p1' }),
      expected: { allowed: true, scope: { kind: 'project-cluster', project: 'p1', identity: IDENTITY } },
    },
    {
      name: "a Cluster of another project's namespace is refused",
      facts: facts({ cluster: 'gpu', namespace: 'x', clusterNamespace: 'project-p2' }, { clusterNamespaceLabels: { [PROJECT_LABEL]: 'p2' } }),
      expected: {
        allowed: false,
        message: 'project p1 may not deliver to Cluster project-p2/gpu: its namespace belongs to project p2; a project delivers to the Clusters of its own namespace and to shared clusters',
      },
    },
    {
      name: 'a shared-labelled Cluster in a namespace of a project is still refused',
      facts: facts({ cluster: 'shared', namespace: 'p1-web', clusterNamespace: 'project-p2' }, { clusterNamespaceLabels: { [PROJECT_LABEL]: 'p2' }, clusterLabels: SHARED }),
      expected: {
        allowed: false,
        message: 'project p1 may not deliver to Cluster project-p2/shared: its namespace belongs to project p2; a project delivers to the Clusters of its own namespace and to shared clusters',
      },
    },
    {
      name: 'a Cluster of another namespace that is not shared is refused',
      facts: facts({ cluster: 'shared', namespace: 'p1-web', clusterNamespace: 'platform' }, { clusterLabels: { [SHARED_CLUSTER_LABEL]: 'false' } }),
      expected: { allowed: false, message: 'project p1 may not deliver to Cluster platform/shared: it is not a shared cluster (labelled beamline.dev/shared=true)' },
    },
    {
      name: 'a Cluster that does not exist reads as not shared (nothing learnt of other namespaces)',
      facts: facts({ cluster: 'ghost', namespace: 'p1-web', clusterNamespace: 'platform' }, { clusterLabels: undefined }),
      expected: { allowed: false, message: 'project p1 may not deliver to Cluster platform/ghost: it is not a shared cluster (labelled beamline.dev/shared=true)' },
    },
    {
      name: 'a shared cluster needs the Project',
      facts: facts({ cluster: 'shared', namespace: 'p1-web', clusterNamespace: 'platform' }, { projectSpec: undefined }),
      expected: { allowed: false, message: 'project p1 may not deliver to shared cluster platform/shared: Project p1 does not exist' },
    },
    {
      name: 'a namespace of a shared cluster the project does not own is refused, listing those it owns there',
      facts: facts({ cluster: 'shared', namespace: 'p2-web', clusterNamespace: 'platform' }),
      expected: { allowed: false, message: 'project p1 may not deliver to namespace p2-web of shared cluster platform/shared: its namespaces there (Project spec.sharedNamespaces) are p1-web, p1-db' },
    },
    {
      name: 'a namespace the project owns on another shared cluster does not count',
      facts: facts({ cluster: 'shared', namespace: 'p1-elsewhere', clusterNamespace: 'platform' }),
      expected: {
        allowed: false,
        message: 'project p1 may not deliver to namespace p1-elsewhere of shared cluster platform/shared: its namespaces there (Project spec.sharedNamespaces) are p1-web, p1-db',
      },
    },
    {
      name: 'no shared namespaces at all',
      facts: facts({ cluster: 'shared', namespace: 'p1-web', clusterNamespace: 'platform' }, { projectSpec: {} }),
      expected: { allowed: false, message: 'project p1 may not deliver to namespace p1-web of shared cluster platform/shared: its namespaces there (Project spec.sharedNamespaces) are none' },
    },
    {
      name: 'a namespace it owns on a shared cluster: allowed, scoped to its namespaces there',
      facts: facts({ cluster: 'shared', namespace: 'p1-db', clusterNamespace: 'platform' }),
      expected: { allowed: true, scope: { kind: 'shared', project: 'p1', identity: IDENTITY, cluster: 'platform/shared', namespaces: ['p1-web', 'p1-db'] } },
    },
    {
      name: "a project's file:// source, whatever the destination: refused (a path on the manager's machine)",
      facts: facts({ cluster: 'lab', namespace: 'web' }, { repoURL: 'FILE:///var/lib/beamline/gitops/mirrors/other-tenant.git' }),
      expected: {
        allowed: false,
        message:
          "project p1 may not read a file:// repository: it is a path on the manager's machine, and only platform admins' Applications (namespaces of no project) may read there; serve the repository over https, http or ssh",
      },
    },
    {
      name: "a platform admins' file:// source: allowed",
      facts: facts({ cluster: 'lab', namespace: 'web' }, { appNamespace: 'team', appNamespaceLabels: {}, repoURL: 'file:///srv/git/deploy.git' }),
      expected: { allowed: true, scope: { kind: 'admin' } },
    },
  ];
  for (const { name, facts: input, expected } of cases) {
    test(name, () => assert.deepEqual(deliveryPermission(input), expected));
  }
});

describe('objectsOutsideScope', () => {
  const shared: DeliveryScope = { kind: 'shared', project: 'p1', identity: IDENTITY, cluster: 'platform/shared', namespaces: ['p1-web', 'p1-db'] };
  const config = (namespace: string, name = 'c') => ({ kind: 'ConfigMap', name, namespace, namespaced: true });

  test('anything goes in a project cluster or for admins', () => {
    const objects = [{ kind: 'ClusterRole', name: 'r', namespaced: false }, config('kube-system')];
    assert.equal(objectsOutsideScope({ kind: 'admin' }, objects), undefined);
    assert.equal(objectsOutsideScope({ kind: 'project-cluster', project: 'p1', identity: IDENTITY }, objects), undefined);
  });
  test('namespaced objects in its namespaces pass', () => {
    assert.equal(objectsOutsideScope(shared, [config('p1-web'), config('p1-db')]), undefined);
  });
  test('an object in a namespace it does not own is refused, named', () => {
    assert.equal(
      objectsOutsideScope(shared, [config('p1-web'), config('p2-web', 'steal')]),
      'project p1 may not deliver to shared cluster platform/shared: objects outside its namespaces there (p1-web, p1-db): ConfigMap p2-web/steal',
    );
  });
  test('cluster-scoped objects are refused (a Namespace, a ClusterRoleBinding)', () => {
    assert.equal(
      objectsOutsideScope(shared, [{ kind: 'Namespace', name: 'p1-new', namespaced: false }, { kind: 'ClusterRoleBinding', name: 'me-admin', namespaced: false }, config('p1-web')]),
      'project p1 may not deliver to shared cluster platform/shared: cluster-scoped objects are not allowed there (Namespace p1-new, ClusterRoleBinding me-admin)',
    );
  });
  test('a namespaced object without a namespace is refused (prepareDesired fills it; never trusted empty)', () => {
    assert.match(objectsOutsideScope(shared, [{ kind: 'ConfigMap', name: 'x', namespaced: true }]) ?? '', /outside its namespaces there .*ConfigMap \/x/);
  });
  test('both kinds of refusal, and long lists cut', () => {
    const many = Array.from({ length: 7 }, (_, index) => config('other', `c${index}`));
    assert.equal(
      objectsOutsideScope(shared, [{ kind: 'ClusterRole', name: 'r', namespaced: false }, ...many]),
      'project p1 may not deliver to shared cluster platform/shared: cluster-scoped objects are not allowed there (ClusterRole r); objects outside its namespaces there (p1-web, p1-db): ConfigMap other/c0, ConfigMap other/c1, ConfigMap other/c2, ConfigMap other/c3, ConfigMap other/c4 and 2 more',
    );
  });
});

describe('projectOf and changedByOf', () => {
  test('projectOf reads the label only', () => {
    assert.equal(projectOf(undefined), undefined);
    assert.equal(projectOf({ other: 'p1' }), undefined);
    assert.equal(projectOf(P1), 'p1');
  });
  test('isForbidden: a 403 of the destination, not any message mentioning forbidden', () => {
    assert.equal(isForbidden('failed to prune /ConfigMap/x/y: 403 Forbidden: configmaps "y" is forbidden: User "beamline:project:p1" cannot delete'), true);
    assert.equal(isForbidden('failed to PATCH /api/v1/namespaces/x/configmaps/y: 422 Invalid: forbidden field'), false);
    assert.equal(isForbidden(undefined), false);
  });
  test('changedByOf cleans the annotation', () => {
    assert.equal(changedByOf(undefined, CHANGED_BY_ANNOTATION), undefined);
    assert.equal(changedByOf({ [CHANGED_BY_ANNOTATION]: '  ' }, CHANGED_BY_ANNOTATION), undefined);
    assert.equal(changedByOf({ [CHANGED_BY_ANNOTATION]: 'oidc:alice@desy.de' }, CHANGED_BY_ANNOTATION), 'oidc:alice@desy.de');
    assert.equal(changedByOf({ [CHANGED_BY_ANNOTATION]: 'eve\nforged line\u001b[31m' }, CHANGED_BY_ANNOTATION), 'eveforged line[31m');
    assert.equal(changedByOf({ [CHANGED_BY_ANNOTATION]: 'x'.repeat(300) }, CHANGED_BY_ANNOTATION)?.length, 256);
  });
});
