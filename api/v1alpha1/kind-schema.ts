import Type, { type TLiteral, type TObject, type TObjectOptions, type TOptional, type TSchema } from 'typebox';
import { ObjectMetaSchema } from './common.ts';
import { API_VERSION } from './groupversion.ts';

// A type literal, not an interface: TObject wants properties with an index signature.
/** The fields every object of a kind has: `apiVersion`, `kind`, `metadata`, `spec`. */
type KindProperties<Kind extends string, Spec extends TSchema> = {
  apiVersion: TLiteral<typeof API_VERSION>;
  kind: TLiteral<Kind>;
  metadata: typeof ObjectMetaSchema;
  spec: Spec;
};

/**
 * The schema of a whole object of one of this API's kinds: `apiVersion` and `kind` pinned,
 * metadata, the spec, and the status when the kind has one (optional: a new object has none).
 * `options` carries the kind's description and its rules on the whole object (names).
 */
export function kindSchema<Kind extends string, Spec extends TSchema>(names: { readonly kind: Kind }, spec: Spec, status: undefined, options: TObjectOptions): TObject<KindProperties<Kind, Spec>>;
export function kindSchema<Kind extends string, Spec extends TSchema, Status extends TSchema>(
  names: { readonly kind: Kind },
  spec: Spec,
  status: Status,
  options: TObjectOptions,
): TObject<KindProperties<Kind, Spec> & { status: TOptional<Status> }>;
export function kindSchema(names: { readonly kind: string }, spec: TSchema, status: TSchema | undefined, options: TObjectOptions): TObject {
  const properties = { apiVersion: Type.Literal(API_VERSION), kind: Type.Literal(names.kind), metadata: ObjectMetaSchema, spec };
  return status === undefined ? Type.Object(properties, options) : Type.Object({ ...properties, status: Type.Optional(status) }, options);
}
