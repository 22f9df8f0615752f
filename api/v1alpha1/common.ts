/**
 * Building blocks shared by the `beamline.dev/v1alpha1` kinds: name patterns, the metadata and
 * Condition schemas, and the CEL rule shape that the CRD generator copies into
 * `x-kubernetes-validations`.
 */
import Type, { type Static } from 'typebox';

/** One CEL rule of a CRD schema (`x-kubernetes-validations` entry). */
export interface CelRule {
  /** The CEL expression; `self` is the value at the rule's place in the schema. */
  readonly rule: string;
  /** What the API server says when the rule fails. */
  readonly message?: string;
  /** A CEL expression that computes the message (takes precedence over `message`). */
  readonly messageExpression?: string;
  /** The field the error is reported on, relative to the rule's place (`.minReplicas`). */
  readonly fieldPath?: string;
  /** `FieldValueInvalid` (default), `FieldValueForbidden`, `FieldValueRequired` or `FieldValueDuplicate`. */
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** Builds a {@link CelRule}; `fieldPath` and `reason` only when given. */
export function cel(rule: string, message: string, options: { readonly fieldPath?: string; readonly reason?: CelRule['reason'] } = {}): CelRule {
  return { rule, message, ...(options.fieldPath === undefined ? {} : { fieldPath: options.fieldPath }), ...(options.reason === undefined ? {} : { reason: options.reason }) };
}

/** An RFC 1123 DNS label: lower-case alphanumerics and `-`, at most 63 characters. */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** An RFC 1123 DNS subdomain: DNS labels joined by `.`, at most 253 characters. */
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A flavor name: lower-case alphanumerics, `.` and `-` (`m1.small`); it is a node label value. */
export const FLAVOR_NAME_PATTERN = '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$';
/** A Kubernetes version without the `v`: `1.36.3`. */
export const KUBERNETES_VERSION_PATTERN = '^\\d+\\.\\d+\\.\\d+$';
/** A Kubernetes label value (may be empty). */
export const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
/** A Kubernetes label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export const LABEL_KEY_PATTERN = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
/** A resource quantity (`2`, `500m`, `4Gi`), as Kubernetes parses it. */
export const QUANTITY_PATTERN = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** A DNS label string schema. */
export function DnsLabel(description: string) {
  return Type.String({ description, minLength: 1, maxLength: 63, pattern: DNS_LABEL_PATTERN });
}

/** A DNS subdomain string schema (the names of most Kubernetes objects). */
export function DnsSubdomain(description: string) {
  return Type.String({ description, minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN });
}

/** A flavor reference: the name of one of `PlatformConfig/beamline`'s `spec.flavors`. */
export function FlavorName(description: string) {
  return Type.String({ description, minLength: 1, maxLength: 63, pattern: FLAVOR_NAME_PATTERN });
}

/** A Kubernetes version string schema (`1.36.3`). */
export function KubernetesVersion(description: string) {
  return Type.String({ description, maxLength: 32, pattern: KUBERNETES_VERSION_PATTERN });
}

/** A positive resource quantity string schema (`"2"`, `"4Gi"`). Quote it in YAML. */
export function Quantity(description: string) {
  return Type.String({
    description,
    maxLength: 32,
    pattern: QUANTITY_PATTERN,
    'x-kubernetes-validations': [cel("!isQuantity(self) || quantity(self).isGreaterThan(quantity('0'))", 'must be a positive quantity such as "2", "500m" or "4Gi"')],
  });
}

/** Labels: a map of label keys to label values. */
export function Labels(description: string) {
  return Type.Record(Type.String(), Type.String({ maxLength: 63, pattern: LABEL_VALUE_PATTERN }), {
    description,
    maxProperties: 64,
    'x-kubernetes-validations': [
      cel(`self.all(k, size(k) <= 316 && k.matches(r'${LABEL_KEY_PATTERN}'))`, 'label keys must be valid Kubernetes label keys ([prefix/]name, name at most 63 characters)'),
    ],
  });
}

/** An ownerReference, as JSON on the wire. */
export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

/**
 * Object metadata: the fields Beamline's code reads and writes. Timestamps and managedFields are
 * left out on purpose: client-node's typed models say `Date` where the wire (and `@beamline/kube`,
 * which works on plain JSON) says string, and leaving them out keeps these types assignable to
 * both. Read timestamps through `@beamline/kube`'s `KubeObject`.
 */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** `metadata`: the API server validates it; the schema says only that it is an object. */
export const ObjectMetaSchema = Type.Unsafe<ObjectMeta>({ type: 'object' });

/** The status of a condition. */
export const ConditionStatusSchema = Type.Enum(['True', 'False', 'Unknown'], { description: 'status of the condition, one of True, False, Unknown.' });
/** The status of a condition: `True`, `False` or `Unknown`. */
export type ConditionStatus = Static<typeof ConditionStatusSchema>;

/** The standard `metav1.Condition`. */
export const ConditionSchema = Type.Object(
  {
    type: Type.String({
      description: 'type of condition in CamelCase: Ready, Reconciling, Stalled, ControlPlaneReady, NodesReady.',
      maxLength: 316,
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: ConditionStatusSchema,
    observedGeneration: Type.Optional(Type.Integer({ description: 'the .metadata.generation the condition was set from.', format: 'int64', minimum: 0 })),
    lastTransitionTime: Type.String({ description: 'when the condition last changed from one status to another.', format: 'date-time' }),
    reason: Type.String({
      description: "a programmatic identifier, in CamelCase, for the condition's last transition.",
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: Type.String({ description: 'a human readable message about the transition; may be empty.', maxLength: 32768 }),
  },
  { description: 'Condition contains details for one aspect of the current state of this API resource.' },
);
/** The standard `metav1.Condition`: `type`, `status`, `reason`, `message`, `lastTransitionTime`, `observedGeneration`. */
export type Condition = Static<typeof ConditionSchema>;

/** The conditions list of a status: a list map keyed by `type`, so controllers can apply theirs. */
export const ConditionsSchema = Type.Array(ConditionSchema, {
  description: 'the latest observations of the object: Ready, Reconciling, Stalled (and, on Clusters, ControlPlaneReady, NodesReady).',
  maxItems: 32,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

/** `status.observedGeneration`. */
export const ObservedGenerationSchema = Type.Integer({
  description: 'the .metadata.generation the controller last acted on.',
  format: 'int64',
  minimum: 0,
});
