// The admission webhooks against the run's shared apiserver: the real apiserver calls the HTTPS
// server with the CA registered in the configurations. The webhooks select only namespaces (and
// Projects) with this file's own label, and the configurations have names of their own, so no
// other test file running at the same time is ever intercepted.
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { API_VERSION, CHANGED_BY_ANNOTATION, PROJECT_LABEL, type ClusterTemplate, type NodeGroup, type Project } from '@beamline/api';
import { defaultTemplates, installApi } from '@beamline/install';
import { clientFor, KubeClient, resourcePath, type KubeObject } from '@beamline/kube';
import { apiOutcome, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { RESOURCES } from '../resources.ts';
import { PROJECT_RESOURCE } from './quota-review.ts';
import { MUTATING_WEBHOOK_CONFIGURATIONS, VALIDATING_WEBHOOK_CONFIGURATIONS } from './registration.ts';
import { ADMISSION_BODY_LIMIT, startAdmission, type Admission } from './server.ts';

const env = useTestEnv('admission');

const NAMESPACE_RESOURCE = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false } as const;

/** POSTs raw bytes to the admission server over TLS with its CA. */
function post(url: string, caPem: string, body: string | Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method: 'POST', ca: caPem, headers: { 'content-type': 'application/json' }, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(body);
  });
}

describe('admission webhooks: quota, templates, changed-by', () => {
  const id = uniqueName('adm');
  const testLabel = 'beamline.dev/admission-test';
  const names = { quota: `${id}-quota`, changedBy: `${id}-changed-by` };
  const projectName = uniqueName('quota');
  const allowedTemplate = `${id}-two`;
  const otherTemplate = `${id}-gpu`;
  const orphanNamespace = `${id}-orphan`;
  const username = `scientist-${id}`;
  let admission: Admission | undefined;
  let user: KubeClient;
  const admin = (): KubeClient => clientFor(env.kubeConfig);

  const start = (): Promise<Admission> =>
    startAdmission({ kubeConfig: env.kubeConfig, namespace: env.namespace, port: 0, namespaceSelector: { matchLabels: { [testLabel]: id } }, projectSelector: { matchLabels: { [testLabel]: id } }, names, keepRegisteredMs: 200 });

  // Imported, so that a manager of another test file that watches every namespace does not start a control plane for it.
  const cluster = (name: string, template: string, namespace = env.namespace): KubeObject =>
    ({
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name, namespace },
      spec: { templateRef: { name: template }, provider: 'imported', imported: { kubeconfigSecretRef: { name: `${name}-none` } } },
    }) as KubeObject;
  const nodeGroup = (clusterName: string, group: string, replicas: number): NodeGroup => ({
    apiVersion: API_VERSION,
    kind: 'NodeGroup',
    metadata: { name: `${clusterName}-${group}`, namespace: env.namespace },
    spec: { clusterName, flavor: 'm1.small', replicas },
  });
  /** A create the apiserver runs through admission but does not store. */
  const dryRunCreate = (client: KubeClient, resource: typeof RESOURCES.cluster, object: KubeObject): Promise<unknown> =>
    client.request('POST', resourcePath(resource, { namespace: object.metadata?.namespace }), { query: { dryRun: 'All' }, body: object });

  before(async () => {
    const [small] = defaultTemplates();
    assert.ok(small !== undefined);
    const variant = (name: string, replicas: number): ClusterTemplate => ({
      ...small,
      metadata: { ...small.metadata, name },
      spec: { ...small.spec, nodeGroups: [{ name: 'default', flavor: 'm1.small', replicas }] },
    });
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace, templates: [variant(allowedTemplate, 2), variant(otherTemplate, 1)] });
    const project: Project = {
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: projectName },
      spec: { displayName: 'Quota test', members: [], templates: [allowedTemplate], quota: { nodes: 3, clusters: 1 } },
    };
    await admin().create(PROJECT_RESOURCE, project);
    await admin().patch(NAMESPACE_RESOURCE, env.namespace, undefined, { metadata: { labels: { [PROJECT_LABEL]: projectName, [testLabel]: id } } }, 'merge');
    // A namespace that says it belongs to a project that does not exist.
    await admin().create(NAMESPACE_RESOURCE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: orphanNamespace, labels: { [PROJECT_LABEL]: `${projectName}-gone`, [testLabel]: id } } });
    user = new KubeClient(await env.kubeConfigFor({ name: username, groups: ['system:masters'] }));
    admission = await start();
    // The apiserver picks configurations up through a watch: wait until it sends requests here.
    await waitFor(async () => (await apiOutcome(dryRunCreate(admin(), RESOURCES.cluster, cluster('probe', otherTemplate)))).message.includes('is not allowed in project'), {
      what: 'the quota webhook in effect',
      timeoutMs: 30_000,
    });
  });

  after(async () => {
    await admission?.close();
    // Whatever happened: no configuration of this file is left to intercept anything.
    await admin().delete(VALIDATING_WEBHOOK_CONFIGURATIONS, names.quota).catch(() => undefined);
    await admin().delete(MUTATING_WEBHOOK_CONFIGURATIONS, names.changedBy).catch(() => undefined);
    await admin().delete(NAMESPACE_RESOURCE, orphanNamespace).catch(() => undefined);
    await admin().delete(PROJECT_RESOURCE, projectName).catch(() => undefined);
    // A Project controller of another test file may have put its finalizer on it and stopped since.
    await admin().patch(PROJECT_RESOURCE, projectName, undefined, { metadata: { finalizers: null } }, 'merge').catch(() => undefined);
    for (const template of [allowedTemplate, otherTemplate]) {
      await admin().patch(RESOURCES.clusterTemplate, template, undefined, { metadata: { finalizers: null } }, 'merge').catch(() => undefined);
      await admin().delete(RESOURCES.clusterTemplate, template).catch(() => undefined);
    }
  });

  test('a Cluster within the quota is admitted and stamped with the user who created it', async () => {
    const created = await user.create(RESOURCES.cluster, cluster('first', allowedTemplate));
    assert.equal(created.metadata?.annotations?.[CHANGED_BY_ANNOTATION], username);
  });

  test('a second Cluster is refused, naming the clusters quota and what is left', async () => {
    const { code, message } = await apiOutcome(user.create(RESOURCES.cluster, cluster('second', allowedTemplate)));
    assert.equal(code, 403);
    assert.match(message, new RegExp(`Cluster second exceeds the clusters quota of project ${projectName}: needs 1 more, 0 left \\(1 of 1 used\\)`));
  });

  test('a NodeGroup for a template group is not counted twice; scaling it beyond the nodes quota is refused, scaling down admitted', async () => {
    // The Cluster's template asked for 2 nodes; its NodeGroup for that group replaces them.
    const group = await user.create(RESOURCES.nodeGroup, nodeGroup('first', 'default', 2));
    assert.equal(group.metadata?.annotations?.[CHANGED_BY_ANNOTATION], username);
    const name = 'first-default';
    const tooMany = await apiOutcome(user.patch(RESOURCES.nodeGroup, name, env.namespace, { spec: { replicas: 5 } }, 'merge'));
    assert.equal(tooMany.code, 403);
    assert.match(tooMany.message, new RegExp(`NodeGroup first-default exceeds the nodes quota of project ${projectName}: needs 3 more, 1 left \\(2 of 3 used\\)`));
    // `kubectl scale` goes through the scale subresource.
    const scaled = await apiOutcome(user.patch(RESOURCES.nodeGroup, name, env.namespace, { spec: { replicas: 5 } }, 'merge', { subresource: 'scale' }));
    assert.equal(scaled.code, 403);
    assert.match(scaled.message, /exceeds the nodes quota/);
    const another = await apiOutcome(user.create(RESOURCES.nodeGroup, nodeGroup('first', 'extra', 2)));
    assert.equal(another.code, 403);
    assert.match(another.message, /NodeGroup first-extra exceeds the nodes quota .*: needs 2 more, 1 left \(2 of 3 used\)/);
    const down = await user.patch<NodeGroup>(RESOURCES.nodeGroup, name, env.namespace, { spec: { replicas: 1 } }, 'merge');
    assert.equal(down.spec.replicas, 1);
    // Within the quota again: up to 3 is admitted, through the scale subresource too.
    await user.patch(RESOURCES.nodeGroup, name, env.namespace, { spec: { replicas: 3 } }, 'merge', { subresource: 'scale' });
    assert.equal((await admin().get<NodeGroup>(RESOURCES.nodeGroup, name, env.namespace))?.spec.replicas, 3);
    await user.patch(RESOURCES.nodeGroup, name, env.namespace, { spec: { replicas: 1 } }, 'merge');
    // Bookkeeping by another identity (a controller adding its finalizer) does not replace the author.
    const kept = await admin().patch<NodeGroup>(RESOURCES.nodeGroup, name, env.namespace, { metadata: { finalizers: ['beamline.dev/admission-test'] } }, 'merge');
    assert.equal(kept.metadata?.annotations?.[CHANGED_BY_ANNOTATION], username);
    await admin().patch(RESOURCES.nodeGroup, name, env.namespace, { metadata: { finalizers: null } }, 'merge');
    // A change of what was asked for by another identity does.
    const relabelled = await admin().patch<NodeGroup>(RESOURCES.nodeGroup, name, env.namespace, { metadata: { labels: { touched: 'yes' } } }, 'merge');
    assert.notEqual(relabelled.metadata?.annotations?.[CHANGED_BY_ANNOTATION], username);
    assert.ok((relabelled.metadata?.annotations?.[CHANGED_BY_ANNOTATION] ?? '') !== '');
  });

  test('a template the project may not use is refused, naming the allowed ones', async () => {
    await admin().delete(RESOURCES.cluster, 'first', env.namespace);
    await waitFor(async () => (await admin().get(RESOURCES.cluster, 'first', env.namespace)) === undefined, { what: 'cluster first deleted' });
    const { code, message } = await apiOutcome(user.create(RESOURCES.cluster, cluster('gpu', otherTemplate)));
    assert.equal(code, 403);
    assert.match(message, new RegExp(`template ${otherTemplate} is not allowed in project ${projectName} \\(allowed: ${allowedTemplate}\\)`));
  });

  test('a namespace whose Project does not exist admits no Cluster', async () => {
    const { code, message } = await apiOutcome(user.create(RESOURCES.cluster, cluster('lost', allowedTemplate, orphanNamespace)));
    assert.equal(code, 403);
    assert.match(message, new RegExp(`namespace ${orphanNamespace} belongs to project ${projectName}-gone, which does not exist`));
  });

  test('a restarted server keeps its CA (the caBundle does not change) and still decides', async () => {
    const caBundle = async (): Promise<string | undefined> =>
      (await admin().get<KubeObject & { webhooks?: { clientConfig?: { caBundle?: string; url?: string } }[] }>(VALIDATING_WEBHOOK_CONFIGURATIONS, names.quota))?.webhooks?.[0]?.clientConfig?.caBundle;
    const before = await caBundle();
    assert.ok(before !== undefined);
    const first = admission;
    await first?.close();
    // A clean stop removes the registration that names it: the apiserver is not left calling a closed port.
    assert.equal(await admin().get(VALIDATING_WEBHOOK_CONFIGURATIONS, names.quota), undefined);
    assert.equal(await admin().get(MUTATING_WEBHOOK_CONFIGURATIONS, names.changedBy), undefined);
    admission = await start();
    assert.equal(admission.caPem, first?.caPem);
    assert.equal(await caBundle(), before);
    // The new server (on another port) decides once the apiserver has its new URL.
    await waitFor(async () => (await apiOutcome(dryRunCreate(user, RESOURCES.nodeGroup, nodeGroup('first', 'big', 5)))).message.includes('exceeds the nodes quota'), {
      what: 'the restarted webhook in effect',
      timeoutMs: 30_000,
    });
    assert.equal((await apiOutcome(dryRunCreate(user, RESOURCES.nodeGroup, nodeGroup('first', 'small', 1)))).code, 200);
  });

  test('a registration naming a server that does not answer (a crashed manager) is taken over', async () => {
    assert.ok(admission !== undefined);
    const registered = async (): Promise<string | undefined> =>
      (await admin().get<KubeObject & { webhooks?: { clientConfig?: { url?: string } }[] }>(VALIDATING_WEBHOOK_CONFIGURATIONS, names.quota))?.webhooks?.[0]?.clientConfig?.url;
    const dead = 'https://127.0.0.1:1/validate/quota';
    await admin().patch(
      VALIDATING_WEBHOOK_CONFIGURATIONS,
      names.quota,
      undefined,
      [{ op: 'replace', path: '/webhooks/0/clientConfig/url', value: dead }],
      'json',
    );
    const own = `${admission.url}/validate/quota`;
    await waitFor(async () => (await registered()) === own, { what: 'the registration taken back', timeoutMs: 30_000 });
  });

  test('bodies that are not AdmissionReviews get 400 with a message; over 1 MiB gets 413', async () => {
    assert.ok(admission !== undefined);
    const url = `${admission.url}/validate/quota`;
    const notJson = await post(url, admission.caPem, '{"apiVersion": ');
    assert.equal(notJson.status, 400);
    assert.ok((JSON.parse(notJson.body) as { message?: string }).message !== undefined);
    const notReview = await post(url, admission.caPem, JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }));
    assert.equal(notReview.status, 400);
    assert.match((JSON.parse(notReview.body) as { message: string }).message, /not an AdmissionReview/);
    const noUid = await post(`${admission.url}/mutate/changed-by`, admission.caPem, JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }));
    assert.equal(noUid.status, 400);
    assert.match((JSON.parse(noUid.body) as { message: string }).message, /request\.uid/);
    const huge = await post(url, admission.caPem, Buffer.alloc(ADMISSION_BODY_LIMIT + 1, 0x20));
    assert.equal(huge.status, 413);
  });
});
