/**
 * `beamline.dev/v1alpha1`: the TypeBox schemas (JSON Schema objects at runtime, from which the CRDs
 * are generated) and their static types.
 */
export * from './groupversion.ts';
export * from './common.ts';
export * from './kind-schema.ts';
export * from './platformconfig.ts';
export * from './nodegroup.ts';
export * from './clustertemplate.ts';
export * from './cluster.ts';
export * from './application.ts';
export * from './project.ts';
export * from './kinds.ts';
export * from './conditions.ts';
