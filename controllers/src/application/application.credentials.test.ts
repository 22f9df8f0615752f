// Private repositories: the Application controller in a manager of this process, against the run's
// shared apiserver, reading a git repository served by `git http-backend` that requires basic auth.
// Credentials come from a Secret (credentialsSecretRef); an app without them must not get the
// private commit another app fetched, and the password shows nowhere: status, events, or the
// command line of any process started while fetching.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { API_VERSION, type Application, type ApplicationSpec } from '@beamline/api';
import { installApi } from '@beamline/install';
import { startGitFixture, type GitFixture } from '@beamline/gitops/testing';
import { clientFor, type KubeClient, type KubeObject, type ResourceType } from '@beamline/kube';
import { uniqueName, useTestEnv } from '@beamline/testenv';
import { RESOURCES } from '../resources.ts';
import { startGitopsInProcess, type GitopsInProcess } from './testing/gitops-in-process.ts';
import { waitForAppStatus } from './testing/wait-for-app.ts';

const env = useTestEnv('gitops-creds');

const CONFIG_MAPS: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const NAMESPACES: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
const AUTH = { username: 'deploy-bot', password: 'pr1vate-t0ken-4f9c' };

/** Every command line on the machine, read from /proc (what `ps` shows any local user). */
async function commandLines(): Promise<string[]> {
  const lines: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const text = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (text !== '') lines.push(text.split('\0').join(' '));
  }
  return lines;
}

describe('Application controller with repository credentials', () => {
  let fixture: GitFixture;
  let workDir: string;
  let running: GitopsInProcess | undefined;
  let savedPath: string | undefined;
  /** Every argv the manager gave git, one per line: written by a `git` wrapper first on PATH. */
  let gitLog: string;
  const client = (): KubeClient => clientFor(env.kubeConfig);
  const destinations: string[] = [];

  before(async () => {
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace });
    fixture = await startGitFixture({ files: { 'private/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: secret-plans\ndata:\n  plan: world\n' }, auth: AUTH });
    await client().create(RESOURCES.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'repo-creds', namespace: env.namespace },
      stringData: { username: AUTH.username, password: AUTH.password },
    });
    workDir = await mkdtemp(join(tmpdir(), 'beamline-gitops-creds-'));
    // A git first on PATH that records its arguments and runs the real one: the command lines the
    // manager starts, all of them (sampling /proc alone can miss a short-lived process).
    const realGit = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'git')).find((candidate) => existsSync(candidate)) ?? '/usr/bin/git';
    const wrapperDir = join(workDir, 'bin');
    gitLog = join(workDir, 'git-argv.log');
    await mkdir(wrapperDir);
    await writeFile(join(wrapperDir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${gitLog}'\nexec '${realGit}' "$@"\n`);
    await chmod(join(wrapperDir, 'git'), 0o755);
    savedPath = process.env.PATH;
    process.env.PATH = `${wrapperDir}:${savedPath ?? ''}`;
    running = await startGitopsInProcess(env, workDir);
  });

  after(async () => {
    const apps = await client().list<Application>(RESOURCES.application, { namespace: env.namespace });
    await Promise.all(apps.items.map((app) => client().delete(RESOURCES.application, app.metadata.name ?? '', env.namespace)));
    await running?.stop();
    await Promise.all(destinations.map((name) => client().delete(NAMESPACES, name)));
    await fixture?.stop();
    if (savedPath !== undefined) process.env.PATH = savedPath;
    await rm(workDir, { recursive: true, force: true });
  });

  async function createApp(name: string, source: ApplicationSpec['source']): Promise<string> {
    const namespace = uniqueName('dest');
    destinations.push(namespace);
    await client().create(RESOURCES.application, {
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: env.namespace },
      spec: { source, destination: { cluster: 'in-cluster', namespace }, syncPolicy: { automated: {}, syncOptions: { createNamespace: true } } },
    });
    return namespace;
  }

  const getApp = async (name: string): Promise<Application> => {
    const app = await client().get<Application>(RESOURCES.application, name, env.namespace);
    assert.ok(app !== undefined, `Application ${name} exists`);
    return app;
  };
  const ready = (app: Application): { status: string; reason: string; message: string } | undefined => app.status?.conditions?.find((entry) => entry.type === 'Ready');
  const eventsOf = async (name: string): Promise<string> => {
    const events = await client().list<KubeObject & { involvedObject?: { name?: string }; message?: string; reason?: string }>(RESOURCES.event, { namespace: env.namespace });
    return JSON.stringify(events.items.filter((event) => event.involvedObject?.name === name));
  };
  const assertNoSecret = (text: string, where: string): void => {
    assert.ok(!text.includes(AUTH.password), `${where} shows the password: ${text}`);
    assert.ok(!text.includes(Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')), `${where} shows the basic-auth header`);
  };

  test('an app with credentialsSecretRef syncs the private repository; the password is in no status, event or command line', async () => {
    // What `ps` shows while the app fetches: sampled until it is synced.
    const seen = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const line of await commandLines()) if (/git|helm|ssh/.test(line)) seen.add(line);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const name = uniqueName('private');
    const namespace = await createApp(name, { repoURL: fixture.url, targetRevision: 'main', path: 'private', credentialsSecretRef: { name: 'repo-creds' } });
    let synced: Application;
    try {
      synced = await waitForAppStatus(getApp, name, 'private app Synced', (app) => app.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy', 60_000);
    } finally {
      sampling = false;
      await sampler;
    }
    assert.equal(synced.status?.sync?.revision, await fixture.repository.revParse('main'));
    assert.deepEqual((await client().get<KubeObject & { data?: unknown }>(CONFIG_MAPS, 'secret-plans', namespace))?.data, { plan: 'world' });
    const argvs = await readFile(gitLog, 'utf8');
    assert.match(argvs, /(^|\n)\S.*\b(ls-remote|fetch)\b/, 'the manager ran git ls-remote or fetch');
    assertNoSecret(argvs, 'a git command line');
    // Processes git starts itself (remote helpers, the credential helper) as far as sampling saw them.
    for (const line of seen) assertNoSecret(line, 'a command line');
    assertNoSecret(JSON.stringify(synced), 'the Application');
    assertNoSecret(await eventsOf(name), 'the events');
    // The fixture server saw fetches with credentials only after asking (401 first).
    assert.ok(fixture.server.requests.some((request) => request.status === 401));
  });

  test('an app without credentials pinned to the full sha another app fetched gets FetchFailed, nothing applied', async () => {
    const sha = await fixture.repository.revParse('main');
    // The private app of the previous test fetched it; make sure it is in a mirror right now.
    const keeper = uniqueName('keeper');
    await createApp(keeper, { repoURL: fixture.url, targetRevision: sha, path: 'private', credentialsSecretRef: { name: 'repo-creds' } });
    await waitForAppStatus(getApp, keeper, 'keeper Synced', (app) => app.status?.sync?.status === 'Synced', 60_000);

    const name = uniqueName('thief');
    const namespace = await createApp(name, { repoURL: fixture.url, targetRevision: sha, path: 'private' });
    const failed = await waitForAppStatus(getApp, name, 'thief FetchFailed', (app) => ready(app)?.reason === 'FetchFailed', 60_000);
    assert.match(ready(failed)?.message ?? '', /could not read Username|Authentication failed|401|terminal prompts disabled/i);
    assert.equal(await client().get(CONFIG_MAPS, 'secret-plans', namespace), undefined);
    assert.equal(failed.status?.sync?.revision, undefined);

    // A Secret that does not exist (or is in another namespace) is reported, not worked around.
    const missing = uniqueName('missing');
    await createApp(missing, { repoURL: fixture.url, targetRevision: sha, path: 'private', credentialsSecretRef: { name: 'no-such-secret' } });
    const refused = await waitForAppStatus(getApp, missing, 'missing Secret FetchFailed', (app) => ready(app)?.reason === 'FetchFailed', 60_000);
    assert.match(ready(refused)?.message ?? '', new RegExp(`Secret ${env.namespace}/no-such-secret \\(credentialsSecretRef\\) not found`));
  });
});
