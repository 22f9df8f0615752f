import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { apiStatus, callApi, loadManagementKubeConfig, requireNamespace } from '../kube.ts';
import { parseNodeGroupFlag, type NodeGroupFlag } from '../node-group-flag.ts';
import { getTemplate } from '../templates.ts';
import { age, CliError, formatTable, parseOutputFormat } from '../output.ts';
import { listObjects, listTable } from '../list-objects.ts';
import { cell, printObjects } from '../print.ts';
import { API_VERSION, CLUSTER, CLUSTER_NAME_LABEL, NODE_GROUP, nodeGroupObjectName } from '@beamline/api/names';
import { KINDS, resourceClient, type BeamlineObject } from '../resources.ts';
import { parseDuration, waitUntil, waitUntilGone } from '../wait.ts';

interface GlobalOptions {
  readonly kubeconfig?: string;
  readonly namespace?: string;
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly observedGeneration?: number;
  readonly reason?: string;
  readonly message?: string;
}

const conditionOf = (object: BeamlineObject, type: string): Condition | undefined =>
  (object.status?.conditions as Condition[] | undefined)?.find((condition) => condition.type === type);

const CLUSTER_TABLE = {
  kind: CLUSTER.kind,
  headers: ['name', 'template', 'provider', 'phase', 'version', 'nodes', 'endpoint', 'age'],
  row: (c: BeamlineObject): string[] => {
    const nodes = c.status?.nodes as { total?: number; ready?: number } | undefined;
    return [
      cell(c.metadata?.name),
      cell((c.spec?.templateRef as { name?: string } | undefined)?.name),
      cell(c.spec?.provider ?? 'kwok'),
      cell(c.status?.phase ?? 'Pending'),
      cell(c.status?.kubernetesVersion),
      nodes === undefined ? '<none>' : `${nodes.ready ?? 0}/${nodes.total ?? 0}`,
      cell(c.status?.endpoint),
      age(c.metadata?.creationTimestamp),
    ];
  },
};

function context(command: Command): { config: KubeConfig; namespace: string } {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const config = loadManagementKubeConfig(globals.kubeconfig);
  return { config, namespace: globals.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default' };
}

/** The NodeGroup object for a `--node-group` flag of cluster `cluster`. */
export function nodeGroupObject(cluster: string, namespace: string, flag: NodeGroupFlag): BeamlineObject {
  if (flag.flavor === undefined) throw new CliError(`--node-group ${flag.name}: flavor is required for a node group the template does not have`, 2);
  const spec: Record<string, unknown> = { clusterName: cluster, flavor: flag.flavor, replicas: flag.replicas ?? 1 };
  if (flag.minReplicas !== undefined) spec.minReplicas = flag.minReplicas;
  if (flag.maxReplicas !== undefined) spec.maxReplicas = flag.maxReplicas;
  if (flag.zones.length > 0) spec.zones = flag.zones;
  if (Object.keys(flag.labels).length > 0) spec.labels = flag.labels;
  if (flag.taints.length > 0) spec.taints = flag.taints;
  if (flag.role !== undefined) spec.role = flag.role;
  return {
    apiVersion: API_VERSION,
    kind: NODE_GROUP.kind,
    metadata: { name: nodeGroupObjectName(cluster, flag.name), namespace, labels: { [CLUSTER_NAME_LABEL]: cluster } },
    spec,
  };
}

/** A NodeGroup spec as a Cluster's `spec.nodeGroups` entry holds it: the same fields, without `clusterName`. */
function withoutClusterName(spec: Record<string, unknown> | undefined): Record<string, unknown> {
  const { clusterName: _cluster, ...rest } = spec ?? {};
  return rest;
}

/** A template's node group overridden by a flag: the flag's fields win, the template fills the rest. */
function mergeWithTemplate(flag: NodeGroupFlag, fromTemplate: Record<string, unknown> | undefined): NodeGroupFlag {
  if (fromTemplate === undefined) return flag;
  return {
    ...flag,
    flavor: flag.flavor ?? (fromTemplate.flavor as string),
    replicas: flag.replicas ?? (fromTemplate.replicas as number),
    ...(flag.minReplicas === undefined && fromTemplate.minReplicas !== undefined ? { minReplicas: fromTemplate.minReplicas as number } : {}),
    ...(flag.maxReplicas === undefined && fromTemplate.maxReplicas !== undefined ? { maxReplicas: fromTemplate.maxReplicas as number } : {}),
    zones: flag.zones.length > 0 ? flag.zones : ((fromTemplate.zones as string[] | undefined) ?? []),
    labels: { ...((fromTemplate.labels as Record<string, string> | undefined) ?? {}), ...flag.labels },
    taints: flag.taints.length > 0 ? flag.taints : ((fromTemplate.taints as NodeGroupFlag['taints'] | undefined) ?? []),
    ...(flag.role === undefined && fromTemplate.role !== undefined ? { role: fromTemplate.role as string } : {}),
  };
}

/** Prints one line each time the cluster's state changes, until Ready (or the timeout). */
async function waitForReady(config: KubeConfig, namespace: string, name: string, timeoutMs: number): Promise<void> {
  const clusters = resourceClient(config, KINDS.cluster);
  let last = '';
  await waitUntil(
    async () => {
      const cluster = await clusters.get(name, namespace);
      const ready = conditionOf(cluster, 'Ready');
      const nodes = cluster.status?.nodes as { ready?: number; total?: number } | undefined;
      const line = `${cell(cluster.status?.phase ?? 'Pending')}: ${ready?.reason ?? 'Waiting'}${ready?.message ? ` - ${ready.message}` : ''}${nodes === undefined ? '' : ` (nodes ${nodes.ready ?? 0}/${nodes.total ?? 0})`}`;
      if (line !== last) process.stderr.write(`[wait] cluster/${name} ${line}\n`);
      last = line;
      const stalled = conditionOf(cluster, 'Stalled');
      if (stalled?.status === 'True') {
        throw new CliError(`cluster "${name}" failed (${stalled.reason ?? 'Stalled'}): ${stalled.message ?? ready?.message ?? ''} (waiting longer will not help: the spec or what it refers to must change)`);
      }
      return ready?.status === 'True';
    },
    timeoutMs,
    () => `timed out waiting for cluster "${name}" to become Ready; last state: ${last}`,
  );
}

async function waitForGone(config: KubeConfig, namespace: string, name: string, timeoutMs: number): Promise<void> {
  await waitUntilGone(resourceClient(config, KINDS.cluster), name, namespace, timeoutMs, () => `timed out waiting for cluster "${name}" to be deleted`);
}

/** `beamline cluster create|list|get|scale|delete|kubeconfig`. */
export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').alias('clusters').description('Kubernetes clusters created from templates');

  cluster
    .command('create <name>')
    .description('create a cluster from a template')
    .requiredOption('-t, --template <template>', 'the ClusterTemplate to create it from')
    .option(
      '--node-group <spec>',
      'override or add a node group: name=N,flavor=F,replicas=R[,min=M,max=X,zone=Z...,label=k=v...,taint=k=v:Effect...,role=R] (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--provider <provider>', 'kwok (simulated, local) or imported (an existing cluster)')
    .option('--kubeconfig-secret <secret>', 'for --provider imported: the Secret (key "value") holding the kubeconfig')
    .option('--wait', 'wait until the cluster is Ready, printing progress')
    .option('--timeout <duration>', 'how long --wait waits (e.g. 90s, 10m)', '10m')
    .action(async (name: string, options: { template: string; nodeGroup: string[]; provider?: string; kubeconfigSecret?: string; wait?: boolean; timeout: string }, command: Command) => {
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      const flags = options.nodeGroup.map(parseNodeGroupFlag);
      if (options.provider !== undefined && !['kwok', 'imported'].includes(options.provider)) {
        throw new CliError(`invalid value "${options.provider}" for --provider: use kwok or imported`, 2);
      }
      if (options.provider === 'imported' && options.kubeconfigSecret === undefined) {
        throw new CliError('--provider imported needs --kubeconfig-secret <secret>', 2);
      }
      const { config, namespace } = context(command);
      await requireNamespace(config, namespace);
      const template = await getTemplate(config, options.template);
      const templateGroups = (template.spec?.nodeGroups as Record<string, unknown>[] | undefined) ?? [];
      const merged = flags.map((flag) => mergeWithTemplate(flag, templateGroups.find((g) => g.name === flag.name)));
      const nodeGroups = merged.map((flag) => nodeGroupObject(name, namespace, flag));
      const spec: Record<string, unknown> = { templateRef: { name: options.template } };
      if (options.provider !== undefined) spec.provider = options.provider;
      if (options.kubeconfigSecret !== undefined) spec.imported = { kubeconfigSecretRef: { name: options.kubeconfigSecret } };
      // The overrides live in the Cluster's spec (the controller creates the NodeGroups from the
      // template and them): `cluster get -o yaml` shows them, and applying that YAML makes the same cluster.
      if (nodeGroups.length > 0) spec.nodeGroups = merged.map((flag, index) => ({ name: flag.name, ...withoutClusterName(nodeGroups[index]?.spec) }));
      const body: BeamlineObject = { apiVersion: API_VERSION, kind: CLUSTER.kind, metadata: { name, namespace }, spec };
      const clusters = resourceClient(config, KINDS.cluster);
      await callApi(config, `create cluster "${name}"`, async () => {
        try {
          await clusters.get(name, namespace);
        } catch (error) {
          if (apiStatus(error) === 404) return;
          throw error;
        }
        throw new CliError(`cluster "${name}" already exists in namespace "${namespace}"`);
      });
      const groups = resourceClient(config, KINDS.nodeGroup);
      // Dry runs first: the API server checks each group as the NodeGroup the controller will
      // create (flavors through the admission policy), so a bad --node-group is refused now, naming
      // the field, and nothing is stored.
      for (const group of nodeGroups) {
        await callApi(config, `create node group "${group.metadata?.name ?? ''}"`, () => groups.create(group, namespace, true), namespace);
      }
      await callApi(config, `create cluster "${name}"`, () => clusters.create(body, namespace, true), namespace);
      await callApi(config, `create cluster "${name}"`, () => clusters.create(body, namespace), namespace);
      process.stdout.write(`cluster/${name} created\n`);
      if (options.wait === true) {
        await waitForReady(config, namespace, name, timeoutMs);
        process.stdout.write(`cluster/${name} is Ready\n`);
      }
    });

  cluster
    .command('list')
    .alias('ls')
    .description('list clusters')
    .option('-A, --all-namespaces', 'list clusters of every namespace')
    .option('-o, --output <format>', 'table, json, yaml or name', 'table')
    .action(async (options: { output?: string; allNamespaces?: boolean }, command: Command) => {
      const format = parseOutputFormat(options.output);
      const { config, namespace } = context(command);
      const scope = { namespace, allNamespaces: options.allNamespaces === true };
      const items = await listObjects(config, KINDS.cluster, scope, 'list clusters');
      process.stdout.write(`${printObjects(items, format, listTable(CLUSTER_TABLE, scope))}\n`);
    });

  cluster
    .command('get <name>')
    .description('show a cluster: its state, conditions and node groups')
    .option('-o, --output <format>', 'table, json, yaml or name', 'table')
    .action(async (name: string, options: { output?: string }, command: Command) => {
      const format = parseOutputFormat(options.output);
      const { config, namespace } = context(command);
      const item = await callApi(config, `get cluster "${name}" in namespace "${namespace}"`, () => resourceClient(config, KINDS.cluster).get(name, namespace), namespace);
      if (format !== 'table') {
        process.stdout.write(`${printObjects([item], format, CLUSTER_TABLE, true)}\n`);
        return;
      }
      const groups = await callApi(config, 'list node groups', () => resourceClient(config, KINDS.nodeGroup).list(namespace, `${CLUSTER_NAME_LABEL}=${name}`));
      const conditions = (item.status?.conditions as Condition[] | undefined) ?? [];
      const sections = [
        printObjects([item], 'table', CLUSTER_TABLE),
        '',
        'Conditions:',
        conditions.length === 0 ? '  <none>' : formatTable(['type', 'status', 'reason', 'message'], conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? ''])).replace(/^/gm, '  '),
        '',
        'Node groups:',
        groups.length === 0
          ? '  <none>'
          : formatTable(
              ['name', 'flavor', 'replicas', 'ready', 'min', 'max', 'zones'],
              groups.map((g) => [
                cell(g.metadata?.name),
                cell(g.spec?.flavor),
                cell(g.spec?.replicas),
                cell(g.status?.readyReplicas ?? 0),
                cell(g.spec?.minReplicas ?? 0),
                cell(g.spec?.maxReplicas),
                ((g.spec?.zones as string[] | undefined) ?? []).join(',') || '<none>',
              ]),
            ).replace(/^/gm, '  '),
      ];
      process.stdout.write(`${sections.join('\n')}\n`);
    });

  cluster
    .command('scale <name>')
    .description('set the number of nodes of one of the cluster\'s node groups')
    .requiredOption('-g, --node-group <group>', 'the node group (its short name, e.g. default or gpu)')
    .requiredOption('-r, --replicas <count>', 'the number of nodes')
    .option('--wait', 'wait until the cluster is Ready again')
    .option('--timeout <duration>', 'how long --wait waits', '10m')
    .action(async (name: string, options: { nodeGroup: string; replicas: string; wait?: boolean; timeout: string }, command: Command) => {
      if (/^-\d+$/.test(options.replicas.trim())) throw new CliError(`invalid value "${options.replicas}" for --replicas: must be ≥ 0`, 2);
      if (!/^\d+$/.test(options.replicas)) throw new CliError(`invalid value "${options.replicas}" for --replicas: a whole number ≥ 0 is needed`, 2);
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      const { config, namespace } = context(command);
      const groupName = `${name}-${options.nodeGroup}`;
      await callApi(config, `get cluster "${name}" in namespace "${namespace}"`, () => resourceClient(config, KINDS.cluster).get(name, namespace), namespace);
      const groups = resourceClient(config, KINDS.nodeGroup);
      const existing = await callApi(config, 'list node groups', () => groups.list(namespace, `${CLUSTER_NAME_LABEL}=${name}`));
      const shortNames = existing.map((g) => String(g.metadata?.name ?? '').slice(name.length + 1)).filter((g) => g !== '');
      if (!existing.some((g) => g.metadata?.name === groupName)) {
        throw new CliError(`cluster "${name}" has no node group "${options.nodeGroup}": ${shortNames.length === 0 ? 'it has none yet' : `node groups: ${shortNames.sort().join(', ')}`}`);
      }
      const patched = await callApi(config, `scale node group "${options.nodeGroup}" of cluster "${name}"`, () =>
        groups.patch(groupName, { spec: { replicas: Number(options.replicas) } }, namespace),
      );
      process.stdout.write(`nodegroup/${groupName} scaled to ${options.replicas}\n`);
      if (options.wait === true) {
        // Ready is only news once the controller has seen this change (observedGeneration).
        const generation = Number(patched.metadata?.generation ?? 0);
        let last = '';
        await waitUntil(
          async () => {
            const group = await groups.get(groupName, namespace);
            const ready = conditionOf(group, 'Ready');
            const line = `${cell(group.status?.readyReplicas ?? 0)}/${options.replicas} nodes ready`;
            if (line !== last) process.stderr.write(`[wait] nodegroup/${groupName} ${line}\n`);
            last = line;
            return Number(group.status?.observedGeneration ?? 0) >= generation && ready?.status === 'True' && Number(ready.observedGeneration ?? 0) >= generation;
          },
          timeoutMs,
          () => `timed out waiting for node group "${options.nodeGroup}" of cluster "${name}": ${last}`,
        );
        process.stdout.write(`nodegroup/${groupName} is Ready with ${options.replicas} nodes\n`);
      }
    });

  cluster
    .command('delete <name>')
    .description('delete a cluster: its control plane, nodes and node groups')
    .option('--wait', 'wait until it is gone')
    .option('--timeout <duration>', 'how long --wait waits', '5m')
    .action(async (name: string, options: { wait?: boolean; timeout: string }, command: Command) => {
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      const { config, namespace } = context(command);
      await callApi(config, `delete cluster "${name}" in namespace "${namespace}"`, () => resourceClient(config, KINDS.cluster).delete(name, namespace), namespace);
      process.stdout.write(`cluster/${name} deleted\n`);
      if (options.wait === true) await waitForGone(config, namespace, name, timeoutMs);
    });

  cluster
    .command('kubeconfig <name>')
    .description(
      "print a kubeconfig for the cluster: the admin one for platform admins (who may read its Secret), else one that logs in as you through `beamline token` (run `beamline login` first)",
    )
    .option('--user', 'the kubeconfig that logs in as you, even if you may read the admin one')
    .action(async (name: string, options: { user?: boolean }, command: Command) => {
      const { config, namespace } = context(command);
      const item = await callApi(config, `get cluster "${name}" in namespace "${namespace}"`, () => resourceClient(config, KINDS.cluster).get(name, namespace), namespace);
      const ref = item.status?.kubeconfigSecretRef as { name?: string; key?: string } | undefined;
      if (options.user !== true) {
        if (ref?.name === undefined) throw new CliError(`cluster "${name}" has no kubeconfig yet (phase ${cell(item.status?.phase ?? 'Pending')}): try again when it is provisioned`);
        // Whoever may read the Secret is a platform admin (or was granted it): they keep the admin kubeconfig.
        const secret = await config
          .makeApiClient(CoreV1Api)
          .readNamespacedSecret({ name: ref.name, namespace })
          .catch((error: unknown) => {
            if (apiStatus(error) === 403) return undefined;
            return callApi(config, `read Secret "${ref.name ?? ''}"`, () => Promise.reject(error as Error));
          });
        if (secret !== undefined) {
          const data = secret.data?.[ref.key ?? 'value'];
          if (data === undefined) throw new CliError(`Secret "${ref.name}" has no key "${ref.key ?? 'value'}"`);
          process.stdout.write(Buffer.from(data, 'base64').toString('utf8'));
          return;
        }
      }
      // Everyone else: the endpoint and CA from the Cluster's status, the user's own login as credentials.
      const endpoint = item.status?.endpoint as string | undefined;
      if (endpoint === undefined || endpoint === '') throw new CliError(`cluster "${name}" has no endpoint yet (phase ${cell(item.status?.phase ?? 'Pending')}): try again when it is provisioned`);
      const certificateAuthority = item.status?.certificateAuthority as string | undefined;
      const { execConfig, execKubeconfig } = await import('../identity/exec-credential.ts');
      process.stdout.write(
        execKubeconfig({ name: `${namespace}-${name}`, server: endpoint, ...(certificateAuthority === undefined ? {} : { certificateAuthority }), exec: execConfig() }),
      );
    });
}
