// What the API server accepts and refuses for Applications once the Beamline API is installed:
// the CRD's schema, defaults and CEL rules. Against the run's shared control plane.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { apiOutcome, uniqueName, useTestEnv } from '@beamline/testenv';
import { installApi } from '@beamline/install';
import {
  API_VERSION,
  CHART_VERSION_MESSAGE,
  JSON_POINTER_MESSAGE,
  PATH_OR_CHART_MESSAGE,
  FILE_CREDENTIALS_MESSAGE,
  REPO_URL_CREDENTIALS_MESSAGE,
  REPO_URL_MESSAGE,
  type Application,
  type ApplicationSpec,
} from './index.ts';

const env = useTestEnv('api-application-validation');

function objectsApi(): KubernetesObjectApi {
  return KubernetesObjectApi.makeApiClient(env.kubeConfig);
}

const GIT_SOURCE = { repoURL: 'https://git.example.org/physics/deploy.git', path: 'guestbook' };
const DESTINATION = { cluster: 'lab', namespace: 'guestbook' };

function application(spec: Partial<ApplicationSpec> = {}): Application {
  return {
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: uniqueName('app'), namespace: env.namespace },
    spec: { source: GIT_SOURCE, destination: DESTINATION, ...spec },
  };
}

function create(app: Application): Promise<Application> {
  return objectsApi().create<Application>(app);
}

/** Creating `app` is refused with 422 and a message naming `path` and containing `text`. */
async function assertRefused(app: Application, path: RegExp, text: string): Promise<void> {
  const { code, message } = await apiOutcome(create(app));
  assert.equal(code, 422, message);
  assert.match(message, path);
  assert.ok(message.includes(text), message);
}

// One outer suite: node:test runs top-level before() hooks concurrently with useTestEnv's, a
// suite's before() after them.
describe('Application validation', () => {
  before(async () => {
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace });
  });

  test('a git app is accepted with the defaults filled', async () => {
    const read = await create(application({ syncPolicy: { automated: {}, retry: {} } }));
    assert.equal(read.spec.source.targetRevision, 'HEAD');
    assert.equal(read.spec.source.path, 'guestbook');
    assert.equal(read.spec.refreshIntervalSeconds, 180);
    assert.deepEqual(read.spec.syncPolicy?.automated, { prune: false, selfHeal: false });
    assert.equal(read.spec.syncPolicy?.retry?.limit, 5);
    assert.deepEqual(read.spec.syncPolicy?.retry?.backoff, { durationSeconds: 5, factor: 2, maxDurationSeconds: 180 });
  });

  test('a Helm-repository app is accepted, its values kept as written', async () => {
    const values = { replicaCount: 2, ui: { color: '#34577c', labels: ['a', 'b'] } };
    const read = await create(
      application({
        source: { repoURL: 'oci://registry.example.org/charts', chart: 'podinfo', chartVersion: '6.7.0', helm: { releaseName: 'podinfo', values } },
        destination: { cluster: 'in-cluster', namespace: 'podinfo' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: { createNamespace: true } },
        ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
      }),
    );
    assert.equal(read.spec.source.path, undefined);
    assert.equal(read.spec.source.targetRevision, 'HEAD');
    assert.deepEqual(read.spec.source.helm?.values, values);
    assert.deepEqual(read.spec.syncPolicy?.automated, { prune: true, selfHeal: true });
    assert.equal(read.spec.syncPolicy?.retry, undefined);
  });

  test('chart without chartVersion is refused', async () => {
    await assertRefused(application({ source: { repoURL: 'https://charts.example.org', chart: 'podinfo' } }), /spec\.source\.chartVersion: Required value/, CHART_VERSION_MESSAGE);
  });

  test('path and chart together are refused', async () => {
    await assertRefused(
      application({ source: { repoURL: 'https://charts.example.org', chart: 'podinfo', chartVersion: '6.7.0', path: 'charts' } }),
      /spec\.source\.path: Forbidden/,
      PATH_OR_CHART_MESSAGE,
    );
  });

  test('a repoURL with the ext:: transport is refused', async () => {
    await assertRefused(application({ source: { repoURL: 'ext::sh -c touch% /tmp/pwned', path: '.' } }), /spec\.source\.repoURL: Invalid value/, REPO_URL_MESSAGE);
  });

  test('credentials in repoURL are refused, pointing to credentialsSecretRef; ssh users and scp-like URLs stay valid', async () => {
    for (const repoURL of [
      'https://bot:s3cr3t@git.example.org/physics/deploy.git',
      'https://ghp_t0ken@github.com/org/repo',
      'HTTP://user:pass@127.0.0.1:8080/repo',
      'oci://robot:s3cr3t@registry.example.org/charts',
      'ssh://git:hunter2@git.example.org/physics/deploy.git',
    ]) {
      const source = repoURL.startsWith('oci://') ? { repoURL, chart: 'podinfo', chartVersion: '6.7.0' } : { repoURL, path: '.' };
      await assertRefused(application({ source }), /spec\.source\.repoURL: Invalid value/, REPO_URL_CREDENTIALS_MESSAGE);
    }
    for (const repoURL of ['ssh://git@git.example.org/physics/deploy.git', 'git@git.example.org:physics/deploy.git', 'https://git.example.org/physics/deploy@v1']) {
      const read = await create(application({ source: { repoURL, path: '.', credentialsSecretRef: { name: 'deploy-key' } } }));
      assert.equal(read.spec.source.repoURL, repoURL);
      assert.deepEqual(read.spec.source.credentialsSecretRef, { name: 'deploy-key' });
    }
  });

  test('credentialsSecretRef must name a Secret, and does not apply to file://', async () => {
    await assertRefused(application({ source: { ...GIT_SOURCE, credentialsSecretRef: { name: 'Not_A_Name' } } }), /spec\.source\.credentialsSecretRef\.name: Invalid value/, 'should match');
    await assertRefused(
      application({ source: { repoURL: 'file:///srv/git/deploy', path: '.', credentialsSecretRef: { name: 'creds' } } }),
      /spec\.source\.credentialsSecretRef: /,
      FILE_CREDENTIALS_MESSAGE,
    );
  });

  test('a destination namespace that is not a DNS label is refused', async () => {
    await assertRefused(application({ destination: { cluster: 'lab', namespace: 'Guest_Book' } }), /spec\.destination\.namespace: Invalid value/, 'should match');
  });

  test('a JSON pointer without a leading / is refused', async () => {
    await assertRefused(
      application({ ignoreDifferences: [{ kind: 'Deployment', jsonPointers: ['/spec/replicas', 'spec/template'] }] }),
      /spec\.ignoreDifferences\[0\]\.jsonPointers\[1\]: Invalid value/,
      JSON_POINTER_MESSAGE,
    );
  });

  test('refreshIntervalSeconds below 10 is refused', async () => {
    await assertRefused(application({ refreshIntervalSeconds: 5 }), /spec\.refreshIntervalSeconds: Invalid value/, 'should be greater than or equal to 10');
  });
});
