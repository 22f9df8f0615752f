import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listTable } from './list-objects.ts';
import type { BeamlineObject } from './resources.ts';

describe('listTable', () => {
  const table = { kind: 'Widget', headers: ['name'], row: (object: BeamlineObject) => [object.metadata?.name ?? ''] };

  test('one namespace: the table as it is', () => {
    assert.equal(listTable(table, { namespace: 'physics', allNamespaces: false }), table);
  });

  test('-A: a namespace column first, the kind kept', () => {
    const all = listTable(table, { namespace: 'physics', allNamespaces: true });
    assert.deepEqual(all.headers, ['namespace', 'name']);
    assert.deepEqual(all.row({ metadata: { name: 'w', namespace: 'chemistry' } }), ['chemistry', 'w']);
    assert.equal(all.kind, 'Widget');
  });
});
