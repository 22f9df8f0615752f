// Tenancy end to end, as scientists meet it: the real `beamline manager` process on the run's shared
// control plane (whose apiserver trusts the run's real OIDC provider), a Project whose members are
// groups of that provider, a kwok Cluster of the project (its apiserver trusts the provider too,
// through PlatformConfig's identity). Each user logs in with the real CLI (`beamline login
// --device`, approved through the provider's real pages), gets a kubeconfig for the cluster from
// `beamline cluster kubeconfig` (the exec plugin, no admin certificate), and plain kubectl is
// allowed or refused by RBAC in the workload cluster per role: owner cluster-admin, member edit,
// viewer view, another project's user nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { API_VERSION, projectNamespace, type Cluster, type ClusterTemplate, type Project } from '@beamline/api';
import { destroyControlPlane } from '@beamline/control-plane';
import { defaultTemplates, installApi } from '@beamline/install';
import { clientFor } from '@beamline/kube';
import { DEMO_USERS } from '@beamline/oidc-provider';
import { approveDeviceCode } from '@beamline/oidc-provider/testing';
import { runCommand, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { CLI_BIN, runCli, type CliRun } from './testing/cli.ts';
import { removeAdmissionWebhooks, useRunIdentity } from './testing/identity.ts';
import { startManagerProcess, type ManagerProcess } from './testing/manager-process.ts';

const env = useTestEnv('tenancy');
const suffix = uniqueName('t').slice(2);
const projectName = `phys-${suffix}`;
const namespace = projectNamespace(projectName);
const templateName = `small-${suffix}`;
const clusterName = 'lab';
const group = { group: 'beamline.dev', version: 'v1alpha1' } as const;
const FIELD_MANAGER = 'e2e-tenancy';

/** A demo user of the run's provider. */
const user = (name: string): (typeof DEMO_USERS)[number] => {
  const found = DEMO_USERS.find((candidate) => candidate.username === name);
  if (found === undefined) throw new Error(`no demo user ${name}`);
  return found;
};

/**
 * `beamline login --device` as `name`, in a home of its own: reads the verification URL the CLI
 * prints, approves it through the provider's pages as the user would, waits for the CLI to finish.
 */
async function login(name: string, home: string, issuer: string, caFile: string, managerUrl: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [CLI_BIN, 'login', '--device', '--issuer', issuer, '--client-id', 'beamline', '--ca-file', caFile, '--manager', managerUrl, '--timeout', '60s'],
    { env: { ...process.env, BEAMLINE_HOME: home, KUBECONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  try {
    const url = await waitFor(() => /https:\/\/\S+/.exec(stderr)?.[0], { what: 'the device verification URL', timeoutMs: 30_000 });
    const credentials = user(name);
    await approveDeviceCode(url.includes('user_code=') ? url : { uri: url, userCode: /\b([A-Z]{4}-?[A-Z]{4})\b/.exec(stderr)?.[1] ?? '' }, { username: credentials.username, password: credentials.password }, { caPem: env.identity.caPem });
    const code = await Promise.race([exited, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 60_000))]);
    assert.equal(code, 0, `login of ${name} exited ${code}\nstdout: ${stdout}\nstderr: ${stderr}`);
  } finally {
    child.kill('SIGKILL');
  }
  for (const text of [stdout, stderr]) assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}\./, 'no token is printed');
}

/** The pinned kubectl with a kubeconfig, in a user's home (the exec plugin reads its tokens there). */
const kubectl = (home: string, kubeconfig: string, ...args: string[]): Promise<CliRun> =>
  runCommand(env.binaries.kubectl, ['--kubeconfig', kubeconfig, ...args], { ...process.env, BEAMLINE_HOME: home }, 60_000);

describe('tenancy end to end: one login, plain kubectl, RBAC per role', () => {
  let home: string;
  let manager: ManagerProcess | undefined;
  const homes = new Map<string, string>();
  const kubeconfigs = new Map<string, string>();

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'beamline-e2e-tenancy-'));
    const small = defaultTemplates().find((t) => t.metadata.name === 'small');
    assert.ok(small !== undefined);
    const templates: ClusterTemplate[] = [{ ...small, metadata: { ...small.metadata, name: templateName } }];
    await installApi(env.kubeConfig, { templates, probeNamespace: env.namespace });
    const client = clientFor(env.kubeConfig);
    // The platform's identity: the run's provider, which the shared apiserver already trusts.
    await useRunIdentity(env.kubeConfig, env.identity, FIELD_MANAGER);
    const project: Project = {
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: projectName },
      spec: {
        displayName: 'Physics (e2e)',
        members: [
          { kind: 'Group', name: 'physics', role: 'owner' },
          { kind: 'Group', name: 'physics-members', role: 'member' },
          { kind: 'Group', name: 'physics-viewers', role: 'viewer' },
        ],
        templates: [templateName],
      },
    };
    await client.create({ apiVersion: API_VERSION, kind: 'Project', plural: 'projects', namespaced: false }, project);
    manager = await startManagerProcess({ kubeconfigPath: env.kubeconfigPath, home, leaseNamespace: env.namespace, logFile: join(home, 'manager.log') });
    await waitFor(async () => (await client.get({ apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false }, namespace).catch(() => undefined)) !== undefined, {
      what: `the project namespace ${namespace}`,
      timeoutMs: 60_000,
    });
  });

  after(async () => {
    await manager?.stop();
    const custom = env.kubeConfig.makeApiClient(CustomObjectsApi);
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await destroyControlPlane(join(home, 'clusters', namespace, clusterName)).catch(() => undefined);
    await custom
      .patchNamespacedCustomObject({ ...group, plural: 'clusters', namespace, name: clusterName, body: { metadata: { finalizers: [] } } }, mergePatch)
      .catch(() => undefined);
    await custom.patchClusterCustomObject({ ...group, plural: 'projects', name: projectName, body: { metadata: { finalizers: [] } } }, mergePatch).catch(() => undefined);
    await custom.deleteClusterCustomObject({ ...group, plural: 'projects', name: projectName }).catch(() => undefined);
    await custom.deleteClusterCustomObject({ ...group, plural: 'clustertemplates', name: templateName }).catch(() => undefined);
    // The manager's admission webhooks must not outlive it, or later files' project namespaces would be refused.
    await removeAdmissionWebhooks(env.kubeConfig);
    await rm(home, { recursive: true, force: true });
    for (const userHome of homes.values()) await rm(userHome, { recursive: true, force: true });
  });

  test('a cluster of the project becomes Ready', async () => {
    const client = clientFor(env.kubeConfig);
    const cluster: Cluster = { apiVersion: API_VERSION, kind: 'Cluster', metadata: { name: clusterName, namespace }, spec: { templateRef: { name: templateName } } };
    await client.create({ apiVersion: API_VERSION, kind: 'Cluster', plural: 'clusters', namespaced: true }, cluster);
    await waitFor(
      async () => {
        const current = await client.get<Cluster>({ apiVersion: API_VERSION, kind: 'Cluster', plural: 'clusters', namespaced: true }, clusterName, namespace);
        return current?.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true;
      },
      { what: 'the project cluster to be Ready', timeoutMs: 120_000, intervalMs: 500 },
    );
  });

  test('each user logs in with the CLI and gets a kubeconfig that holds no admin certificate', async () => {
    assert.ok(manager !== undefined);
    const caFile = join(home, 'issuer-ca.pem');
    await writeFile(caFile, env.identity.caPem);
    for (const name of ['alice', 'bob', 'dave', 'carol']) {
      const userHome = await mkdtemp(join(tmpdir(), `beamline-e2e-${name}-`));
      homes.set(name, userHome);
      await login(name, userHome, env.identity.issuer, caFile, manager.url);
      const management = join(userHome, 'identity', 'management.kubeconfig');
      const run = await runCli(['cluster', 'kubeconfig', clusterName, '-n', namespace, '--kubeconfig', management], { ...process.env, BEAMLINE_HOME: userHome, KUBECONFIG: '' });
      if (name === 'carol') {
        // Another project's user cannot even read the Cluster.
        assert.notEqual(run.code, 0, `carol got a kubeconfig: ${run.stdout}`);
        continue;
      }
      assert.equal(run.code, 0, `${name}: ${run.stderr}`);
      assert.doesNotMatch(run.stdout, /client-key-data|client-certificate-data/, 'no admin certificate for a tenant');
      assert.match(run.stdout, /exec:/);
      const path = join(userHome, 'lab.kubeconfig');
      await writeFile(path, run.stdout, { mode: 0o600 });
      kubeconfigs.set(name, path);
    }
  });

  test('kubectl on the workload cluster: owner cluster-admin, member edit, viewer view', async () => {
    const as = (name: string, ...args: string[]): Promise<CliRun> => kubectl(homes.get(name) ?? '', kubeconfigs.get(name) ?? '', ...args);
    const who = await as('bob', 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.stdout, `oidc:${user('bob').email}`);

    const ok = (run: CliRun, what: string): void => assert.equal(run.code, 0, `${what}: ${run.stderr}`);
    const forbidden = (run: CliRun, what: string): void => {
      assert.notEqual(run.code, 0, `${what} was allowed: ${run.stdout}`);
      assert.match(run.stderr, /forbidden/i, what);
    };
    ok(await as('bob', 'create', 'configmap', 'by-bob', '-n', 'default', '--from-literal=a=b'), 'a member creates a ConfigMap');
    forbidden(await as('bob', 'create', 'clusterrole', 'by-bob', '--verb=get', '--resource=pods'), 'a member creates a ClusterRole');
    ok(await as('dave', 'get', 'configmap', 'by-bob', '-n', 'default'), 'a viewer reads');
    forbidden(await as('dave', 'delete', 'configmap', 'by-bob', '-n', 'default'), 'a viewer deletes');
    ok(await as('alice', 'create', 'clusterrole', 'by-alice', '--verb=get', '--resource=pods'), 'an owner creates a ClusterRole');
  });
  test('project list shows a member the projects they belong to, and nobody else\'s', async () => {
    const listAs = (name: string): Promise<CliRun> =>
      runCli(['project', 'list', '-o', 'name', '--kubeconfig', join(homes.get(name) ?? '', 'identity', 'management.kubeconfig')], {
        ...process.env,
        BEAMLINE_HOME: homes.get(name) ?? '',
        KUBECONFIG: '',
      });
    const bob = await listAs('bob');
    assert.equal(bob.code, 0, bob.stderr);
    assert.deepEqual(bob.stdout.trim().split('\n'), [`project/${projectName}`]);
    const carol = await listAs('carol');
    assert.equal(carol.code, 0, carol.stderr);
    assert.ok(!carol.stdout.includes(projectName), carol.stdout);
  });
  test('an owner manages the members with the CLI; a member may not', async () => {
    const as = (name: string, ...args: string[]): Promise<CliRun> =>
      runCli([...args, '--kubeconfig', join(homes.get(name) ?? '', 'identity', 'management.kubeconfig')], { ...process.env, BEAMLINE_HOME: homes.get(name) ?? '', KUBECONFIG: '' });
    const added = await as('alice', 'project', 'set-member', projectName, 'group:chemistry', '--role', 'viewer');
    assert.equal(added.code, 0, added.stderr);
    const project = await clientFor(env.kubeConfig).get<Project>({ apiVersion: API_VERSION, kind: 'Project', plural: 'projects', namespaced: false }, projectName);
    assert.ok(project?.spec.members.some((member) => member.kind === 'Group' && member.name === 'chemistry' && member.role === 'viewer'));
    const refused = await as('bob', 'project', 'remove-member', projectName, 'group:chemistry');
    assert.notEqual(refused.code, 0, 'a member changed the members');
    assert.match(refused.stderr, /cannot patch resource "projects"/);
    const removed = await as('alice', 'project', 'remove-member', projectName, 'group:chemistry');
    assert.equal(removed.code, 0, removed.stderr);
  });
});
