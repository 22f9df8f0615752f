import type { V1CustomResourceDefinition, V1JSONSchemaProps } from '@kubernetes/client-node';

/** What {@link testCrd} needs: a test's own kind. */
export interface TestCrdOptions {
  readonly group: string;
  /** Its plural (a `uniqueName` suffix keeps runs apart); the singular is it without the last letter. */
  readonly plural: string;
  readonly kind: string;
  /** The `v1` schema; by default an object that keeps any field. */
  readonly schema?: V1JSONSchemaProps;
  /** Serve `status` as a subresource (status writes go to `/status` only). */
  readonly statusSubresource?: boolean;
}

/**
 * A namespaced CustomResourceDefinition named `<plural>.<group>` with one served and stored version
 * `v1`, for a test that needs a kind of its own. The test creates it and deletes it afterwards.
 */
export function testCrd(options: TestCrdOptions): V1CustomResourceDefinition {
  const { group, plural, kind } = options;
  return {
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: plural.slice(0, -1), kind, listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          ...(options.statusSubresource === true ? { subresources: { status: {} } } : {}),
          schema: { openAPIV3Schema: options.schema ?? { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
        },
      ],
    },
  };
}
