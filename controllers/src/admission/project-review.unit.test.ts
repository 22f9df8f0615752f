// What a project owner may change in their Project: the pure decision over hostile review bodies,
// the platform-admin check asked only when it matters, and the webhook's registration.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeClient } from '@beamline/kube';
import { isPlatformKey, ownerChangeRefusals, reviewProjectUpdate, subjectAccessReviewCheck, type RequestUser } from './project-review.ts';
import { NOT_PROJECT_ADMIN_CONDITION, webhookConfigurations } from './registration.ts';
import { parseAdmissionReview, type AdmissionRequest } from './review.ts';

const stored = {
  apiVersion: 'beamline.dev/v1alpha1',
  kind: 'Project',
  metadata: { name: 'physics', labels: { team: 'a', 'beamline.dev/tier': 'gold' }, annotations: { note: 'x' }, finalizers: ['beamline.dev/project'] },
  spec: {
    displayName: 'Physics',
    members: [
      { kind: 'User', name: 'alice@lab.org', role: 'owner' },
      { kind: 'Group', name: 'physics', role: 'member' },
    ],
    quota: { clusters: 2, nodes: 10 },
    templates: ['small'],
    networkIsolation: true,
  },
};
type Stored = typeof stored;
const edit = (change: (copy: Stored) => void): Record<string, unknown> => {
  const copy = structuredClone(stored);
  change(copy);
  return copy;
};
const old = stored as unknown as Record<string, unknown>;

describe('ownerChangeRefusals', () => {
  test('members and presentation are the owners', () => {
    assert.deepEqual(
      ownerChangeRefusals(
        old,
        edit((copy) => {
          copy.spec.displayName = 'Physics Lab';
          (copy.spec as Record<string, unknown>).description = 'beamline 7';
          copy.spec.members.push({ kind: 'User', name: 'bob@lab.org', role: 'owner' });
          copy.metadata.labels.team = 'b';
          copy.metadata.annotations.note = 'y';
        }),
      ),
      [],
    );
    // Removing oneself is fine while another owner stays.
    const handedOver = edit((copy) => {
      copy.spec.members = [{ kind: 'Group', name: 'physics', role: 'owner' }];
    });
    assert.deepEqual(ownerChangeRefusals(old, handedOver), []);
  });

  test('every other spec field is the platform admins, named in the refusal: changed, added or removed', () => {
    assert.deepEqual(
      ownerChangeRefusals(
        old,
        edit((copy) => {
          copy.spec.quota.nodes = 100;
        }),
      ),
      ["project owners may change displayName, description and members; spec.quota is the platform admins'"],
    );
    const many = edit((copy) => {
      delete (copy.spec as Partial<Stored['spec']>).templates;
      (copy.spec as Record<string, unknown>).catalogItems = ['jupyter'];
      (copy.spec as Record<string, unknown>).sharedNamespaces = [{ cluster: { namespace: 'ops', name: 'shared' }, namespace: 'physics' }];
      copy.spec.networkIsolation = false;
      (copy.spec as Record<string, unknown>).namespaceDefaults = { resourceQuota: { hard: { pods: '1000' } } };
    });
    assert.deepEqual(ownerChangeRefusals(old, many), [
      "project owners may change displayName, description and members; spec.catalogItems, spec.namespaceDefaults, spec.networkIsolation, spec.sharedNamespaces, spec.templates are the platform admins'",
    ]);
    // Hostile shapes compare as they are: a spec that is not an object removes every field.
    assert.match(ownerChangeRefusals(old, { ...old, spec: 'x' })[0] ?? '', /spec\.networkIsolation, spec\.quota, spec\.templates are/);
    // The same quota written with its keys in another order is no change.
    assert.deepEqual(
      ownerChangeRefusals(
        old,
        edit((copy) => {
          copy.spec.quota = { nodes: 10, clusters: 2 };
        }),
      ),
      [],
    );
  });

  test('the last owner cannot go; a project that had none is not asked for one', () => {
    const noOwner = edit((copy) => {
      copy.spec.members = [{ kind: 'Group', name: 'physics', role: 'member' }];
    });
    assert.deepEqual(ownerChangeRefusals(old, noOwner), ['a project keeps at least one owner']);
    assert.deepEqual(ownerChangeRefusals(old, edit((copy) => (copy.spec.members = []))), ['a project keeps at least one owner']);
    assert.deepEqual(ownerChangeRefusals(noOwner, { ...noOwner, spec: { ...(noOwner.spec as object), displayName: 'P' } }), []);
  });

  test('beamline.dev labels and annotations, finalizers and owner references are the platform', () => {
    const refusals = ownerChangeRefusals(
      old,
      edit((copy) => {
        delete (copy.metadata.labels as Partial<Stored['metadata']['labels']>)['beamline.dev/tier'];
        (copy.metadata.annotations as Record<string, string>)['quota.beamline.dev/exempt'] = 'true';
        copy.metadata.finalizers = [];
        (copy.metadata as Record<string, unknown>).ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'gone', uid: 'u' }];
      }),
    );
    assert.deepEqual(refusals, [
      "project owners may not change label beamline.dev/tier, annotation quota.beamline.dev/exempt, metadata.finalizers, metadata.ownerReferences: they are the platform's",
    ]);
    assert.equal(isPlatformKey('beamline.dev/x'), true);
    assert.equal(isPlatformKey('a.beamline.dev/x'), true);
    assert.equal(isPlatformKey('notbeamline.dev/x'), false);
    assert.equal(isPlatformKey('beamline.dev'), false);
  });
});

describe('reviewProjectUpdate', () => {
  const request = (object: Record<string, unknown>, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
    uid: 'r-1',
    kind: { group: 'beamline.dev', version: 'v1alpha1', kind: 'Project' },
    resource: { group: 'beamline.dev', version: 'v1alpha1', resource: 'projects' },
    name: 'physics',
    operation: 'UPDATE',
    userInfo: { username: 'oidc:alice@lab.org', uid: 'id-7', groups: ['oidc:physics', 'system:authenticated'], extra: { scopes: ['a'] } },
    object,
    oldObject: old,
    ...extra,
  });
  const checker = (admin: boolean | Error): { check: (user: RequestUser) => Promise<boolean>; asked: RequestUser[] } => {
    const asked: RequestUser[] = [];
    return {
      asked,
      check: (user) => {
        asked.push(user);
        return admin instanceof Error ? Promise.reject(admin) : Promise.resolve(admin);
      },
    };
  };
  const raised = edit((copy) => {
    copy.spec.quota.clusters = 50;
  });

  test("an owner's edit of members is allowed without asking who the user is", async () => {
    const { check, asked } = checker(false);
    const response = await reviewProjectUpdate(request(edit((copy) => copy.spec.members.push({ kind: 'User', name: 'bob@lab.org', role: 'viewer' }))), check);
    assert.deepEqual(response, { uid: 'r-1', allowed: true });
    assert.equal(asked.length, 0);
  });

  test('a quota change: refused for an owner naming spec.quota, allowed for a platform admin; the whole user is asked about', async () => {
    const owner = checker(false);
    const refused = await reviewProjectUpdate(request(raised), owner.check);
    assert.equal(refused.allowed, false);
    assert.equal(refused.status?.code, 403);
    assert.match(refused.status?.message ?? '', /spec\.quota is the platform admins'/);
    assert.deepEqual(owner.asked, [{ username: 'oidc:alice@lab.org', uid: 'id-7', groups: ['oidc:physics', 'system:authenticated'], extra: { scopes: ['a'] } }]);
    assert.equal((await reviewProjectUpdate(request(raised), checker(true).check)).allowed, true);
  });

  test('every refusal at once, joined', async () => {
    const both = edit((copy) => {
      copy.spec.quota.clusters = 50;
      copy.spec.members = [];
    });
    const response = await reviewProjectUpdate(request(both), checker(false).check);
    assert.equal(response.status?.message, "project owners may change displayName, description and members; spec.quota is the platform admins'; a project keeps at least one owner");
  });

  test('a check that fails refuses (what cannot be checked is not granted), naming the user, not their credentials', async () => {
    const response = await reviewProjectUpdate(request(raised), checker(new Error('failed to POST: 503\nmore')).check);
    assert.equal(response.allowed, false);
    assert.equal(response.status?.message, 'cannot check whether oidc:alice@lab.org may change every field of a Project: failed to POST: 503');
  });

  test('anything but an UPDATE of the main Project resource is allowed untouched', async () => {
    const { check, asked } = checker(false);
    for (const extra of [
      { operation: 'CREATE' as const },
      { subResource: 'status' },
      { resource: { group: 'beamline.dev', version: 'v1alpha1', resource: 'clusters' } },
      { kind: { group: 'apps', version: 'v1', kind: 'Project' }, resource: { group: 'apps', version: 'v1', resource: 'projects' } },
    ]) {
      assert.equal((await reviewProjectUpdate(request(raised, extra), check)).allowed, true, JSON.stringify(extra));
    }
    const { oldObject: _dropped, ...noOld } = request(raised);
    assert.equal((await reviewProjectUpdate(noOld, check)).allowed, true);
    assert.equal(asked.length, 0);
  });
});

test('the admin check is a SubjectAccessReview for update of every Project, as the whole user', async () => {
  const posted: { path: string; body: unknown }[] = [];
  let allowed: unknown = true;
  const client = {
    request: (_method: string, path: string, options: { body: unknown }) => {
      posted.push({ path, body: options.body });
      return Promise.resolve({ status: { allowed } });
    },
  } as unknown as KubeClient;
  const check = subjectAccessReviewCheck(client);
  assert.equal(await check({ username: 'oidc:ops', uid: 'u', groups: ['oidc:admins'], extra: { k: ['v'] } }), true);
  assert.deepEqual(posted, [
    {
      path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: 'oidc:ops', uid: 'u', groups: ['oidc:admins'], extra: { k: ['v'] }, resourceAttributes: { verb: 'update', group: 'beamline.dev', resource: 'projects' } },
      },
    },
  ]);
  allowed = 'yes';
  assert.equal(await check({ username: 'oidc:ops' }), false, 'only a boolean true allows');
  assert.equal(await check({}), false, 'no user, no review');
  assert.equal(posted.length, 2);
});

test('the review keeps the user uid and extra, checked for their types', () => {
  const body = (userInfo: unknown): unknown => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'r', kind: { group: 'beamline.dev', version: 'v1alpha1', kind: 'Project' }, resource: { group: 'beamline.dev', version: 'v1alpha1', resource: 'projects' }, operation: 'UPDATE', userInfo },
  });
  assert.deepEqual(parseAdmissionReview(body({ username: 'a', uid: 'u-1', groups: ['g'], extra: { scopes: ['x', 'y'] } })).userInfo, { username: 'a', uid: 'u-1', groups: ['g'], extra: { scopes: ['x', 'y'] } });
  assert.throws(() => parseAdmissionReview(body({ username: 'a', extra: { scopes: 'x' } })), /userInfo\.extra/);
  assert.throws(() => parseAdmissionReview(body({ username: 'a', extra: ['x'] })), /userInfo\.extra/);
  assert.throws(() => parseAdmissionReview(body({ username: 'a', uid: 7 })), /userInfo\.uid/);
});

test('the Project webhook: second in the quota configuration, Project UPDATEs only, Fail, admins skipped by the apiserver, narrowed by an object selector', () => {
  const webhooks = (configuration: { validating: unknown }): Record<string, unknown>[] => (configuration.validating as { webhooks: Record<string, unknown>[] }).webhooks;
  const [quota, project] = webhooks(webhookConfigurations({ baseUrl: 'https://127.0.0.1:9443', caPem: 'PEM' }));
  assert.equal(quota?.name, 'quota.beamline.dev');
  assert.equal(project?.name, 'project-owner.beamline.dev');
  assert.deepEqual(project?.clientConfig, { url: 'https://127.0.0.1:9443/validate/project', caBundle: Buffer.from('PEM').toString('base64') });
  assert.deepEqual(project?.rules, [{ apiGroups: ['beamline.dev'], apiVersions: ['*'], operations: ['UPDATE'], resources: ['projects'], scope: 'Cluster' }]);
  assert.equal(project?.failurePolicy, 'Fail');
  assert.equal(project?.objectSelector, undefined);
  assert.deepEqual(project?.matchConditions, [{ name: 'not-platform-admin', expression: NOT_PROJECT_ADMIN_CONDITION }]);
  assert.equal(NOT_PROJECT_ADMIN_CONDITION, "!authorizer.group('beamline.dev').resource('projects').check('update').allowed()");
  const [, narrowed] = webhooks(webhookConfigurations({ baseUrl: 'https://127.0.0.1:1', caPem: 'x', projectSelector: { matchLabels: { t: '1' } } }));
  assert.deepEqual(narrowed?.objectSelector, { matchLabels: { t: '1' } });
});
