import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { API_VERSION, type Cluster, type Project } from '@beamline/api';
import { kubeconfigYamlForDir } from '@beamline/control-plane';
import { clientFor, KubeClient, type KubeObject } from '@beamline/kube';
import { KubeConfig } from '@kubernetes/client-node';
import { Manager } from '@beamline/reconcile';
import { killProcessesMentioning, waitFor, type TestEnv } from '@beamline/testenv';
import { clusterControllers } from '../../index.ts';
import { RESOURCES } from '../../resources.ts';
import { tenancyControllers } from '../index.ts';
import { TENANCY_RESOURCES as R } from '../kinds.ts';

/** The cluster controllers (kwok provider) and the Project and workload-access controllers in a manager of the test's process. */
export interface TenancyInProcess {
  readonly manager: Manager;
  /** `$BEAMLINE_HOME` of the kwok clusters. */
  readonly home: string;
  /** Creates a kwok Cluster and waits until it is Running. */
  startCluster(namespace: string, name: string, template: string, labels?: Record<string, string>): Promise<Cluster>;
  /** A client of a kwok workload cluster authenticating as `name` in `groups` (a client certificate of that cluster's CA). */
  workloadClientFor(namespace: string, name: string, identity: { name: string; groups?: string[] }): Promise<KubeClient>;
  /** Deletes the Clusters and Projects given (while the manager runs: their finalizers need it), stops the manager, removes the home. */
  stop(clusters: readonly { namespace: string; name: string }[], projects: readonly string[]): Promise<void>;
}

/**
 * Starts the manager every workload tenancy test needs: Clusters provisioned for real on kwok
 * control planes under a temporary home, and the tenancy controllers (not the platform admins',
 * which would rewrite the run's shared management cluster). Watches every namespace.
 */
export async function startTenancyInProcess(env: TestEnv): Promise<TenancyInProcess> {
  const home = await mkdtemp(join(tmpdir(), 'beamline-tenancy-'));
  const logger = pino({ level: process.env.BEAMLINE_LOG_LEVEL ?? 'warn' });
  const manager = new Manager({ kubeConfig: env.kubeConfig, logger });
  for (const controller of clusterControllers({ home, binaries: env.binaries, kubernetesVersion: '1.36.3' })) manager.add(controller);
  const tenancy = tenancyControllers();
  const [projects, access] = tenancy.controllers;
  if (projects === undefined || access === undefined) throw new Error('tenancyControllers lost a controller');
  manager.add(projects);
  manager.add(access);
  tenancy.attach(manager.cache);
  await manager.start();
  const admin = clientFor(env.kubeConfig);
  return {
    manager,
    home,
    startCluster: async (namespace, name, template, labels = {}) => {
      await admin.create(RESOURCES.cluster, { apiVersion: API_VERSION, kind: 'Cluster', metadata: { name, namespace, labels }, spec: { templateRef: { name: template } } } as KubeObject);
      return waitFor(async () => {
        const cluster = await admin.get<Cluster>(RESOURCES.cluster, name, namespace);
        return cluster?.status?.phase === 'Running' ? cluster : undefined;
      }, { what: `cluster ${namespace}/${name} Running`, timeoutMs: 150_000 });
    },
    workloadClientFor: async (namespace, name, identity) => {
      const config = new KubeConfig();
      config.loadFromString(await kubeconfigYamlForDir(join(home, 'clusters', namespace, name), identity));
      return new KubeClient(config);
    },
    stop: async (clusters, projectNames) => {
      try {
        for (const { namespace, name } of clusters) await admin.delete(RESOURCES.cluster, name, namespace).catch(() => undefined);
        for (const name of projectNames) await admin.delete(R.project, name).catch(() => undefined);
        await waitFor(
          async () => {
            const left = await Promise.all([
              ...clusters.map(({ namespace, name }) => admin.get<Cluster>(RESOURCES.cluster, name, namespace)),
              ...projectNames.map((name) => admin.get<Project>(R.project, name)),
            ]);
            return left.every((object) => object === undefined);
          },
          { what: 'clusters and projects deleted', timeoutMs: 120_000 },
        ).catch(() => undefined);
      } finally {
        await manager.stop();
        // Whatever a failed delete left running under this home.
        await killProcessesMentioning(home).catch(() => undefined);
        await rm(home, { recursive: true, force: true });
      }
    },
  };
}
