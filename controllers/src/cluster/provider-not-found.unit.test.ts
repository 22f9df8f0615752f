// A Cluster naming a provider the manager does not run: the registry's refusal becomes the
// Cluster's conditions through the same pure status computation as every other stall.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterStalledError, ProviderRegistry, type ClusterProvider } from '@beamline/providers';
import { computeClusterStatus } from './status.ts';

test('an unknown provider makes the Cluster Failed: Ready=False and Stalled=True with ProviderNotFound, naming the providers there are', () => {
  const kwok: ClusterProvider = { name: 'kwok', observe: () => Promise.resolve(undefined), ensure: () => Promise.reject(new Error('not used')), delete: () => Promise.resolve() };
  let error: unknown;
  try {
    new ProviderRegistry().register(kwok).resolve('capi');
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof ClusterStalledError);
  const status = computeClusterStatus({ deleting: false, stalled: { reason: error.reason, message: error.message }, nodeGroups: [] });
  const byType = Object.fromEntries(status.conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));
  assert.equal(status.phase, 'Failed');
  assert.deepEqual(byType, {
    Ready: 'False/ProviderNotFound',
    ControlPlaneReady: 'Unknown/ProviderNotFound',
    NodesReady: 'Unknown/ProviderNotFound',
    Reconciling: 'False/ProviderNotFound',
    Stalled: 'True/ProviderNotFound',
  });
  assert.equal(status.conditions.find((c) => c.type === 'Ready')?.message, 'provider "capi" is not available in this manager; available: kwok');
});
