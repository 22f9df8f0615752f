import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Manifest } from '../render/manifest.ts';
import { applyOrder, syncWave } from './apply-order.ts';
import { describeObject, hasGeneratedName, syncRole } from './hooks.ts';

function job(annotations: Record<string, string>, naming: { name?: string; generateName?: string } = { name: 'migrate' }): Manifest {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { ...naming, namespace: 'team-a', annotations } as Manifest['metadata'], spec: {} };
}

describe('syncRole', () => {
  test('no annotation: an ordinary object', () => {
    assert.deepEqual(syncRole(job({})), { role: 'object' });
  });

  test('Argo CD hooks: phases, deletion policies, BeforeHookCreation by default', () => {
    assert.deepEqual(syncRole(job({ 'argocd.argoproj.io/hook': 'PreSync' })), { role: 'hook', phases: ['PreSync'], deletePolicies: ['BeforeHookCreation'] });
    assert.deepEqual(syncRole(job({ 'argocd.argoproj.io/hook': 'Sync, PostSync', 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded,HookFailed' })), {
      role: 'hook',
      phases: ['Sync', 'PostSync'],
      deletePolicies: ['HookSucceeded', 'HookFailed'],
    });
    assert.equal(syncRole(job({ 'argocd.argoproj.io/hook': 'Skip' })).role, 'skip');
    assert.equal(syncRole(job({ 'argocd.argoproj.io/hook': 'PostDelete' })).role, 'skip');
  });

  test('Helm hooks as Argo CD maps them; the Argo CD annotation wins', () => {
    assert.deepEqual(syncRole(job({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-delete-policy': 'hook-succeeded' })), {
      role: 'hook',
      phases: ['PreSync'],
      deletePolicies: ['HookSucceeded'],
    });
    assert.deepEqual(syncRole(job({ 'helm.sh/hook': 'post-install' })), { role: 'hook', phases: ['PostSync'], deletePolicies: ['BeforeHookCreation'] });
    assert.equal(syncRole(job({ 'helm.sh/hook': 'test' })).role, 'skip');
    assert.deepEqual(syncRole(job({ 'helm.sh/hook': 'crd-install' })), { role: 'object' });
    assert.deepEqual(syncRole(job({ 'helm.sh/hook': 'pre-install', 'argocd.argoproj.io/hook': 'Sync' })), { role: 'hook', phases: ['Sync'], deletePolicies: ['BeforeHookCreation'] });
  });

  test('generateName: a hook may have one; any other object is skipped with why', () => {
    const generated = job({ 'argocd.argoproj.io/hook': 'PreSync' }, { generateName: 'migrate-' });
    assert.ok(hasGeneratedName(generated));
    assert.equal(syncRole(generated).role, 'hook');
    assert.equal(describeObject(generated), 'batch/Job/team-a/migrate-*');
    const plain = syncRole(job({}, { generateName: 'migrate-' }));
    assert.equal(plain.role, 'skip');
    assert.match(plain.role === 'skip' ? plain.reason : '', /generateName without a hook annotation/);
  });

  test('an unknown phase or policy is an error naming the object and the value', () => {
    assert.throws(() => syncRole(job({ 'argocd.argoproj.io/hook': 'PreSink' })), /invalid argocd\.argoproj\.io\/hook annotation "PreSink" on batch\/Job\/team-a\/migrate: must be PreSync/);
    assert.throws(() => syncRole(job({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'Never' })), /hook-delete-policy annotation "Never"/);
  });
});

describe('sync waves from Argo CD and Helm annotations', () => {
  test("Beamline's annotation, else Argo CD's, else a Helm hook's weight", () => {
    assert.equal(syncWave(job({ 'argocd.argoproj.io/sync-wave': '-2' })), -2);
    assert.equal(syncWave(job({ 'argocd.argoproj.io/sync-wave': '-2', 'beamline.dev/sync-wave': '3' })), 3);
    assert.equal(syncWave(job({ 'helm.sh/hook': 'pre-install', 'helm.sh/hook-weight': '5' })), 5);
    assert.equal(syncWave(job({ 'helm.sh/hook-weight': '5' })), 0, 'a weight without a Helm hook means nothing');
    assert.throws(() => syncWave(job({ 'argocd.argoproj.io/sync-wave': 'first' })), /invalid argocd\.argoproj\.io\/sync-wave annotation "first" on batch\/Job\/team-a\/migrate/);
  });

  test('objects with generated names are ordered without a name', () => {
    const order = applyOrder([job({}, { generateName: 'b-' }), job({}, { generateName: 'a-' })]);
    assert.deepEqual(order[0]?.objects.map(describeObject), ['batch/Job/team-a/a-*', 'batch/Job/team-a/b-*']);
  });
});
