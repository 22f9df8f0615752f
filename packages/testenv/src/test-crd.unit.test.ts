import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testCrd } from './test-crd.ts';

describe('testCrd', () => {
  test('names, one v1 version keeping any field, no subresource unless asked', () => {
    assert.deepEqual(testCrd({ group: 'x.beamline.dev', plural: 'gadgets1', kind: 'Gadget1' }), {
      metadata: { name: 'gadgets1.x.beamline.dev' },
      spec: {
        group: 'x.beamline.dev',
        scope: 'Namespaced',
        names: { plural: 'gadgets1', singular: 'gadgets', kind: 'Gadget1', listKind: 'Gadget1List' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
      },
    });
  });

  test('a schema of its own and the status subresource', () => {
    const schema = { type: 'object', properties: { spec: { type: 'object' } } };
    const [version] = testCrd({ group: 'x.beamline.dev', plural: 'widgets', kind: 'Widget', schema, statusSubresource: true }).spec.versions;
    assert.deepEqual(version?.subresources, { status: {} });
    assert.equal(version?.schema?.openAPIV3Schema, schema);
  });
});
