// Kubeconfigs given by tenants (an imported Cluster's Secret, an Application's destination) are
// read by workloadKubeConfig(): a Secret whose user is an `exec` credential plugin must never run
// its command as the manager. The Cluster and Application controllers run in this process against
// the run's shared apiserver, which is also the "existing cluster" the good kubeconfig points at.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { API_VERSION, type Application, type Cluster } from '@beamline/api';
import { defaultTemplates, installApi } from '@beamline/install';
import { clientFor, type KubeClient } from '@beamline/kube';
import { Manager } from '@beamline/reconcile';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { RESOURCES } from '../resources.ts';
import { ApplicationController } from '../application/controller.ts';
import { diffApplication } from '../application/diff-application.ts';
import { clusterReconciler } from './reconciler.ts';

const env = useTestEnv('imported-kc');

describe('kubeconfigs from Secrets never run a command as the manager', () => {
  let home: string;
  let manager: Manager | undefined;
  let gitops: ApplicationController | undefined;
  const template = uniqueName('tpl');
  const client = (): KubeClient => clientFor(env.kubeConfig);
  /** The admin kubeconfig of the shared plane (inline certificates): an existing cluster that works. */
  let good: string;
  /** The same cluster, but its user runs `touch <marker>` through an exec credential plugin. */
  const execKubeconfig = (marker: string): string => {
    const document = parse(good) as { users: { name: string; user: Record<string, unknown> }[] };
    const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', `touch ${marker}`], interactiveMode: 'Never' };
    return stringify({ ...document, users: document.users.map((entry) => ({ name: entry.name, user: { exec } })) });
  };
  const putSecret = async (name: string, text: string): Promise<void> => {
    const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: env.namespace }, stringData: { value: text } };
    if ((await client().get(RESOURCES.secret, name, env.namespace)) === undefined) await client().create(RESOURCES.secret, body);
    else await client().replace(RESOURCES.secret, body);
  };
  const createImported = (name: string, secret: string): Promise<unknown> =>
    client().create(RESOURCES.cluster, {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name, namespace: env.namespace },
      spec: { templateRef: { name: template }, provider: 'imported', imported: { kubeconfigSecretRef: { name: secret, key: 'value' } } },
    });
  const getCluster = async (name: string): Promise<Cluster | undefined> => client().get<Cluster>(RESOURCES.cluster, name, env.namespace);
  const condition = (object: Cluster | Application | undefined, type: string): { status: string; reason: string; message: string } | undefined =>
    object?.status?.conditions?.find((entry) => entry.type === type);

  before(async () => {
    good = await readFile(env.kubeconfigPath, 'utf8');
    const [small] = defaultTemplates();
    assert.ok(small !== undefined);
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace, templates: [{ ...small, metadata: { ...small.metadata, name: template } }] });
    home = await mkdtemp(join(tmpdir(), 'beamline-imported-kc-'));
    const logger = pino({ level: process.env.BEAMLINE_LOG_LEVEL ?? 'warn' });
    manager = new Manager({ kubeConfig: env.kubeConfig, logger, namespace: env.namespace });
    manager.add({
      reconciler: clusterReconciler({ home, binaries: env.binaries, kubernetesVersion: '1.36.3' }),
      for: RESOURCES.cluster,
      // The reconciler reads templates and node groups from the cache.
      watches: [
        { ...RESOURCES.clusterTemplate, map: () => [] },
        { ...RESOURCES.nodeGroup, map: () => [] },
        // ...and PlatformConfig (the identity its clusters trust).
        { ...RESOURCES.platformConfig, map: () => [] },
      ],
    });
    gitops = new ApplicationController({ kubeConfig: env.kubeConfig, workDir: join(home, 'gitops'), binaries: env.binaries, kubernetesVersion: '1.36.3', logger });
    manager.add(gitops.controller);
    gitops.attach(manager);
    await manager.start();
  });

  after(async () => {
    // Applications and Clusters go while the manager runs (their finalizers need it).
    for (const resource of [RESOURCES.application, RESOURCES.cluster]) {
      const items = (await client().list(resource, { namespace: env.namespace })).items;
      await Promise.all(items.map((item) => client().delete(resource, item.metadata?.name ?? '', env.namespace)));
      await waitFor(async () => (await client().list(resource, { namespace: env.namespace })).items.length === 0, { timeoutMs: 30_000, what: `${resource.plural} deleted` }).catch(() => undefined);
    }
    await manager?.stop();
    await gitops?.stop();
    await client().delete(RESOURCES.clusterTemplate, template).catch(() => undefined);
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('an imported Cluster whose kubeconfig user is exec is refused with a condition naming users[0].user.exec', async () => {
    const marker = join(home, 'imported-exec-ran');
    await putSecret('exec-kubeconfig', execKubeconfig(marker));
    await createImported('exec', 'exec-kubeconfig');
    const refused = await waitFor(async () => {
      const cluster = await getCluster('exec');
      return condition(cluster, 'Ready')?.reason === 'InvalidKubeconfig' ? cluster : undefined;
    }, { what: 'Cluster refused with InvalidKubeconfig', timeoutMs: 30_000 });
    const ready = condition(refused, 'Ready');
    assert.equal(ready?.status, 'False');
    assert.match(ready?.message ?? '', /^users\[0\]\.user\.exec: refused: /);
    assert.ok(!(ready?.message ?? '').includes('touch'), 'the command is not echoed');
    assert.equal(condition(refused, 'Stalled')?.status, 'True');
    assert.equal(existsSync(marker), false, 'the exec command never ran');
  });

  test('an Application whose destination kubeconfig turned into an exec user is DestinationNotReady naming the field; app diff refuses it too', async () => {
    const marker = join(home, 'destination-exec-ran');
    // A tenant imports a cluster with a kubeconfig that works, so the Cluster is Ready ...
    await putSecret('dest-kubeconfig', good);
    await createImported('dest', 'dest-kubeconfig');
    await waitFor(async () => condition(await getCluster('dest'), 'Ready')?.status === 'True', { what: 'imported Cluster Ready', timeoutMs: 30_000 });
    // ... then swaps the Secret for one whose user runs a command.
    await putSecret('dest-kubeconfig', execKubeconfig(marker));
    const name = uniqueName('app');
    await client().create(RESOURCES.application, {
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: env.namespace },
      spec: { source: { repoURL: 'https://git.example.org/physics/deploy.git', path: 'guestbook' }, destination: { cluster: 'dest', namespace: 'guestbook' } },
    });
    const app = await waitFor(async () => {
      const found = await client().get<Application>(RESOURCES.application, name, env.namespace);
      const ready = condition(found, 'Ready');
      return ready?.reason === 'DestinationNotReady' && ready.message.includes('users[0].user.exec: refused: ') ? found : undefined;
    }, { what: 'Application DestinationNotReady naming users[0].user.exec', timeoutMs: 30_000 });
    assert.equal(condition(app, 'Ready')?.status, 'False');
    await assert.rejects(
      diffApplication(app, { client: client(), binaries: env.binaries, workDir: join(home, 'diff') }),
      (error: Error) => error.message.includes('users[0].user.exec: refused: ') && !error.message.includes('touch'),
    );
    assert.equal(existsSync(marker), false, 'the exec command never ran');
  });
});
