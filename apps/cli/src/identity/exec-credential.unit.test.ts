import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { execConfig, execCredential, execKubeconfig } from './exec-credential.ts';
import { describeOidcError } from './oidc.ts';

describe('the exec credential plugin shapes', () => {
  test('an ExecCredential carries the token and its expiry as RFC 3339', () => {
    assert.deepEqual(execCredential('header.payload.signature', 1_800_000_000), {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'header.payload.signature', expirationTimestamp: '2027-01-15T08:00:00.000Z' },
    });
  });

  test('the exec stanza runs this Node with the CLI entry, passing BEAMLINE_HOME only when set', () => {
    const withHome = execConfig({ nodePath: '/opt/node/bin/node', entry: '/src/beamline/apps/cli/bin/beamline.js', env: { BEAMLINE_HOME: '/home/a/.bl' } });
    assert.equal(withHome.command, '/opt/node/bin/node');
    assert.deepEqual(withHome.args, ['/src/beamline/apps/cli/bin/beamline.js', 'token']);
    assert.deepEqual(withHome.env, [{ name: 'BEAMLINE_HOME', value: '/home/a/.bl' }]);
    assert.equal(withHome.interactiveMode, 'Never');
    assert.equal(execConfig({ nodePath: 'n', entry: 'e', env: {} }).env, null);
    assert.equal(execConfig({ nodePath: 'n', entry: 'e', env: { BEAMLINE_HOME: '' } }).env, null);
  });

  test('a kubeconfig holds the server, the CA when known, and no credential but the plugin', () => {
    const exec = execConfig({ nodePath: 'n', entry: 'e', env: {} });
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const config = parse(execKubeconfig({ name: 'ns-lab', server: 'https://127.0.0.1:1', certificateAuthority: pem, exec })) as {
      clusters: { name: string; cluster: Record<string, string> }[];
      users: { name: string; user: Record<string, unknown> }[];
      'current-context': string;
    };
    assert.equal(config['current-context'], 'ns-lab');
    assert.equal(Buffer.from(config.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString(), pem);
    assert.deepEqual(Object.keys(config.users[0]?.user ?? {}), ['exec']);
    const noCa = parse(execKubeconfig({ name: 'x', server: 'https://example.org', exec })) as { clusters: { cluster: Record<string, string> }[] };
    assert.deepEqual(noCa.clusters[0]?.cluster, { server: 'https://example.org' });
  });
});

describe('describeOidcError', () => {
  test('adds the cause that openid-client wraps, and an issuer\'s OAuth error', () => {
    const wrapped = new Error('invalid response encountered', { cause: new Error('unexpected "state" response parameter value') });
    assert.equal(describeOidcError(wrapped), 'invalid response encountered: unexpected "state" response parameter value');
    const refused = Object.assign(new Error('server responded with an error in the response body'), { error: 'invalid_grant', error_description: 'grant request is invalid' });
    assert.equal(describeOidcError(refused), 'server responded with an error in the response body: invalid_grant: grant request is invalid');
  });

  test('says only messages: fields of a cause (parameters, bodies) are left out', () => {
    const cause = Object.assign(new Error('bad'), { parameters: new URLSearchParams({ code: 'secret-code' }) });
    assert.doesNotMatch(describeOidcError(new Error('failed', { cause })), /secret-code/);
  });
});
