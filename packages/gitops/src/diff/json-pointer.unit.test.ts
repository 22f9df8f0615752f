import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deleteAtPointer, formatJsonPointer, parseJsonPointer } from './json-pointer.ts';

describe('JSON pointers (RFC 6901)', () => {
  test('parse and format round-trip, with ~0 and ~1 escapes', () => {
    assert.deepEqual(parseJsonPointer('/metadata/annotations/a~1b~0c'), ['metadata', 'annotations', 'a/b~c']);
    assert.deepEqual(parseJsonPointer(''), []);
    assert.deepEqual(parseJsonPointer('/'), ['']);
    assert.equal(formatJsonPointer(['metadata', 'annotations', 'a/b~c']), '/metadata/annotations/a~1b~0c');
    assert.equal(formatJsonPointer(['spec', 'containers', 0, 'image']), '/spec/containers/0/image');
    assert.equal(formatJsonPointer([]), '');
  });

  test('invalid pointers are errors', () => {
    assert.throws(() => parseJsonPointer('spec'), /must start with "\/"/);
    assert.throws(() => parseJsonPointer('/a~'), /"~" must be followed by 0 or 1/);
  });

  test('delete removes object fields and array elements, and ignores paths that do not exist', () => {
    const value = { spec: { replicas: 3, containers: [{ name: 'a' }, { name: 'b' }] } };
    deleteAtPointer(value, ['spec', 'containers', '0']);
    deleteAtPointer(value, ['spec', 'replicas']);
    deleteAtPointer(value, ['spec', 'missing', 'deeper']);
    deleteAtPointer(value, ['spec', 'containers', '7']);
    deleteAtPointer(value, ['spec', 'containers', '-']);
    assert.deepEqual(value, { spec: { containers: [{ name: 'b' }] } });
  });
});
