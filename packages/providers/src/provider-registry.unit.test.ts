import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { binaryPathsIn } from '@beamline/binaries';
import type { ClusterProvider } from './cluster-provider.ts';
import { ClusterStalledError } from './cluster-stalled-error.ts';
import { defaultProviders } from './default-providers.ts';
import { PROVIDER_NOT_FOUND, ProviderRegistry } from './provider-registry.ts';

const fake = (name: string): ClusterProvider => ({
  name,
  observe: () => Promise.resolve(undefined),
  ensure: () => Promise.reject(new Error('not used')),
  delete: () => Promise.resolve(),
});

describe('ProviderRegistry', () => {
  test('resolves a registered provider by the name a Cluster gives', () => {
    const capi = fake('capi');
    const registry = new ProviderRegistry().register(fake('kwok')).register(capi);
    assert.equal(registry.resolve('capi'), capi);
    assert.equal(registry.get('capi'), capi);
    assert.deepEqual(registry.names(), ['kwok', 'capi']);
  });

  test('an unknown provider is refused as Stalled (ProviderNotFound), naming the providers there are', () => {
    const registry = new ProviderRegistry().register(fake('kwok')).register(fake('imported'));
    assert.equal(registry.get('capi'), undefined);
    assert.throws(
      () => registry.resolve('capi'),
      (error: unknown) =>
        error instanceof ClusterStalledError &&
        error.reason === PROVIDER_NOT_FOUND &&
        error.recheckAfterMs === undefined &&
        error.message === 'provider "capi" is not available in this manager; available: kwok, imported',
    );
    assert.throws(() => new ProviderRegistry().resolve('kwok'), /available: none$/);
  });

  test('a second provider under a name taken is a programming error', () => {
    assert.throws(() => new ProviderRegistry().register(fake('kwok')).register(fake('kwok')), /^Error: failed to register provider "kwok": it is registered already$/);
  });

  test('the default registry holds kwok (which manages node groups) and imported (which does not)', () => {
    const registry = defaultProviders({ home: '/nonexistent', binaries: binaryPathsIn('/nonexistent'), kubernetesVersion: '1.36.3' });
    assert.deepEqual(registry.names(), ['kwok', 'imported']);
    assert.notEqual(registry.get('kwok')?.nodeGroups, undefined);
    assert.equal(registry.get('imported')?.nodeGroups, undefined);
  });
});
