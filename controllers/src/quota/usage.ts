/**
 * What a project uses of its quota, and what a change would exceed. Pure: the admission webhook
 * (deciding a Cluster or NodeGroup change) and the project controller (writing `status.usage`)
 * hand it the objects they read, so both count the same way.
 */
import {
  nodeGroupShortName,
  NODE_GROUPS_CREATED_ANNOTATION,
  type Cluster,
  type ClusterTemplate,
  type Flavor,
  type NodeGroup,
  type ProjectQuota,
  type ProjectUsage,
} from '@beamline/api';
import { desiredNodeGroups } from '../cluster/node-groups.ts';
import { formatMilli, formatUnits, parseMilli, parseUnits, QuantityError } from './quantity.ts';

/** The objects of one project namespace that usage is computed from. */
export interface ProjectUsageInput {
  /** The namespace's Clusters (also those being deleted: they hold their nodes until gone). */
  readonly clusters: readonly Cluster[];
  /** The namespace's NodeGroup objects. */
  readonly nodeGroups: readonly NodeGroup[];
  /** Every ClusterTemplate (only those the Clusters name are read). */
  readonly templates: readonly ClusterTemplate[];
  /** PlatformConfig's flavors; a group of an unknown flavor counts its nodes but no cpu, memory or GPUs. */
  readonly flavors: readonly Flavor[];
}

/** One node group as it counts: how many nodes of which flavor. */
interface CountedGroup {
  readonly flavor: string;
  readonly replicas: number;
}

/**
 * The usage of a project: its Clusters, and the nodes, GPUs, cpu and memory of their node groups.
 * A Cluster's groups are its NodeGroup objects, plus the groups its template (with
 * `spec.nodeGroups` replacing or adding) will create that have no object yet, so a Cluster counts
 * in full from the moment it is created and a NodeGroup created later for it is not counted
 * twice. Once the Cluster's groups were created (its NODE_GROUPS_CREATED_ANNOTATION), only the
 * objects count: a group deleted afterwards is not recreated. The control plane does not count:
 * the quota is over worker nodes (replicas of every NodeGroup), as the Project kind says.
 */
export function computeProjectUsage(input: ProjectUsageInput): ProjectUsage {
  const groups: CountedGroup[] = input.nodeGroups.map((group) => ({ flavor: group.spec.flavor, replicas: group.spec.replicas }));
  for (const cluster of input.clusters) groups.push(...pendingGroups(cluster, input));
  const flavors = new Map(input.flavors.map((flavor) => [flavor.name, flavor]));
  let nodes = 0;
  let gpus = 0;
  let cpu = 0n;
  let memory = 0n;
  for (const group of groups) {
    nodes += group.replicas;
    const flavor = flavors.get(group.flavor);
    if (flavor === undefined) continue;
    gpus += (flavor.gpus?.count ?? 0) * group.replicas;
    cpu += lenient(parseMilli, flavor.cpu) * BigInt(group.replicas);
    memory += lenient(parseUnits, flavor.memory) * BigInt(group.replicas);
  }
  return { clusters: input.clusters.length, nodes, gpus, cpu: formatMilli(cpu), memory: formatUnits(memory) };
}

/**
 * A flavor's size, or 0 when it is not a quantity the arithmetic reads: the CRD's pattern lets a
 * few strings through that the apiserver's quantity parser refuses (`1e1.5`); one bad flavor must
 * not make every review and every status write of every project fail.
 */
function lenient(parse: (text: string) => bigint, text: string): bigint {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof QuantityError) return 0n;
    throw error;
  }
}

/** The groups a Cluster will get that have no NodeGroup object yet. */
function pendingGroups(cluster: Cluster, input: ProjectUsageInput): CountedGroup[] {
  if (cluster.metadata?.annotations?.[NODE_GROUPS_CREATED_ANNOTATION] === 'true') return [];
  const name = cluster.metadata?.name ?? '';
  const template = input.templates.find((candidate) => candidate.metadata?.name === cluster.spec.templateRef.name);
  // Without its template (not created yet, or a typo the controller will report) the Cluster's own groups are all that is known.
  const desired = template === undefined ? (cluster.spec.nodeGroups ?? []) : desiredNodeGroups(cluster, template);
  const existing = new Set(
    input.nodeGroups
      .filter((group) => group.spec.clusterName === name)
      .map((group) => nodeGroupShortName(group.metadata?.name ?? '', name))
      .filter((short) => short !== undefined),
  );
  return desired.filter((group) => !existing.has(group.name)).map((group) => ({ flavor: group.flavor, replicas: group.replicas }));
}

/** The quotas a project has, as `spec.quota` names them. */
export type QuotaName = keyof ProjectQuota;

/** One quota a change would exceed: what it asks for and what is left, in the quota's units. */
export interface QuotaViolation {
  /** The quota: clusters, nodes, gpus, cpu or memory. */
  readonly quota: QuotaName;
  /** The limit (`spec.quota.<quota>`). */
  readonly limit: string;
  /** Used before the change. */
  readonly used: string;
  /** What the change adds. */
  readonly needs: string;
  /** What is left before the change (0 when the project is already over). */
  readonly left: string;
  /** `exceeds the nodes quota of project physics: needs 5 more, 2 left (8 of 10 used)`. */
  readonly message: string;
}

/** How each quota reads its usage field: as a count, milli-units or units. */
const QUOTA_UNITS: ReadonlyArray<readonly [QuotaName, (text: string) => bigint, (value: bigint) => string]> = [
  ['clusters', BigInt, String],
  ['nodes', BigInt, String],
  ['gpus', BigInt, String],
  ['cpu', parseMilli, formatMilli],
  ['memory', parseUnits, formatUnits],
];

/**
 * The quotas that the change from `before` to `after` exceeds. A quota is exceeded only by a
 * change that grows its usage beyond the limit: shrinking (scaling down) is always allowed, even
 * in a project already over a quota an owner lowered. `project` names the project in messages.
 */
export function checkQuota(quota: ProjectQuota | undefined, before: ProjectUsage, after: ProjectUsage, project?: string): QuotaViolation[] {
  if (quota === undefined) return [];
  const violations: QuotaViolation[] = [];
  for (const [name, parse, format] of QUOTA_UNITS) {
    const limitField = quota[name];
    if (limitField === undefined) continue;
    const used = parse(String(before[name]));
    const wanted = parse(String(after[name]));
    if (wanted <= used) continue;
    const of = project === undefined ? '' : ` of project ${project}`;
    let limit: bigint;
    try {
      limit = parse(String(limitField));
    } catch (error) {
      if (!(error instanceof QuantityError)) throw error;
      // A limit nobody can read grants nothing more (growth is refused, shrinking still allowed); the message says why.
      const needs = format(wanted - used);
      violations.push({ quota: name, limit: String(limitField), used: format(used), needs, left: '0', message: `exceeds the ${name} quota${of}: its limit ${JSON.stringify(String(limitField))} is not a quantity (needs ${needs} more)` });
      continue;
    }
    if (wanted <= limit) continue;
    const left = limit > used ? limit - used : 0n;
    const violation = { quota: name, limit: format(limit), used: format(used), needs: format(wanted - used), left: format(left) };
    violations.push({
      ...violation,
      message: `exceeds the ${name} quota${of}: needs ${violation.needs} more, ${violation.left} left (${violation.used} of ${violation.limit} used)`,
    });
  }
  return violations;
}
