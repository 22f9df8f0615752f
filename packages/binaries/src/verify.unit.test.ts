import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containsVersion } from './verify.ts';

test('a version is matched whole, not as a prefix or suffix of another', () => {
  assert.equal(containsVersion('Kubernetes v1.36.3', 'v1.36.3'), true);
  assert.equal(containsVersion('Kubernetes v1.36.30', 'v1.36.3'), false);
  assert.equal(containsVersion('kwok version v0.8.0 go1.26.8 (linux/amd64)', '0.8.0'), true);
  assert.equal(containsVersion('kwok version v10.8.0', '0.8.0'), false);
  assert.equal(containsVersion('v3.21.4+g1234abc', 'v3.21.4'), true);
  assert.equal(containsVersion('etcd Version: 3.6.16\nGit SHA: abc', 'etcd Version: 3.6.16'), true);
  assert.equal(containsVersion('etcd Version: 3.6.160', 'etcd Version: 3.6.16'), false);
});
