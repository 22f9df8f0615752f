import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Manifest } from '../render/manifest.ts';
import { applyOrder, KIND_ORDER, pruneOrder, syncWave } from './apply-order.ts';
import { DuplicateObjectsError, findDuplicates } from './find-duplicates.ts';
import { objectKey } from './object-key.ts';

function object(apiVersion: string, kind: string, name: string, namespace?: string, wave?: string): Manifest {
  return {
    apiVersion,
    kind,
    metadata: { name, ...(namespace === undefined ? {} : { namespace }), ...(wave === undefined ? {} : { annotations: { 'beamline.dev/sync-wave': wave } }) },
  };
}

const keys = (waves: readonly { readonly wave: number; readonly objects: readonly Manifest[] }[]): [number, string[]][] =>
  waves.map(({ wave, objects }) => [wave, objects.map(objectKey)]);

// A typical application, in the order a renderer might produce it.
const app = [
  object('example.org/v1', 'Widget', 'w1', 'team-a'),
  object('apps/v1', 'Deployment', 'web', 'team-a'),
  object('networking.k8s.io/v1', 'Ingress', 'web', 'team-a'),
  object('v1', 'Service', 'web', 'team-a'),
  object('v1', 'ConfigMap', 'settings', 'team-a'),
  object('rbac.authorization.k8s.io/v1', 'RoleBinding', 'web', 'team-a'),
  object('v1', 'ServiceAccount', 'web', 'team-a'),
  object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.org'),
  object('v1', 'Secret', 'db', 'team-a'),
  object('v1', 'Namespace', 'team-a'),
  object('batch/v1', 'Job', 'migrate', 'team-a', '-1'),
  object('v1', 'PersistentVolumeClaim', 'data', 'team-a'),
  object('monitoring.coreos.com/v1', 'ServiceMonitor', 'web', 'team-a', '2'),
];

describe('objectKey', () => {
  test('is group/kind/namespace/name, with empty parts for the core group and cluster scope', () => {
    assert.equal(objectKey(object('apps/v1', 'Deployment', 'web', 'team-a')), 'apps/Deployment/team-a/web');
    assert.equal(objectKey(object('v1', 'ConfigMap', 'settings', 'team-a')), '/ConfigMap/team-a/settings');
    assert.equal(objectKey(object('v1', 'Namespace', 'team-a')), '/Namespace//team-a');
    assert.equal(objectKey(object('apps/v1beta2', 'Deployment', 'web', 'team-a')), 'apps/Deployment/team-a/web');
  });
});

describe('findDuplicates', () => {
  test('none: undefined', () => {
    assert.equal(findDuplicates(app), undefined);
  });

  test('names every duplicated key once, also across API versions of one group', () => {
    const error = findDuplicates([...app, object('apps/v1beta1', 'Deployment', 'web', 'team-a'), object('v1', 'Secret', 'db', 'team-a'), object('v1', 'Secret', 'db', 'team-a')]);
    assert.ok(error instanceof DuplicateObjectsError);
    assert.deepEqual(error.keys, ['/Secret/team-a/db', 'apps/Deployment/team-a/web']);
    assert.match(error.message, /^duplicate objects: \/Secret\/team-a\/db, apps\/Deployment\/team-a\/web/);
  });

  test('the same name in another namespace or kind is not a duplicate', () => {
    assert.equal(findDuplicates([object('v1', 'Secret', 'db', 'team-a'), object('v1', 'Secret', 'db', 'team-b'), object('v1', 'ConfigMap', 'db', 'team-a')]), undefined);
  });
});

describe('applyOrder', () => {
  test('waves ascending, kinds in install order, Namespaces and CRDs first, custom resources last', () => {
    assert.deepEqual(keys(applyOrder(app)), [
      [-1, ['batch/Job/team-a/migrate']],
      [
        0,
        [
          '/Namespace//team-a',
          'apiextensions.k8s.io/CustomResourceDefinition//widgets.example.org',
          '/ServiceAccount/team-a/web',
          '/Secret/team-a/db',
          '/ConfigMap/team-a/settings',
          '/PersistentVolumeClaim/team-a/data',
          'rbac.authorization.k8s.io/RoleBinding/team-a/web',
          '/Service/team-a/web',
          'apps/Deployment/team-a/web',
          'networking.k8s.io/Ingress/team-a/web',
          'example.org/Widget/team-a/w1',
        ],
      ],
      [2, ['monitoring.coreos.com/ServiceMonitor/team-a/web']],
    ]);
  });

  test('the result does not depend on the input order', () => {
    const reversed = [...app].reverse();
    assert.deepEqual(keys(applyOrder(reversed)), keys(applyOrder(app)));
  });

  test('unknown kinds sort by group and kind, then namespace and name', () => {
    const custom = [
      object('z.example.org/v1', 'Alpha', 'a', 'team-a'),
      object('a.example.org/v1', 'Zulu', 'b', 'team-b'),
      object('a.example.org/v1', 'Zulu', 'a', 'team-b'),
      object('a.example.org/v1', 'Zulu', 'z', 'team-a'),
    ];
    assert.deepEqual(keys(applyOrder(custom))[0]?.[1], ['a.example.org/Zulu/team-a/z', 'a.example.org/Zulu/team-b/a', 'a.example.org/Zulu/team-b/b', 'z.example.org/Alpha/team-a/a']);
  });

  test('a CRD in a later wave stays in its wave', () => {
    const order = applyOrder([object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'late.example.org', undefined, '5'), object('v1', 'ConfigMap', 'c', 'team-a')]);
    assert.deepEqual(order.map(({ wave }) => wave), [0, 5]);
  });

  test('the install order starts with Namespace and CustomResourceDefinition', () => {
    assert.deepEqual(KIND_ORDER.slice(0, 2), ['Namespace', 'CustomResourceDefinition']);
  });

  test('empty input: no waves', () => {
    assert.deepEqual(applyOrder([]), []);
  });
});

describe('pruneOrder', () => {
  test('is applyOrder reversed: highest wave first, custom resources before their CRD, Namespace last', () => {
    const prune = keys(pruneOrder(app));
    const apply = keys(applyOrder(app));
    assert.deepEqual(prune, apply.reverse().map(([wave, list]) => [wave, [...list].reverse()]));
    const wave0 = prune.find(([wave]) => wave === 0)?.[1] ?? [];
    assert.equal(wave0[0], 'example.org/Widget/team-a/w1');
    assert.deepEqual(wave0.slice(-2), ['apiextensions.k8s.io/CustomResourceDefinition//widgets.example.org', '/Namespace//team-a']);
  });
});

describe('syncWave', () => {
  test('absent is 0; integers with sign and spaces are read', () => {
    assert.equal(syncWave(object('v1', 'ConfigMap', 'c', 'team-a')), 0);
    assert.equal(syncWave(object('v1', 'ConfigMap', 'c', 'team-a', '-3')), -3);
    assert.equal(syncWave(object('v1', 'ConfigMap', 'c', 'team-a', '+2')), 2);
    assert.equal(syncWave(object('v1', 'ConfigMap', 'c', 'team-a', ' 10 ')), 10);
  });

  test('an invalid value is an error naming the object and the value', () => {
    for (const value of ['one', '1.5', '', '1e3', '99999999999999999999']) {
      assert.throws(
        () => applyOrder([object('v1', 'ConfigMap', 'ok', 'team-a'), object('apps/v1', 'Deployment', 'web', 'team-a', value)]),
        (error: Error) => error.message.includes('apps/Deployment/team-a/web') && error.message.includes(JSON.stringify(value)) && error.message.includes('must be an integer'),
        value,
      );
    }
    const numeric: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'team-a', annotations: { 'beamline.dev/sync-wave': 3 } } };
    assert.throws(() => syncWave(numeric), /invalid beamline\.dev\/sync-wave annotation 3 on \/ConfigMap\/team-a\/c/);
  });
});
