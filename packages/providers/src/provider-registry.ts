import type { ClusterProvider } from './cluster-provider.ts';
import { ClusterStalledError } from './cluster-stalled-error.ts';

/** The reason of a Cluster whose `spec.provider` names no registered provider. */
export const PROVIDER_NOT_FOUND = 'ProviderNotFound';

/**
 * The providers the manager runs, keyed by the `spec.provider` they serve. Adding a provider is
 * one {@link ProviderRegistry.register} call in the composition root: the reconcilers look
 * providers up here and never branch on their names.
 */
export class ProviderRegistry {
  readonly #providers = new Map<string, ClusterProvider>();

  /** Registers `provider` under its name; a second provider of the same name is a programming error. */
  register(provider: ClusterProvider): this {
    if (this.#providers.has(provider.name)) throw new Error(`failed to register provider "${provider.name}": it is registered already`);
    this.#providers.set(provider.name, provider);
    return this;
  }

  /** The provider of that name, or undefined. */
  get(name: string): ClusterProvider | undefined {
    return this.#providers.get(name);
  }

  /** The names registered, in registration order. */
  names(): string[] {
    return [...this.#providers.keys()];
  }

  /**
   * The provider of that name, or a {@link ClusterStalledError} (`ProviderNotFound`) that lists
   * the registered ones: a Cluster naming another provider stays Stalled until it is registered.
   */
  resolve(name: string): ClusterProvider {
    const provider = this.#providers.get(name);
    if (provider !== undefined) return provider;
    throw new ClusterStalledError(PROVIDER_NOT_FOUND, `provider "${name}" is not available in this manager; available: ${this.names().join(', ') || 'none'}`);
  }
}
