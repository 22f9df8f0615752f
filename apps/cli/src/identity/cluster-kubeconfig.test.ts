// `beamline cluster kubeconfig` for a platform admin and for a non-admin, and a login's management
// kubeconfig with plain kubectl, against the run's shared control plane, whose apiserver trusts the
// run's real OIDC provider. No controller runs: the test writes the Cluster status the Cluster
// controller would (endpoint, certificateAuthority, kubeconfigSecretRef).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { installApi } from '@beamline/install';
import { DEMO_USERS } from '@beamline/oidc-provider';
import { approveDeviceCode } from '@beamline/oidc-provider/testing';
import { expectCode, runCommand, runNode, useTestEnv, waitFor, type NodeRun } from '@beamline/testenv';

const env = useTestEnv('cluster-kubeconfig');
const CLI_BIN = fileURLToPath(new URL('../../bin/beamline.js', import.meta.url));
const CLUSTER = 'lab';
const FAKE_CA = '-----BEGIN CERTIFICATE-----\nMIIBfakeCAfortheclusterstatus\n-----END CERTIFICATE-----\n';
const ADMIN_KUBECONFIG = 'apiVersion: v1\nkind: Config\n# the admin kubeconfig of the workload cluster\n';

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
  users: { user: Record<string, unknown> & { exec?: { command: string; args: string[] } } }[];
}

/** The pinned kubectl with a kubeconfig, in a user's home (the exec plugin reads its tokens there). */
const kubectl = (kubeconfig: string, home: string, ...args: string[]): Promise<NodeRun> =>
  runCommand(env.binaries.kubectl, ['--kubeconfig', kubeconfig, ...args], { ...process.env, BEAMLINE_HOME: home }, 60_000);

function writeKubeconfig(config: KubeConfig, path: string): string {
  writeFileSync(path, config.exportConfig(), { mode: 0o600 });
  return path;
}

describe('beamline cluster kubeconfig and the login kubeconfig', () => {
  let dir: string;
  let home: string;
  let authConfig: Server;
  let adminPath: string;
  let userPath: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'beamline-cluster-kubeconfig-'));
    home = join(dir, 'home');
    await installApi(env.kubeConfig, { probeNamespace: env.namespace });
    const custom = env.kubeConfig.makeApiClient(CustomObjectsApi);
    const base = { group: 'beamline.dev', version: 'v1alpha1', plural: 'clusters', namespace: env.namespace };
    await custom.createNamespacedCustomObject({ ...base, body: { apiVersion: 'beamline.dev/v1alpha1', kind: 'Cluster', metadata: { name: CLUSTER }, spec: { templateRef: { name: 'small' } } } });
    await custom.patchNamespacedCustomObjectStatus(
      {
        ...base,
        name: CLUSTER,
        body: { status: { endpoint: 'https://127.0.0.1:16443', certificateAuthority: FAKE_CA, kubeconfigSecretRef: { name: `${CLUSTER}-kubeconfig`, key: 'value' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await env.kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: env.namespace,
      body: { metadata: { name: `${CLUSTER}-kubeconfig` }, stringData: { value: ADMIN_KUBECONFIG } },
    });
    // A scientist who may read Clusters in the namespace, not Secrets.
    const rbac = env.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: env.namespace,
      body: { metadata: { name: 'cluster-reader' }, rules: [{ apiGroups: ['beamline.dev'], resources: ['clusters'], verbs: ['get', 'list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: env.namespace,
      body: {
        metadata: { name: 'cluster-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cluster-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'scientist' }],
      },
    });
    adminPath = env.kubeconfigPath;
    userPath = writeKubeconfig(await env.kubeConfigFor({ name: 'scientist', groups: ['physics'] }), join(dir, 'scientist.kubeconfig'));

    // The manager's /api/auth/config, as the portal answers it for this plane.
    const cluster = env.kubeConfig.getCurrentCluster();
    const managementCa = cluster?.caData === undefined ? undefined : Buffer.from(cluster.caData, 'base64').toString();
    authConfig = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: env.identity.issuer,
          clientID: env.identity.clientID,
          certificateAuthority: env.identity.caPem,
          usernamePrefix: env.identity.usernamePrefix,
          groupsPrefix: env.identity.groupsPrefix,
          managementServer: env.server,
          managementCertificateAuthority: managementCa ?? null,
        }),
      );
    });
    await new Promise<void>((resolve) => authConfig.listen(0, '127.0.0.1', resolve));
  });
  after(() => {
    authConfig.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (kubeconfig: string, ...args: string[]): Promise<NodeRun> =>
    runNode(CLI_BIN, ['--kubeconfig', kubeconfig, '-n', env.namespace, ...args], { ...process.env, BEAMLINE_HOME: home });

  test('a platform admin gets the admin kubeconfig from the Secret', async () => {
    const run = expectCode(await cli(adminPath, 'cluster', 'kubeconfig', CLUSTER), 0);
    assert.equal(run.stdout, ADMIN_KUBECONFIG);
  });

  test('a user who may not read the Secret gets the endpoint, the CA and the exec plugin, no credentials', async () => {
    const run = expectCode(await cli(userPath, 'cluster', 'kubeconfig', CLUSTER), 0);
    const config = parse(run.stdout) as Kubeconfig;
    assert.equal(config.clusters[0]?.cluster.server, 'https://127.0.0.1:16443');
    assert.equal(Buffer.from(config.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString(), FAKE_CA);
    assert.deepEqual(Object.keys(config.users[0]?.user ?? {}), ['exec']);
    assert.equal(config.users[0]?.user.exec?.command, process.execPath);
    assert.deepEqual(config.users[0]?.user.exec?.args, [CLI_BIN, 'token']);
    assert.doesNotMatch(run.stdout, /admin kubeconfig|client-key|token:/);
  });

  test('--user gives an admin the exec kubeconfig too', async () => {
    const run = expectCode(await cli(adminPath, 'cluster', 'kubeconfig', CLUSTER, '--user'), 0);
    assert.ok((parse(run.stdout) as Kubeconfig).users[0]?.user.exec !== undefined);
  });

  test('after `beamline login`, plain kubectl with the written kubeconfig is the user oidc:<email>', async () => {
    const alice = DEMO_USERS.find((user) => user.username === 'alice');
    assert.ok(alice !== undefined);
    const port = (authConfig.address() as AddressInfo).port;
    const child = spawn(process.execPath, [CLI_BIN, 'login', '--device', '--manager', `http://127.0.0.1:${port}`, '--timeout', '60s'], {
      env: { ...process.env, BEAMLINE_HOME: home, BROWSER: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 128)));
    try {
      const url = await waitFor(() => /https:\/\/\S+user_code=\S+/.exec(stderr)?.[0], { what: 'the verification URL', timeoutMs: 30_000 }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; the CLI said: ${stderr}`, { cause: error });
      });
      await approveDeviceCode(url, alice, { caPem: env.identity.caPem });
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
    const kubeconfig = join(home, 'identity', 'management.kubeconfig');
    assert.match(stdout, new RegExp(`export KUBECONFIG=${kubeconfig}`));
    const whoami = expectCode(await kubectl(kubeconfig, home, 'auth', 'whoami', '-o', 'json'), 0);
    const review = JSON.parse(whoami.stdout) as { status: { userInfo: { username: string; groups: string[] } } };
    assert.equal(review.status.userInfo.username, `${env.identity.usernamePrefix}${alice.email}`);
    assert.ok(review.status.userInfo.groups.includes(`${env.identity.groupsPrefix}physics`));
    // The CLI itself authenticates with it too (the exec plugin through client-node); RBAC then refuses alice here.
    const refused = await cli(kubeconfig, 'cluster', 'kubeconfig', CLUSTER);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`User "${env.identity.usernamePrefix}${alice.email}" cannot get resource "clusters"`));
  });
});
