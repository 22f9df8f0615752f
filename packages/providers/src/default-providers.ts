import { importedProvider } from './imported/imported-provider.ts';
import { kwokProvider, type KwokProviderOptions } from './kwok/kwok-provider.ts';
import { ProviderRegistry } from './provider-registry.ts';

/** The provider of a Cluster that names none and whose template names none (the CRD's default for templates). */
export const DEFAULT_PROVIDER = 'kwok';

/** The providers Beamline ships: kwok and imported. A Cluster API provider is one more `register` on the result. */
export function defaultProviders(options: KwokProviderOptions): ProviderRegistry {
  return new ProviderRegistry().register(kwokProvider(options)).register(importedProvider());
}
