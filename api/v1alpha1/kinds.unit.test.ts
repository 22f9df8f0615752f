// The kinds registry: each kind file's definition is consistent with itself, and registering a
// kind is what makes it a CRD (see packages/install's generate.unit.test.ts for the CRD side).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationConditionReason } from './application.ts';
import { ClusterConditionReason } from './cluster.ts';
import { ClusterTemplateConditionReason } from './clustertemplate.ts';
import { CommonConditionReason, ConditionReason } from './conditions.ts';
import { KIND_DEFINITIONS, KINDS } from './kinds.ts';
import { NodeGroupConditionReason } from './nodegroup.ts';

describe('kinds registry', () => {
  test('one definition per kind, in the same order as KINDS', () => {
    assert.deepEqual(
      KIND_DEFINITIONS.map((definition) => definition.names),
      [...KINDS],
    );
  });

  test("each definition's schema pins its own kind and its columns read spec or status", () => {
    for (const { names, schema, printerColumns } of KIND_DEFINITIONS) {
      assert.equal((schema.properties.kind as { const?: string }).const, names.kind);
      assert.ok(printerColumns.length > 0, names.kind);
      for (const column of printerColumns) assert.match(column.jsonPath, /^\.(spec|status)\./, `${names.kind} ${column.name}`);
    }
  });

  test('kinds with a status have the status subresource', () => {
    for (const { names, schema, subresources } of KIND_DEFINITIONS) {
      assert.equal(subresources?.status !== undefined, 'status' in schema.properties, names.kind);
    }
  });
});

describe('condition reasons', () => {
  test('no kind file declares a reason another declares too (the union loses none)', () => {
    const parts = [CommonConditionReason, ClusterConditionReason, NodeGroupConditionReason, ApplicationConditionReason, ClusterTemplateConditionReason];
    const keys = parts.flatMap((part) => Object.keys(part));
    assert.equal(new Set(keys).size, keys.length);
    assert.deepEqual(Object.keys(ConditionReason).sort(), [...keys].sort());
    for (const [key, value] of Object.entries(ConditionReason)) assert.equal(value, key);
  });
});
