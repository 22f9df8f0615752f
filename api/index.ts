/**
 * `@beamline/api`: the `beamline.dev/v1alpha1` schemas and types, the generator of the CRDs,
 * admission policies and defaults, and the installer that applies them to a cluster.
 */
export * from './v1alpha1/index.ts';
export * from './generate.ts';
export * from './install.ts';
