import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Type from 'typebox';
import { API_VERSION } from './groupversion.ts';
import { kindSchema } from './kind-schema.ts';

describe('kindSchema', () => {
  const spec = Type.Object({ size: Type.Integer() });
  const options = { description: 'a test kind', 'x-kubernetes-validations': [{ rule: 'true', message: 'never' }] };

  test('apiVersion and kind pinned, metadata, spec and an optional status, in that order', () => {
    const schema = kindSchema({ kind: 'Widget' }, spec, Type.Object({ ready: Type.Boolean() }), options);
    assert.deepEqual(Object.keys(schema.properties), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    assert.equal(schema.properties.apiVersion.const, API_VERSION);
    assert.equal(schema.properties.kind.const, 'Widget');
    assert.deepEqual(schema.required, ['apiVersion', 'kind', 'metadata', 'spec']);
    const { description, 'x-kubernetes-validations': rules } = schema as unknown as Record<string, unknown>;
    assert.equal(description, 'a test kind');
    assert.deepEqual(rules, options['x-kubernetes-validations']);
  });

  test('a kind without status has no status field', () => {
    const schema = kindSchema({ kind: 'Setting' }, spec, undefined, options);
    assert.deepEqual(Object.keys(schema.properties), ['apiVersion', 'kind', 'metadata', 'spec']);
  });
});
