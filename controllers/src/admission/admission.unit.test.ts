// The admission webhooks' pure parts: reading a hostile AdmissionReview, the changed-by patch, the
// quota decision over a fake reader, the TLS renewal rules and the configurations' shape.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { CHANGED_BY_ANNOTATION, NODE_GROUPS_CREATED_ANNOTATION, PROJECT_LABEL, type Cluster, type ClusterTemplate, type NodeGroup, type Project } from '@beamline/api';
import { createCertificateAuthority } from '@beamline/control-plane';
import { InputError } from '@beamline/errors';
import type { KubeClient, ResourceType } from '@beamline/kube';
import type { CacheReader } from '@beamline/reconcile';
import { changedByPatch, changedByResponse, escapeJsonPointer } from './changed-by.ts';
import { admissionReader, quotaChange, reviewQuota, type AdmissionReader } from './quota-review.ts';
import { webhookConfigurations } from './registration.ts';
import { parseAdmissionReview, type AdmissionRequest } from './review.ts';
import { certificateAuthorityUsable, RENEW_BEFORE_MS, servingCertificateNeedsRenewal } from './tls.ts';

const review = (request: Record<string, unknown>): unknown => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
const baseRequest = {
  uid: 'u-1',
  kind: { group: 'beamline.dev', version: 'v1alpha1', kind: 'NodeGroup' },
  resource: { group: 'beamline.dev', version: 'v1alpha1', resource: 'nodegroups' },
  namespace: 'project-physics',
  operation: 'CREATE',
  userInfo: { username: 'oidc:alice@lab.org', groups: ['oidc:physics'] },
};

describe('parseAdmissionReview', () => {
  test('reads the fields the webhooks use', () => {
    const request = parseAdmissionReview(review({ ...baseRequest, name: 'a-b', object: { spec: {} }, dryRun: true, extra: 'ignored' }));
    assert.equal(request.uid, 'u-1');
    assert.equal(request.operation, 'CREATE');
    assert.equal(request.resource.resource, 'nodegroups');
    assert.equal(request.kind.group, 'beamline.dev');
    assert.deepEqual(request.userInfo, { username: 'oidc:alice@lab.org', groups: ['oidc:physics'] });
    assert.equal(request.dryRun, true);
    assert.equal(request.name, 'a-b');
  });

  test('refuses what is not a review, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [null, /JSON object/],
      [[], /JSON object/],
      ['text', /JSON object/],
      [{ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: baseRequest }, /apiVersion/],
      [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request is missing/],
      [review({ ...baseRequest, uid: 7 }), /request\.uid/],
      [review({ ...baseRequest, uid: '' }), /request\.uid/],
      [review({ ...baseRequest, uid: 'x'.repeat(200) }), /request\.uid/],
      [review({ ...baseRequest, operation: 'PATCH' }), /request\.operation/],
      [review({ ...baseRequest, userInfo: { username: 5 } }), /request\.userInfo\.username/],
      [review({ ...baseRequest, userInfo: { groups: [1] } }), /groups/],
      [review({ ...baseRequest, object: 'x' }), /request\.object/],
      [review({ ...baseRequest, kind: 'NodeGroup' }), /request\.kind/],
      [review({ ...baseRequest, resource: { group: 'beamline.dev' } }), /request\.resource\.version/],
    ];
    for (const [body, message] of cases) assert.throws(() => parseAdmissionReview(body), (error: Error) => error instanceof InputError && message.test(error.message), JSON.stringify(body));
  });
});

describe('changed-by', () => {
  const request = (object: Record<string, unknown> | undefined, username: string | null = 'oidc:alice/x~y'): AdmissionRequest =>
    ({ ...baseRequest, userInfo: username === null ? {} : { username }, ...(object === undefined ? {} : { object }) }) as AdmissionRequest;

  test('escapes JSON-pointer tokens (~ first)', () => {
    assert.equal(escapeJsonPointer('beamline.dev/changed-by'), 'beamline.dev~1changed-by');
    assert.equal(escapeJsonPointer('a~/b'), 'a~0~1b');
  });

  test('the patch adds the annotations map, the key, or nothing', () => {
    assert.deepEqual(changedByPatch(request({ metadata: { name: 'x' } })), [{ op: 'add', path: '/metadata/annotations', value: { [CHANGED_BY_ANNOTATION]: 'oidc:alice/x~y' } }]);
    assert.deepEqual(changedByPatch(request({ metadata: { annotations: { other: 'v' } } })), [
      { op: 'add', path: '/metadata/annotations/beamline.dev~1changed-by', value: 'oidc:alice/x~y' },
    ]);
    assert.deepEqual(changedByPatch(request({ metadata: { annotations: { [CHANGED_BY_ANNOTATION]: 'someone-else' } } })), [
      { op: 'add', path: '/metadata/annotations/beamline.dev~1changed-by', value: 'oidc:alice/x~y' },
    ]);
    assert.deepEqual(changedByPatch(request({ metadata: { annotations: { [CHANGED_BY_ANNOTATION]: 'oidc:alice/x~y' } } })), []);
    assert.deepEqual(changedByPatch(request({})), [{ op: 'add', path: '/metadata', value: { annotations: { [CHANGED_BY_ANNOTATION]: 'oidc:alice/x~y' } } }]);
    assert.deepEqual(changedByPatch(request({ metadata: {} }, null)), []);
  });

  test('updates are stamped when they change what was asked for, not for a finalizer a controller adds', () => {
    const stored = { metadata: { name: 'x', annotations: { [CHANGED_BY_ANNOTATION]: 'oidc:bob', note: 'a' }, labels: { l: '1' } }, spec: { replicas: 1 } };
    const update = (object: Record<string, unknown>): AdmissionRequest => ({ ...request(object), operation: 'UPDATE', oldObject: stored });
    const patched = (object: Record<string, unknown>): boolean => changedByResponse(update(object)).patch !== undefined;
    assert.equal(patched({ ...stored, metadata: { ...stored.metadata, finalizers: ['beamline.dev/x'] } }), false, 'finalizer only');
    assert.equal(patched({ ...stored, metadata: { ...stored.metadata, resourceVersion: '7' } }), false, 'nothing asked for');
    assert.equal(
      patched({ ...stored, metadata: { ...stored.metadata, annotations: { ...stored.metadata.annotations, [NODE_GROUPS_CREATED_ANNOTATION]: 'true' } } }),
      false,
      "the Cluster controller's node-groups-created mark",
    );
    assert.equal(patched({ ...stored, spec: { replicas: 2 } }), true, 'spec');
    assert.equal(patched({ ...stored, metadata: { ...stored.metadata, labels: { l: '2' } } }), true, 'labels');
    assert.equal(patched({ ...stored, metadata: { ...stored.metadata, annotations: { [CHANGED_BY_ANNOTATION]: 'oidc:bob', note: 'b' } } }), true, 'annotations');
    // A forged author is replaced by the real one, also in an update that changes nothing else.
    const forged = changedByResponse(update({ ...stored, metadata: { ...stored.metadata, annotations: { [CHANGED_BY_ANNOTATION]: 'oidc:carol', note: 'a' } } }));
    assert.deepEqual(JSON.parse(Buffer.from(forged.patch ?? '', 'base64').toString('utf8')), [
      { op: 'add', path: '/metadata/annotations/beamline.dev~1changed-by', value: 'oidc:alice/x~y' },
    ]);
    assert.equal(patched({ ...stored, metadata: { ...stored.metadata, annotations: { note: 'a' } } }), true, 'stamp removed');
  });

  test('the response carries the patch base64-encoded as a JSONPatch', () => {
    const response = changedByResponse(request({ metadata: {} }));
    assert.equal(response.allowed, true);
    assert.equal(response.patchType, 'JSONPatch');
    assert.deepEqual(JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8')), [
      { op: 'add', path: '/metadata/annotations', value: { [CHANGED_BY_ANNOTATION]: 'oidc:alice/x~y' } },
    ]);
    assert.deepEqual(changedByResponse({ ...request({ metadata: {} }), operation: 'DELETE' }), { uid: 'u-1', allowed: true });
  });
});

describe('the quota review', () => {
  const template: ClusterTemplate = {
    apiVersion: 'beamline.dev/v1alpha1',
    kind: 'ClusterTemplate',
    metadata: { name: 'small' },
    spec: { kubernetesVersion: '1.36.0', controlPlane: { replicas: 1, flavor: 'm1.small' }, nodeGroups: [{ name: 'default', flavor: 'm1.small', replicas: 2 }] },
  };
  const project = (spec: Partial<Project['spec']> = {}): Project => ({
    apiVersion: 'beamline.dev/v1alpha1',
    kind: 'Project',
    metadata: { name: 'physics' },
    spec: { displayName: 'Physics', members: [], quota: { nodes: 3, clusters: 2 }, ...spec },
  });
  const cluster = (name: string, created = false): Cluster => ({
    apiVersion: 'beamline.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name, namespace: 'project-physics', ...(created ? { annotations: { [NODE_GROUPS_CREATED_ANNOTATION]: 'true' } } : {}) },
    spec: { templateRef: { name: 'small' } },
  });
  const group = (clusterName: string, replicas: number, deleting = false): NodeGroup => ({
    apiVersion: 'beamline.dev/v1alpha1',
    kind: 'NodeGroup',
    metadata: { name: `${clusterName}-default`, namespace: 'project-physics', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { clusterName, flavor: 'm1.small', replicas },
  });
  /** A reader of a fixed world that counts its reads. */
  const reader = (world: { label?: string; project?: Project; clusters?: Cluster[]; nodeGroups?: NodeGroup[] }): AdmissionReader & { reads: number } => {
    const counted = <T>(value: T): Promise<T> => {
      result.reads++;
      return Promise.resolve(value);
    };
    const result = {
      reads: 0,
      namespaceProject: () => counted('label' in world ? world.label : 'physics'),
      project: () => counted(world.project),
      clusters: () => counted(world.clusters ?? []),
      nodeGroups: () => counted(world.nodeGroups ?? []),
      templates: () => counted([template]),
      flavors: () => counted([{ name: 'm1.small', cpu: '2', memory: '4Gi' }]),
    };
    return result;
  };
  const clusterCreate = (object: Cluster): AdmissionRequest =>
    parseAdmissionReview(review({ ...baseRequest, kind: { ...baseRequest.kind, kind: 'Cluster' }, resource: { ...baseRequest.resource, resource: 'clusters' }, object }));
  const groupRequest = (operation: string, object: NodeGroup, oldObject?: NodeGroup, subResource?: string): AdmissionRequest =>
    parseAdmissionReview(review({ ...baseRequest, operation, object, ...(oldObject === undefined ? {} : { oldObject }), ...(subResource === undefined ? {} : { subResource, name: object.metadata?.name }) }));
  const scale = (replicas: number): NodeGroup => ({ metadata: { name: 'a-default' }, spec: { replicas } }) as unknown as NodeGroup;

  test('requests that cannot grow usage are allowed without a read', async () => {
    const world = reader({ project: project({ quota: { nodes: 0 } }) });
    const cases: AdmissionRequest[] = [
      groupRequest('UPDATE', group('a', 2), group('a', 3)),
      groupRequest('UPDATE', group('a', 3), group('a', 3)),
      groupRequest('UPDATE', group('a', 9, true), group('a', 3)),
      groupRequest('UPDATE', scale(1), scale(4), 'scale'),
      groupRequest('UPDATE', group('a', 9), group('a', 1), 'status'),
      groupRequest('DELETE', group('a', 9)),
      { ...clusterCreate(cluster('a')), operation: 'UPDATE' },
      { ...groupRequest('CREATE', group('a', 9)), kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' } },
    ];
    for (const request of cases) {
      assert.equal(quotaChange(request), undefined, JSON.stringify(request));
      assert.equal((await reviewQuota(request, world)).allowed, true);
    }
    assert.equal(world.reads, 0);
  });

  test('decisions', async () => {
    const cases: { name: string; request: AdmissionRequest; world: Parameters<typeof reader>[0]; message?: RegExp }[] = [
      { name: 'a first Cluster fits', request: clusterCreate(cluster('a')), world: { project: project() } },
      {
        name: 'a Cluster over the nodes quota',
        request: clusterCreate(cluster('b')),
        world: { project: project(), clusters: [cluster('a')], nodeGroups: [group('a', 2)] },
        message: /^Cluster b exceeds the nodes quota of project physics: needs 2 more, 1 left \(2 of 3 used\)$/,
      },
      {
        name: 'the template list',
        request: clusterCreate(cluster('a')),
        world: { project: project({ templates: ['ha', 'gpu'] }) },
        message: /^template small is not allowed in project physics \(allowed: ha, gpu\)$/,
      },
      { name: 'an empty template list', request: clusterCreate(cluster('a')), world: { project: project({ templates: [] }) }, message: /\(allowed: none\)/ },
      { name: 'no Project', request: clusterCreate(cluster('a')), world: {}, message: /belongs to project physics, which does not exist/ },
      { name: 'not a project namespace', request: clusterCreate(cluster('a')), world: { label: undefined } },
      {
        name: 'the NodeGroup of a pending template group replaces it',
        request: groupRequest('CREATE', group('a', 3)),
        world: { project: project(), clusters: [cluster('a')] },
      },
      {
        name: 'scaling up over the quota',
        request: groupRequest('UPDATE', group('a', 4), group('a', 2)),
        world: { project: project(), clusters: [cluster('a', true)], nodeGroups: [group('a', 2)] },
        message: /^NodeGroup a-default exceeds the nodes quota of project physics: needs 2 more, 1 left \(2 of 3 used\)$/,
      },
      {
        name: 'scaling up through the scale subresource',
        request: groupRequest('UPDATE', scale(5), scale(2), 'scale'),
        world: { project: project(), clusters: [cluster('a', true)], nodeGroups: [group('a', 2)] },
        message: /^NodeGroup a-default exceeds the nodes quota of project physics: needs 3 more, 1 left/,
      },
      {
        name: 'scaling up within the quota',
        request: groupRequest('UPDATE', scale(3), scale(2), 'scale'),
        world: { project: project(), clusters: [cluster('a', true)], nodeGroups: [group('a', 2)] },
      },
      { name: 'scaling a NodeGroup that is gone', request: groupRequest('UPDATE', scale(9), scale(2), 'scale'), world: { project: project() } },
      { name: 'no quota', request: clusterCreate(cluster('z')), world: { project: project({ quota: undefined }), nodeGroups: [group('a', 100)] } },
    ];
    for (const { name, request, world, message } of cases) {
      const response = await reviewQuota(request, reader(world));
      assert.equal(response.allowed, message === undefined, name);
      if (message !== undefined) {
        assert.equal(response.status?.code, 403, name);
        assert.equal(response.status?.reason, 'Forbidden', name);
        assert.match(response.status?.message ?? '', message, name);
      }
      assert.equal(response.uid, 'u-1');
    }
  });
});

describe('admission TLS renewal', () => {
  const hosts = { dns: ['localhost'], ips: ['127.0.0.1'] };

  test('a fresh serving certificate is kept; one expiring within 30 days, of another CA, or for other hosts is not', async () => {
    const ca = await createCertificateAuthority('test-ca');
    const serving = await ca.issueServing('x', hosts);
    const now = new Date();
    assert.equal(servingCertificateNeedsRenewal(ca.certPem, serving.certPem, hosts, now), false);
    const expires = Date.parse(new X509Certificate(serving.certPem).validTo);
    assert.equal(servingCertificateNeedsRenewal(ca.certPem, serving.certPem, hosts, new Date(expires - RENEW_BEFORE_MS - 60_000)), false);
    assert.equal(servingCertificateNeedsRenewal(ca.certPem, serving.certPem, hosts, new Date(expires - RENEW_BEFORE_MS + 60_000)), true);
    const other = await createCertificateAuthority('other-ca');
    assert.equal(servingCertificateNeedsRenewal(other.certPem, serving.certPem, hosts, now), true);
    assert.equal(servingCertificateNeedsRenewal(ca.certPem, serving.certPem, { dns: [], ips: ['10.0.0.1'] }, now), true);
    assert.equal(servingCertificateNeedsRenewal(ca.certPem, undefined, hosts, now), true);
    assert.equal(servingCertificateNeedsRenewal(ca.certPem, 'garbage', hosts, now), true);
  });

  test('a CA is usable until 30 days before it expires', async () => {
    const ca = await createCertificateAuthority('test-ca');
    const expires = Date.parse(new X509Certificate(ca.certPem).validTo);
    assert.equal(certificateAuthorityUsable(ca.certPem, new Date()), true);
    assert.equal(certificateAuthorityUsable(ca.certPem, new Date(expires - RENEW_BEFORE_MS + 60_000)), false);
    assert.equal(certificateAuthorityUsable(undefined, new Date()), false);
    assert.equal(certificateAuthorityUsable('garbage', new Date()), false);
  });
});

test('webhook configurations: URLs, CA, failure policies, selector', () => {
  const { validating, mutating } = webhookConfigurations({ baseUrl: 'https://127.0.0.1:9443', caPem: 'PEM' });
  const [quota] = (validating as unknown as { webhooks: Record<string, unknown>[] }).webhooks;
  const [stamp] = (mutating as unknown as { webhooks: Record<string, unknown>[] }).webhooks;
  assert.equal(validating.metadata?.name, 'beamline-quota');
  assert.equal(mutating.metadata?.name, 'beamline-changed-by');
  assert.deepEqual(quota?.clientConfig, { url: 'https://127.0.0.1:9443/validate/quota', caBundle: Buffer.from('PEM').toString('base64') });
  assert.deepEqual(stamp?.clientConfig, { url: 'https://127.0.0.1:9443/mutate/changed-by', caBundle: Buffer.from('PEM').toString('base64') });
  assert.equal(quota?.failurePolicy, 'Fail');
  assert.equal(stamp?.failurePolicy, 'Ignore');
  for (const webhook of [quota, stamp]) {
    assert.deepEqual(webhook?.namespaceSelector, { matchExpressions: [{ key: PROJECT_LABEL, operator: 'Exists' }] });
    assert.equal(webhook?.timeoutSeconds, 5);
    assert.equal(webhook?.sideEffects, 'None');
    assert.equal(webhook?.matchPolicy, 'Equivalent');
    assert.deepEqual(webhook?.admissionReviewVersions, ['v1']);
  }
  const narrowed = webhookConfigurations({ baseUrl: 'https://127.0.0.1:1', caPem: 'x', namespaceSelector: { matchLabels: { t: '1' } }, names: { quota: 'q', changedBy: 'c' } });
  assert.equal(narrowed.validating.metadata?.name, 'q');
  assert.deepEqual((narrowed.mutating as unknown as { webhooks: { namespaceSelector: unknown }[] }).webhooks[0]?.namespaceSelector, { matchLabels: { t: '1' } });
});

test('admissionReader: templates and flavors from the cache once synced, the rest always live', async () => {
  const live: string[] = [];
  const client = {
    list: (resource: ResourceType) => {
      live.push(`list ${resource.plural}`);
      return Promise.resolve({ items: resource.plural === 'clustertemplates' ? [{ metadata: { name: 'live' } }] : [] });
    },
    get: (resource: ResourceType) => {
      live.push(`get ${resource.plural}`);
      return Promise.resolve(resource.plural === 'platformconfigs' ? { metadata: { name: 'beamline' }, spec: { flavors: [{ name: 'live' }] } } : undefined);
    },
  } as unknown as KubeClient;
  let synced = false;
  let watched = true;
  const cache: CacheReader = {
    get: () => undefined,
    list: <O>(resource: ResourceType): O[] => {
      if (!watched) throw new Error('not watched');
      return (resource.plural === 'clustertemplates' ? [{ metadata: { name: 'cached' } }] : [{ metadata: { name: 'beamline' }, spec: { flavors: [{ name: 'cached' }] } }]) as O[];
    },
  };
  const reader = admissionReader(client, () => ({ cache, synced: () => synced }));
  assert.equal((await reader.templates())[0]?.metadata?.name, 'live', 'not synced yet');
  synced = true;
  live.length = 0;
  assert.equal((await reader.templates())[0]?.metadata?.name, 'cached');
  assert.equal((await reader.flavors())[0]?.name, 'cached');
  await reader.clusters('ns');
  await reader.nodeGroups('ns');
  await reader.project('p');
  assert.deepEqual(live, ['list clusters', 'list nodegroups', 'get projects']);
  watched = false;
  assert.equal((await reader.flavors())[0]?.name, 'live', 'a kind no controller watches');
  assert.equal((await admissionReader(client).templates())[0]?.metadata?.name, 'live', 'no cache');
});
