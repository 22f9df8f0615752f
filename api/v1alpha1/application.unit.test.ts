// The Application schema as JSON Schema: what it accepts and refuses locally, the defaults it
// fills, and the CRD generated from it (CEL rules are the API server's: see
// application-validation.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Value } from 'typebox/value';
import { customResourceDefinitions, type JsonSchemaProps } from '@beamline/install';
import {
  API_VERSION,
  APPLICATION,
  ApplicationSchema,
  CHART_REPO_URL_MESSAGE,
  CHART_VERSION_MESSAGE,
  FILE_CREDENTIALS_MESSAGE,
  JSON_POINTER_MESSAGE,
  PATH_OR_CHART_MESSAGE,
  REPO_URL_CREDENTIALS_MESSAGE,
  REPO_URL_MESSAGE,
  REPO_URL_SCHEME_PATTERN,
  REPO_URL_SCP_PATTERN,
  type Application,
  type ApplicationSpec,
} from './index.ts';

/** An Application as a client writes it (no defaults). */
function application(spec: Partial<ApplicationSpec> = {}): Application {
  return {
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: 'guestbook', namespace: 'physics' },
    spec: { source: { repoURL: 'https://git.example.org/physics/deploy.git', path: 'guestbook' }, destination: { cluster: 'lab', namespace: 'guestbook' }, ...spec },
  };
}

function crdSchema(): JsonSchemaProps {
  const crd = customResourceDefinitions().find((c) => c.spec.names.plural === APPLICATION.plural);
  assert.ok(crd !== undefined);
  const schema = crd.spec.versions[0]?.schema.openAPIV3Schema;
  assert.ok(schema !== undefined);
  return schema;
}

/** The repoURL rule as the API server runs it (CEL `matches` is RE2; these patterns are JS-compatible). */
function repoUrlAccepted(url: string): boolean {
  return new RegExp(REPO_URL_SCHEME_PATTERN).test(url) || new RegExp(REPO_URL_SCP_PATTERN).test(url);
}

describe('Application names', () => {
  test('namespaced, plural applications, short name bapp, category beamline', () => {
    assert.equal(APPLICATION.kind, 'Application');
    assert.equal(APPLICATION.plural, 'applications');
    assert.equal(APPLICATION.scope, 'Namespaced');
    assert.deepEqual(APPLICATION.shortNames, ['bapp']);
    assert.deepEqual(APPLICATION.categories, ['beamline']);
  });
});

describe('Application schema', () => {
  test('a git app and a Helm-repository app are valid', () => {
    const git = application({ syncPolicy: { automated: { prune: true }, syncOptions: { createNamespace: true } }, ignoreDifferences: [{ kind: 'Deployment', jsonPointers: ['/spec/replicas'] }] });
    assert.ok(Value.Check(ApplicationSchema, git), JSON.stringify([...Value.Errors(ApplicationSchema, git)]));
    const helm = application({
      source: { repoURL: 'oci://registry.example.org/charts', chart: 'podinfo', chartVersion: '6.7.0', helm: { releaseName: 'podinfo', values: { replicaCount: 2, ui: { color: '#34577c' } } } },
    });
    assert.ok(Value.Check(ApplicationSchema, helm), JSON.stringify([...Value.Errors(ApplicationSchema, helm)]));
  });

  test('refuses what the schema alone can tell', () => {
    assert.ok(!Value.Check(ApplicationSchema, application({ destination: { cluster: 'lab', namespace: 'Guest_Book' } })), 'namespace not a DNS label');
    assert.ok(!Value.Check(ApplicationSchema, application({ destination: { cluster: 'Lab', namespace: 'gb' } })), 'cluster not a DNS label');
    assert.ok(!Value.Check(ApplicationSchema, application({ refreshIntervalSeconds: 5 })), 'refresh below 10 s');
    assert.ok(!Value.Check(ApplicationSchema, application({ syncPolicy: { retry: { limit: -1 } } })), 'negative retry limit');
    assert.ok(!Value.Check(ApplicationSchema, application({ ignoreDifferences: [{ kind: 'Deployment', jsonPointers: [] }] })), 'no pointers');
    const noRepo = { ...application(), spec: { ...application().spec, source: { path: '.' } } };
    assert.ok(!Value.Check(ApplicationSchema, noRepo), 'no repoURL');
  });

  test('fills the defaults', () => {
    const defaulted = Value.Default(ApplicationSchema, application({ syncPolicy: { automated: {}, retry: {} } })) as Application;
    assert.equal(defaulted.spec.source.targetRevision, 'HEAD');
    assert.equal(defaulted.spec.source.path, 'guestbook');
    assert.equal(defaulted.spec.refreshIntervalSeconds, 180);
    assert.deepEqual(defaulted.spec.syncPolicy?.automated, { prune: false, selfHeal: false });
    assert.equal(defaulted.spec.syncPolicy?.retry?.limit, 5);
    assert.deepEqual(defaulted.spec.syncPolicy?.retry?.backoff, { durationSeconds: 5, factor: 2, maxDurationSeconds: 180 });
  });

  test('status is typed: sync, health, inventory, operation, history of at most 10', () => {
    const source = application().spec.source;
    const entry = { id: 1, revision: 'a'.repeat(40), deployedAt: '2026-01-02T03:04:05Z', source };
    const status: Application['status'] = {
      observedGeneration: 1,
      sync: { status: 'Synced', revision: 'a'.repeat(40) },
      health: { status: 'Progressing', message: 'Deployment guestbook: 1 of 2 replicas available' },
      resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'guestbook', name: 'guestbook', status: 'Synced', health: { status: 'Progressing' }, syncWave: 0 }],
      operationState: { phase: 'Succeeded', startedAt: '2026-01-02T03:04:00Z', finishedAt: '2026-01-02T03:04:05Z', results: [{ kind: 'Deployment', name: 'guestbook', namespace: 'guestbook', status: 'Synced' }] },
      history: [entry],
      reconciledAt: '2026-01-02T03:04:05Z',
    };
    const app = { ...application(), status };
    assert.ok(Value.Check(ApplicationSchema, app), JSON.stringify([...Value.Errors(ApplicationSchema, app)]));
    assert.ok(!Value.Check(ApplicationSchema, { ...app, status: { ...status, sync: { status: 'Drifted' } } }), 'unknown sync status');
    assert.ok(!Value.Check(ApplicationSchema, { ...app, status: { ...status, health: { status: 'Broken' } } }), 'unknown health');
    assert.ok(!Value.Check(ApplicationSchema, { ...app, status: { ...status, history: Array.from({ length: 11 }, (_, id) => ({ ...entry, id })) } }), '11 history entries');
  });

  test('repoURL forms', () => {
    for (const url of ['https://github.com/x/y.git', 'http://git.local/y', 'oci://ghcr.io/x/charts', 'ssh://git@host/x.git', 'file:///srv/git/x', 'git@gitlab.desy.de:group/repo.git']) {
      assert.ok(repoUrlAccepted(url), url);
    }
    for (const url of ['ext::sh -c touch% /tmp/pwned', 'git@-oProxyCommand=x:y', '/srv/git/x', 'ftp://host/x', 'https://host/a b', '-u x']) assert.ok(!repoUrlAccepted(url), url);
  });
});

describe('Application CRD', () => {
  test('the CEL rules are where the API promises them', () => {
    const spec = crdSchema().properties?.spec?.properties ?? {};
    const source = spec.source;
    assert.deepEqual(
      source?.['x-kubernetes-validations']?.map((r) => [r.message, r.fieldPath]),
      [
        [CHART_VERSION_MESSAGE, '.chartVersion'],
        [PATH_OR_CHART_MESSAGE, '.path'],
        [CHART_REPO_URL_MESSAGE, '.repoURL'],
        [FILE_CREDENTIALS_MESSAGE, '.credentialsSecretRef'],
      ],
    );
    assert.deepEqual(
      source?.properties?.repoURL?.['x-kubernetes-validations']?.map((r) => r.message),
      [REPO_URL_MESSAGE, REPO_URL_CREDENTIALS_MESSAGE],
    );
    assert.equal(spec.ignoreDifferences?.items?.properties?.jsonPointers?.items?.['x-kubernetes-validations']?.[0]?.message, JSON_POINTER_MESSAGE);
    assert.equal(source?.properties?.helm?.properties?.values?.['x-kubernetes-preserve-unknown-fields'], true);
    // No schema default for path: it would collide with chart (see PATH_OR_CHART_MESSAGE).
    assert.equal(source?.properties?.path?.default, undefined);
    assert.equal(source?.properties?.targetRevision?.default, 'HEAD');
    assert.equal(crdSchema().properties?.status?.properties?.history?.maxItems, 10);
  });
});
