import { PLATFORM_CONFIG_NAME, PROJECT_LABEL, projectOfNamespaceName, type Application, type Cluster, type Identity, type NodeGroup, type PlatformConfig, type Project } from '@beamline/api';
import type { KubeObject } from '@beamline/kube';

/** The kinds the portal's views and events read. */
export type PortalKind = 'Cluster' | 'NodeGroup' | 'Application' | 'Project' | 'Namespace' | 'PlatformConfig';

/** Counts of one namespace (or the sum of several). */
export interface FleetCounts {
  clusters: { total: number; byPhase: Record<string, number> };
  nodes: { total: number; ready: number };
  gpus: number;
  applications: { total: number; bySync: Record<string, number>; byHealth: Record<string, number> };
}

/** The fleet view's counts of one namespace of the management cluster, and its Project. */
export interface NamespaceFleet extends FleetCounts {
  readonly namespace: string;
  /** The Project the namespace belongs to (its `beamline.dev/project` label), if any. */
  readonly project?: string;
}

/** `GET /api/fleet`: the totals over what the user may see, and each namespace's. */
export interface FleetView {
  readonly totals: FleetCounts;
  readonly namespaces: readonly NamespaceFleet[];
}

/** One Project's quota and usage, for `GET /api/projects/usage`. */
export interface ProjectUsageView {
  readonly name: string;
  readonly displayName: string;
  readonly namespace: string;
  readonly quota: NonNullable<Project['spec']>['quota'] | null;
  readonly usage: NonNullable<Project['status']>['usage'] | null;
}

interface ClusterSummary {
  readonly phase: string;
  readonly nodesTotal: number;
  readonly nodesReady: number;
}
interface NodeGroupSummary {
  readonly cluster: string;
  readonly flavor: string;
  readonly replicas: number;
}
interface ApplicationSummary {
  readonly sync: string;
  readonly health: string;
}

/** `<namespace>/<name>`. */
function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function emptyCounts(): FleetCounts {
  return { clusters: { total: 0, byPhase: {} }, nodes: { total: 0, ready: 0 }, gpus: 0, applications: { total: 0, bySync: {}, byHealth: {} } };
}

function addTo(record: Record<string, number>, key: string, count = 1): void {
  record[key] = (record[key] ?? 0) + count;
}

function addCounts(into: FleetCounts, from: FleetCounts): void {
  into.clusters.total += from.clusters.total;
  for (const [phase, count] of Object.entries(from.clusters.byPhase)) addTo(into.clusters.byPhase, phase, count);
  into.nodes.total += from.nodes.total;
  into.nodes.ready += from.nodes.ready;
  into.gpus += from.gpus;
  into.applications.total += from.applications.total;
  for (const [sync, count] of Object.entries(from.applications.bySync)) addTo(into.applications.bySync, sync, count);
  for (const [health, count] of Object.entries(from.applications.byHealth)) addTo(into.applications.byHealth, health, count);
}

/**
 * The portal's index of the fleet: a small summary of every Cluster, NodeGroup, Application,
 * Project and Namespace, kept from informer events (not copies of the objects), and the
 * per-namespace counts computed from it once per change rather than once per request: the fleet
 * view is read hundreds of times a second and changes far less often.
 */
export class FleetIndex {
  readonly #clusters = new Map<string, ClusterSummary>();
  readonly #nodeGroups = new Map<string, NodeGroupSummary>();
  readonly #applications = new Map<string, ApplicationSummary>();
  readonly #projects = new Map<string, ProjectUsageView>();
  readonly #namespaceProjects = new Map<string, string>();
  #flavorGpus = new Map<string, number>();
  #identity: Identity | undefined;
  #byNamespace: Map<string, NamespaceFleet> | undefined;
  #version = 0;

  /** Increases with every event applied: views computed at the same version are the same. */
  get version(): number {
    return this.#version;
  }

  /** Applies one informer event to the index. */
  apply(kind: PortalKind, event: 'add' | 'update' | 'delete', object: KubeObject): void {
    const name = object.metadata?.name;
    if (name === undefined) return;
    const key = keyOf(object.metadata?.namespace, name);
    const deleted = event === 'delete';
    switch (kind) {
      case 'Cluster': {
        const cluster = object as unknown as Cluster;
        if (deleted) this.#clusters.delete(key);
        else this.#clusters.set(key, { phase: cluster.status?.phase ?? 'Pending', nodesTotal: cluster.status?.nodes?.total ?? 0, nodesReady: cluster.status?.nodes?.ready ?? 0 });
        break;
      }
      case 'NodeGroup': {
        const group = object as unknown as NodeGroup;
        if (deleted || group.spec === undefined) this.#nodeGroups.delete(key);
        else this.#nodeGroups.set(key, { cluster: keyOf(object.metadata?.namespace, group.spec.clusterName), flavor: group.spec.flavor, replicas: group.status?.replicas ?? group.spec.replicas });
        break;
      }
      case 'Application': {
        const app = object as unknown as Application;
        if (deleted) this.#applications.delete(key);
        else this.#applications.set(key, { sync: app.status?.sync?.status ?? 'Unknown', health: app.status?.health?.status ?? 'Unknown' });
        break;
      }
      case 'Project': {
        const project = object as unknown as Project;
        if (deleted) this.#projects.delete(name);
        else
          this.#projects.set(name, {
            name,
            displayName: project.spec?.displayName ?? name,
            namespace: project.status?.namespace ?? `project-${name}`,
            quota: project.spec?.quota ?? null,
            usage: project.status?.usage ?? null,
          });
        break;
      }
      case 'Namespace': {
        const project = object.metadata?.labels?.[PROJECT_LABEL];
        if (deleted || project === undefined) this.#namespaceProjects.delete(name);
        else this.#namespaceProjects.set(name, project);
        break;
      }
      case 'PlatformConfig': {
        if (name !== PLATFORM_CONFIG_NAME) return;
        const spec = deleted ? undefined : (object as unknown as PlatformConfig).spec;
        this.#flavorGpus = new Map((spec?.flavors ?? []).map((flavor) => [flavor.name, flavor.gpus?.count ?? 0]));
        this.#identity = spec?.identity;
        break;
      }
    }
    this.#byNamespace = undefined;
    this.#version++;
  }

  /** PlatformConfig `spec.identity`: the OIDC issuer, if one is configured. */
  identity(): Identity | undefined {
    return this.#identity;
  }

  /** The namespaces holding Clusters or Applications. */
  namespaces(): string[] {
    return [...this.#fleetByNamespace().keys()];
  }

  /** The fleet view over the namespaces `visible` says yes to (clusters and applications may differ). */
  fleet(visible: { readonly clusters: (namespace: string) => boolean; readonly applications: (namespace: string) => boolean }): FleetView {
    const totals = emptyCounts();
    const namespaces: NamespaceFleet[] = [];
    for (const [namespace, counts] of this.#fleetByNamespace()) {
      const seeClusters = visible.clusters(namespace);
      const seeApps = visible.applications(namespace);
      if (!seeClusters && !seeApps) continue;
      const shown: NamespaceFleet = {
        namespace,
        ...(counts.project === undefined ? {} : { project: counts.project }),
        clusters: seeClusters ? counts.clusters : { total: 0, byPhase: {} },
        nodes: seeClusters ? counts.nodes : { total: 0, ready: 0 },
        gpus: seeClusters ? counts.gpus : 0,
        applications: seeApps ? counts.applications : { total: 0, bySync: {}, byHealth: {} },
      };
      addCounts(totals, shown);
      namespaces.push(shown);
    }
    return { totals, namespaces };
  }

  /** Every Project's quota and usage (the caller filters by what the user may see). */
  projects(): ProjectUsageView[] {
    return [...this.#projects.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  #fleetByNamespace(): Map<string, NamespaceFleet> {
    if (this.#byNamespace !== undefined) return this.#byNamespace;
    const byNamespace = new Map<string, NamespaceFleet>();
    const of = (namespace: string): NamespaceFleet => {
      let entry = byNamespace.get(namespace);
      if (entry === undefined) {
        const project = this.#namespaceProjects.get(namespace) ?? (this.#projects.has(projectOfNamespaceName(namespace) ?? '') ? projectOfNamespaceName(namespace) : undefined);
        entry = { namespace, ...(project === undefined ? {} : { project }), ...emptyCounts() };
        byNamespace.set(namespace, entry);
      }
      return entry;
    };
    const namespaceOf = (key: string): string => key.slice(0, key.indexOf('/'));
    for (const [key, cluster] of this.#clusters) {
      const entry = of(namespaceOf(key));
      entry.clusters.total++;
      addTo(entry.clusters.byPhase, cluster.phase);
      entry.nodes.total += cluster.nodesTotal;
      entry.nodes.ready += cluster.nodesReady;
    }
    for (const group of this.#nodeGroups.values()) {
      // GPUs of node groups whose Cluster is gone are not the fleet's any more.
      if (!this.#clusters.has(group.cluster)) continue;
      of(namespaceOf(group.cluster)).gpus += group.replicas * (this.#flavorGpus.get(group.flavor) ?? 0);
    }
    for (const [key, app] of this.#applications) {
      const entry = of(namespaceOf(key));
      entry.applications.total++;
      addTo(entry.applications.bySync, app.sync);
      addTo(entry.applications.byHealth, app.health);
    }
    this.#byNamespace = new Map([...byNamespace.entries()].sort(([a], [b]) => a.localeCompare(b)));
    return this.#byNamespace;
  }
}
