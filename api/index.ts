/**
 * `@beamline/api`: the `beamline.dev/v1alpha1` kinds — names, schemas and types, printer columns,
 * condition types and reasons, labels and annotations. Pure: no I/O, and no other Beamline
 * workspace; the generator and installer are `@beamline/install`.
 */
export * from './v1alpha1/index.ts';
