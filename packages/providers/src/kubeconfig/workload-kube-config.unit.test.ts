import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { InvalidKubeconfigError } from './invalid-kubeconfig-error.ts';
import { MAX_WORKLOAD_KUBECONFIG_BYTES, workloadKubeConfig } from './workload-kube-config.ts';

const SECRET = 'hunter2-do-not-echo';
const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A kubeconfig with one cluster, user and context; `cluster` and `user` bodies are merged in. */
function kubeconfig(over: { cluster?: Record<string, unknown>; user?: Record<string, unknown>; top?: Record<string, unknown>; context?: Record<string, unknown> } = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': b64('CA PEM'), ...over.cluster } }],
    users: [{ name: 'u', user: { token: SECRET, ...over.user } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', ...over.context } }],
    'current-context': 'ctx',
    ...over.top,
  });
}

/** Asserts that loading refuses with a message starting with `field`, and that no value leaks into it. */
function refused(text: string, field: string): InvalidKubeconfigError {
  let caught: unknown;
  try {
    workloadKubeConfig(text);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof InvalidKubeconfigError, `refused (${field}), got ${String(caught)}`);
  assert.ok(caught.message.startsWith(`${field}: `), `"${caught.message}" names ${field}`);
  assert.equal(caught.field, field);
  for (const value of [SECRET, '/etc/passwd', 'touch', 'evil.example', 'c2VjcmV0']) assert.ok(!caught.message.includes(value), `"${caught.message}" does not echo ${value}`);
  return caught;
}

describe('workloadKubeConfig accepts', () => {
  test('inline CA, token, server and TLS options', () => {
    const config = workloadKubeConfig(kubeconfig({ cluster: { 'tls-server-name': 'api.internal', 'insecure-skip-tls-verify': false } }));
    assert.deepEqual(config.getCurrentCluster(), { name: 'c', server: 'https://10.0.0.1:6443', skipTLSVerify: false, caData: b64('CA PEM'), tlsServerName: 'api.internal' });
    assert.deepEqual(config.getCurrentUser(), { name: 'u', token: SECRET });
    assert.equal(config.getCurrentContext(), 'ctx');
  });

  test('an inline client certificate and key, and username/password', () => {
    const cert = workloadKubeConfig(kubeconfig({ user: { token: undefined, 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') } }));
    assert.deepEqual(cert.getCurrentUser(), { name: 'u', certData: b64('CERT'), keyData: b64('KEY') });
    const basic = workloadKubeConfig(kubeconfig({ user: { token: undefined, username: 'admin', password: SECRET } }));
    assert.deepEqual(basic.getCurrentUser(), { name: 'u', username: 'admin', password: SECRET });
  });

  test('an http:// server with insecure-skip-tls-verify, extensions, preferences and a namespace', () => {
    const config = workloadKubeConfig(
      kubeconfig({
        cluster: { server: 'http://127.0.0.1:8080', 'insecure-skip-tls-verify': true, 'certificate-authority-data': undefined, extensions: [{ name: 'x', extension: {} }] },
        context: { namespace: 'physics' },
        top: { preferences: {} },
      }),
    );
    assert.equal(config.getCurrentCluster()?.skipTLSVerify, true);
    assert.equal(config.getContextObject('ctx')?.namespace, 'physics');
  });

  test('the kubeconfig Beamline writes for its own clusters (wrapped base64 too)', () => {
    const wrapped = `${b64('x'.repeat(200)).slice(0, 76)}\n${b64('x'.repeat(200)).slice(76)}`;
    const config = workloadKubeConfig(kubeconfig({ cluster: { 'certificate-authority-data': wrapped } }));
    assert.equal(config.getCurrentCluster()?.caData, b64('x'.repeat(200)));
  });
});

describe('workloadKubeConfig refuses, naming the field and never its value', () => {
  const cases: [string, Parameters<typeof kubeconfig>[0], string][] = [
    ['exec', { user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'touch', args: ['/tmp/pwned'] } } }, 'users[0].user.exec'],
    ['auth-provider', { user: { 'auth-provider': { name: 'gcp', config: { 'cmd-path': 'touch' } } } }, 'users[0].user.auth-provider'],
    ['tokenFile', { user: { tokenFile: '/etc/passwd' } }, 'users[0].user.tokenFile'],
    ['token-file', { user: { 'token-file': '/etc/passwd' } }, 'users[0].user.token-file'],
    ['client-certificate', { user: { 'client-certificate': '/etc/passwd' } }, 'users[0].user.client-certificate'],
    ['client-key', { user: { 'client-key': '/etc/passwd' } }, 'users[0].user.client-key'],
    ['impersonation', { user: { as: 'system:admin' } }, 'users[0].user.as'],
    ['certificate-authority', { cluster: { 'certificate-authority': '/etc/passwd' } }, 'clusters[0].cluster.certificate-authority'],
    ['proxy-url', { cluster: { 'proxy-url': 'socks5://evil.example:1080' } }, 'clusters[0].cluster.proxy-url'],
    ['an unknown user key, unnamed', { user: { 'c2VjcmV0': 'x' } }, 'users[0].user.<unknown key>'],
    ['an unknown top-level key, unnamed', { top: { 'c2VjcmV0': 'x' } }, '<unknown top-level key>'],
    ['a file:// server', { cluster: { server: 'file:///etc/passwd' } }, 'clusters[0].cluster.server'],
    ['a unix socket server', { cluster: { server: 'unix:///var/run/evil.example.sock' } }, 'clusters[0].cluster.server'],
    ['credentials in the server URL', { cluster: { server: `https://admin:${SECRET}@evil.example` } }, 'clusters[0].cluster.server'],
    ['a missing server', { cluster: { server: undefined } }, 'clusters[0].cluster.server'],
    ['non-base64 inline data', { cluster: { 'certificate-authority-data': `-----BEGIN ${SECRET}` } }, 'clusters[0].cluster.certificate-authority-data'],
    ['a certificate without its key', { user: { 'client-certificate-data': b64('CERT') } }, 'users[0].user.client-key-data'],
    ['a non-string token', { user: { token: 42 } }, 'users[0].user.token'],
    ['a context naming no cluster', { context: { cluster: 'nope' } }, 'contexts[0].context.cluster'],
    ['a context without a user', { context: { user: undefined } }, 'contexts[0].context.user'],
    ['a current context that does not exist', { top: { 'current-context': 'nope' } }, 'current-context'],
  ];
  for (const [what, over, field] of cases) {
    test(what, () => {
      refused(kubeconfig(over), field);
    });
  }

  test('an exec user that is not the current one is refused too', () => {
    const text = stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1' } }],
      users: [{ name: 'u', user: { token: SECRET } }, { name: 'other', user: { exec: { command: 'touch' } } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    });
    refused(text, 'users[1].user.exec');
  });
});

describe('workloadKubeConfig refuses documents it will not read', () => {
  const whole = (text: string, pattern: RegExp): void => {
    assert.throws(() => workloadKubeConfig(text), (error: unknown) => error instanceof InvalidKubeconfigError && pattern.test(error.message) && !error.message.includes(SECRET));
  };

  test('over the size cap, unparsed', () => {
    whole(`# ${'x'.repeat(MAX_WORKLOAD_KUBECONFIG_BYTES)}\n`, /at most 1048576 are read/);
  });

  test('YAML that does not parse, without quoting the text', () => {
    whole(`users:\n  - name: u\n    user: { token: ${SECRET}\n`, /not valid YAML \([A-Z_]+ at line \d+, column \d+\)/);
  });

  test('an alias bomb', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level += 1) lines.push(`${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(10).fill(`*${String.fromCharCode(96 + level)}`).join(',')}]`);
    whole(lines.join('\n'), /cannot be read as YAML/);
  });

  test('a list or scalar instead of a mapping, and duplicate keys', () => {
    whole('- a\n- b\n', /not a YAML mapping/);
    whole(SECRET, /not a YAML mapping/);
    whole(`current-context: a\ncurrent-context: ${SECRET}\n`, /DUPLICATE_KEY/);
  });
});
