// The portal's Applications pages in a real browser, as a project owner and a viewer meet them:
// Debian's chromium (playwright-core) on the real `beamline manager` process of the run's shared
// control plane, logging in through the run's real OIDC provider, a git repository served by the
// real `git http-backend`, and a real kwok Cluster of the project. alice (group physics, owner)
// creates an application in the form (validated as she types), syncs it from the preview, sees
// an update and a prune in the next preview, and rolls back from the history; dave (group
// physics-viewers, viewer) is offered none of those actions.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { API_VERSION, projectNamespace, type Application, type Cluster, type ClusterTemplate, type Project } from '@beamline/api';
import { destroyControlPlane } from '@beamline/control-plane';
import { startGitFixture, type GitFixture } from '@beamline/gitops/testing';
import { defaultTemplates, installApi } from '@beamline/install';
import { clientFor, type ResourceType } from '@beamline/kube';
import { DEMO_USERS } from '@beamline/oidc-provider';
import { processesMentioning, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { judgePage, logIn } from './testing/portal-page.ts';
import { launchBrowser, type TestBrowser } from './testing/browser.ts';
import { removeAdmissionWebhooks, useRunIdentity } from './testing/identity.ts';
import { startManagerProcess, type ManagerProcess } from './testing/manager-process.ts';

const env = useTestEnv('portal-apps');
const suffix = uniqueName('a').slice(2);
const FIELD_MANAGER = 'e2e-portal-apps';
const templateName = `small-${suffix}`;
const project = `apps-${suffix}`;
const namespace = projectNamespace(project);
const cluster = `lab-${suffix}`;
const APP = 'web';
const alice = DEMO_USERS.find((user) => user.username === 'alice');
const dave = DEMO_USERS.find((user) => user.username === 'dave');

const PROJECTS: ResourceType = { apiVersion: API_VERSION, kind: 'Project', plural: 'projects', namespaced: false };
const CLUSTERS: ResourceType = { apiVersion: API_VERSION, kind: 'Cluster', plural: 'clusters', namespaced: true };
const APPLICATIONS: ResourceType = { apiVersion: API_VERSION, kind: 'Application', plural: 'applications', namespaced: true };
const TEMPLATES: ResourceType = { apiVersion: API_VERSION, kind: 'ClusterTemplate', plural: 'clustertemplates', namespaced: false };
const NAMESPACES: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };

const configMap = (name: string, data: Record<string, string>): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data)
    .map(([key, value]) => `  ${key}: ${JSON.stringify(value)}\n`)
    .join('')}`;
// One replica: kwok makes its pod ready, so the app becomes Healthy.
const DEPLOYMENT = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: web',
  'spec:',
  '  replicas: 1',
  '  selector:',
  '    matchLabels: { app: web }',
  '  template:',
  '    metadata:',
  '      labels: { app: web }',
  '    spec:',
  '      containers:',
  '        - name: web',
  '          image: nginx:1.27',
  '',
].join('\n');

/**
 * Responses of status >= 400 the app expects and handles: the dry runs of the create form that
 * the apiserver refuses (422, shown next to their field).
 */
function expected(response: { readonly status: number; readonly url: string }): boolean {
  const url = new URL(response.url);
  return response.status === 422 && url.searchParams.get('dryRun') === 'All' && url.pathname === `/api/kube/apis/beamline.dev/v1alpha1/namespaces/${namespace}/applications`;
}

/** The list's link to the test's app: in the row of its project (other tests' projects may have a `web` too). */
const appLink = (page: Page) => page.getByRole('row').filter({ hasText: project }).getByRole('link', { name: APP, exact: true });

/** The badge of the facts list reading exactly `word` (Synced, OutOfSync, Healthy…). */
const factBadge = (page: Page, word: string) => page.locator('dl.facts .badge').getByText(word, { exact: true });

describe('the portal in a browser: applications, sync with a preview, rollback, and a viewer', () => {
  let home: string;
  let fixture: GitFixture | undefined;
  let manager: ManagerProcess | undefined;
  let browser: TestBrowser | undefined;
  let viewerBrowser: TestBrowser | undefined;
  let page: Page | undefined;
  let firstCommit = '';
  const client = (): ReturnType<typeof clientFor> => clientFor(env.kubeConfig);
  const getApp = async (): Promise<Application> => {
    const app = await client().get<Application>(APPLICATIONS, APP, namespace);
    assert.ok(app !== undefined, `the Application ${namespace}/${APP} exists`);
    return app;
  };

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'beamline-e2e-portal-apps-'));
    const small = defaultTemplates().find((t) => t.metadata.name === 'small');
    assert.ok(small !== undefined);
    const templates: ClusterTemplate[] = [{ ...small, metadata: { ...small.metadata, name: templateName } }];
    await installApi(env.kubeConfig, { templates, probeNamespace: env.namespace });
    await useRunIdentity(env.kubeConfig, env.identity, FIELD_MANAGER);
    fixture = await startGitFixture({
      files: {
        'web/deploy.yaml': DEPLOYMENT,
        'web/config.yaml': configMap('web-config', { colour: 'red' }),
        'web/extra.yaml': configMap('web-extra', { size: 'small' }),
      },
    });
    firstCommit = await fixture.repository.revParse('main');
    const body: Project = {
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: project },
      spec: {
        displayName: `${project} (e2e)`,
        members: [
          { kind: 'Group', name: 'physics', role: 'owner' },
          { kind: 'Group', name: 'physics-viewers', role: 'viewer' },
        ],
        templates: [templateName],
      },
    };
    await client().create(PROJECTS, body);
    manager = await startManagerProcess({ kubeconfigPath: env.kubeconfigPath, home, leaseNamespace: env.namespace, logFile: join(home, 'manager.log') });
    await waitFor(async () => (await client().get(NAMESPACES, namespace).catch(() => undefined)) !== undefined, { what: `the project namespace ${namespace}`, timeoutMs: 60_000 });
    // As the platform admin, one node: the app's pod needs one, and one starts fastest.
    const clusterBody: Cluster = {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name: cluster, namespace },
      spec: { templateRef: { name: templateName }, nodeGroups: [{ name: 'default', flavor: 'm1.small', replicas: 1 }] },
    };
    await waitFor(async () => client().create(CLUSTERS, clusterBody).then(() => true).catch(() => false), { what: `the Cluster ${cluster} to be admitted`, timeoutMs: 60_000 });
    await waitFor(
      async () => (await client().get<Cluster>(CLUSTERS, cluster, namespace))?.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true,
      { what: `the Cluster ${cluster} to be Ready`, timeoutMs: 180_000, intervalMs: 1000 },
    );
    browser = await launchBrowser({ ignoreHTTPSErrors: true });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await viewerBrowser?.close();
    const admin = client();
    const noFinalizers = { metadata: { finalizers: [] } };
    // The app first, while the manager still runs to delete what it delivered; then by hand.
    await admin.delete(APPLICATIONS, APP, namespace).catch(() => undefined);
    await waitFor(async () => (await admin.get(APPLICATIONS, APP, namespace)) === undefined, { what: 'the application to be deleted', timeoutMs: 30_000 }).catch(() => undefined);
    await admin.patch(APPLICATIONS, APP, namespace, noFinalizers, 'merge').catch(() => undefined);
    await admin.delete(APPLICATIONS, APP, namespace).catch(() => undefined);
    await admin.delete(CLUSTERS, cluster, namespace).catch(() => undefined);
    await waitFor(async () => (await admin.get(CLUSTERS, cluster, namespace)) === undefined, { what: 'the cluster to be deleted', timeoutMs: 60_000 }).catch(() => undefined);
    await manager?.stop();
    if (home !== undefined) await destroyControlPlane(join(home, 'clusters', namespace, cluster)).catch(() => undefined);
    await admin.patch(CLUSTERS, cluster, namespace, noFinalizers, 'merge').catch(() => undefined);
    await admin.delete(CLUSTERS, cluster, namespace).catch(() => undefined);
    await admin.patch(PROJECTS, project, undefined, noFinalizers, 'merge').catch(() => undefined);
    await admin.delete(PROJECTS, project).catch(() => undefined);
    await admin.patch(TEMPLATES, templateName, undefined, noFinalizers, 'merge').catch(() => undefined);
    await admin.delete(TEMPLATES, templateName).catch(() => undefined);
    // The manager's admission webhooks must not outlive it, or later files' project namespaces would be refused.
    await removeAdmissionWebhooks(env.kubeConfig);
    await fixture?.stop();
    if (home !== undefined) {
      assert.deepEqual(await processesMentioning(home), [], 'no process of the test home is left');
      await rm(home, { recursive: true, force: true });
    }
  });

  test('alice creates an application in the form, validated as she types', async () => {
    assert.ok(manager !== undefined && page !== undefined && browser !== undefined && alice !== undefined && fixture !== undefined);
    await logIn(page, manager.url, env.identity.issuer, alice);
    await page.getByRole('navigation').getByRole('link', { name: 'Applications', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
    await page.getByRole('link', { name: 'New application' }).click();
    await page.getByRole('heading', { level: 1, name: 'New application' }).waitFor();
    await page.getByLabel('Project namespace').selectOption(namespace);
    await page.getByLabel('Name', { exact: true }).fill(APP);
    // A local check, next to its field.
    await page.getByLabel('Git repository URL').fill('ftp://example.org/x');
    await page.locator('.field-invalid', { has: page.getByLabel('Git repository URL') }).getByText(/start with https:\/\//).waitFor();
    await page.getByLabel('Git repository URL').fill(fixture.url);
    await page.getByLabel('Path').fill('web');
    await page.getByLabel('Cluster', { exact: true }).locator(`option[value="${cluster}"]`).waitFor({ state: 'attached' });
    await page.getByLabel('Cluster', { exact: true }).selectOption(cluster);
    await page.getByLabel('Namespace', { exact: true }).fill('web');
    await page.getByLabel('Create the namespace').check();
    // The apiserver's own rule (at most 255 characters), from the dry run, next to its field.
    await page.getByLabel('Revision').fill('x'.repeat(256));
    await page.locator('.field-invalid', { has: page.getByLabel('Revision') }).getByText(/255/).waitFor({ timeout: 15_000 });
    await page.getByLabel('Revision').fill('HEAD');
    await page.locator('.field-invalid', { has: page.getByLabel('Revision') }).waitFor({ state: 'detached', timeout: 15_000 });
    await judgePage(page, browser, 'application-create', expected);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL((url) => url.pathname === `/applications/${namespace}/${APP}`);
    await page.getByRole('heading', { level: 1, name: APP }).waitFor();
    const created = await getApp();
    assert.equal(created.spec.source.repoURL, fixture.url);
    assert.equal(created.spec.syncPolicy?.automated, undefined, 'manual sync: no automated policy');
    assert.equal(created.spec.syncPolicy?.syncOptions?.createNamespace, true);
  });

  test('the app shows OutOfSync; Sync previews the objects to create, runs, and the page shows it Synced and Healthy', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    await factBadge(page, 'OutOfSync').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Sync', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Sync ${APP}` });
    await dialog.getByRole('heading', { name: /^Will be created \(3\)$/ }).waitFor({ timeout: 30_000 });
    for (const object of ['Deployment.apps web/web', 'ConfigMap web/web-config', 'ConfigMap web/web-extra']) await dialog.getByText(object, { exact: true }).waitFor();
    await judgePage(page, browser, 'application-sync-preview', expected);
    await dialog.getByRole('button', { name: 'Sync', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await factBadge(page, 'Synced').waitFor({ timeout: 120_000 });
    await factBadge(page, 'Healthy').waitFor({ timeout: 120_000 });
    // Per object in the tree, and the operation's result.
    await page.getByRole('tree').getByRole('treeitem', { name: /^web-config\s*: sync Synced\s*, health Healthy/ }).waitFor();
    // The tree by keyboard: one tab stop; Left closes, Right opens, Down moves to the next item.
    const namespaceItem = page.getByRole('tree').getByRole('treeitem', { level: 1 });
    await namespaceItem.focus();
    await page.keyboard.press('ArrowLeft');
    assert.equal(await namespaceItem.getAttribute('aria-expanded'), 'false', 'Left closes the namespace');
    await page.keyboard.press('ArrowRight');
    assert.equal(await namespaceItem.getAttribute('aria-expanded'), 'true', 'Right opens it again');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator(':focus').getAttribute('aria-level'), '2', 'Down moves to the first kind');
    await page.getByRole('status').getByText('Succeeded', { exact: true }).waitFor();
    const synced = await getApp();
    assert.equal(synced.status?.sync?.revision, firstCommit);
    assert.equal(synced.status?.operationState?.initiatedBy, 'manual');
    await judgePage(page, browser, 'application-detail', expected);
    // Dark, as the OS may ask: the same checks (contrast of badges and links included).
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await judgePage(page, browser, 'application-detail-dark', expected);
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });

  test('a commit that changes one object and deletes another: the preview shows the diff, and the prune only with Prune ticked', async () => {
    assert.ok(page !== undefined && browser !== undefined && fixture !== undefined);
    await fixture.repository.commit({ 'web/config.yaml': configMap('web-config', { colour: 'blue' }) }, { message: 'web: blue' });
    const second = await fixture.repository.deleteFile('web/extra.yaml', { message: 'web: no extra' });
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await factBadge(page, 'OutOfSync').waitFor({ timeout: 60_000 });
    // The Diff tab, reached with the arrow keys from the Resources tab: what a pruning sync would do.
    await page.getByRole('tab', { name: 'Resources' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'Diff' }).getAttribute('aria-selected'), 'true', 'Right selects the next tab');
    const diffPanel = page.getByRole('tabpanel', { name: 'Diff' });
    await diffPanel.getByRole('heading', { name: /^Will be updated \(1\)$/ }).waitFor({ timeout: 30_000 });
    await diffPanel.getByRole('heading', { name: /^Will be deleted \(1\)$/ }).waitFor();
    await page.getByRole('button', { name: 'Sync', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Sync ${APP}` });
    await dialog.getByRole('heading', { name: /^Will be updated \(1\)$/ }).waitFor({ timeout: 30_000 });
    assert.equal(await dialog.getByRole('heading', { name: /^Will be deleted/ }).count(), 0, 'no deletions listed without Prune');
    await dialog.getByText('ConfigMap web/web-config', { exact: true }).click();
    const diff = dialog.getByLabel('Changes to ConfigMap web/web-config');
    await diff.getByText(/blue/).first().waitFor();
    await diff.locator('.diff-remove', { hasText: 'red' }).first().waitFor();
    await dialog.getByLabel('Prune').check();
    await dialog.getByRole('heading', { name: /^Will be deleted \(1\)$/ }).waitFor({ timeout: 30_000 });
    await dialog.locator('.prune-list').getByText('ConfigMap web/web-extra', { exact: true }).waitFor();
    await judgePage(page, browser, 'application-sync-prune', expected);
    await dialog.getByRole('button', { name: 'Sync', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitFor(async () => {
      const app = await getApp();
      return app.status?.sync?.revision === second && app.status.sync.status === 'Synced' && app.status.operationState?.phase === 'Succeeded' && (app.status.history?.length ?? 0) >= 2;
    }, { what: 'the second sync to finish', timeoutMs: 120_000, intervalMs: 500 });
    const pruned = (await getApp()).status?.operationState?.results?.find((result) => result.name === 'web-extra');
    assert.equal(pruned?.status, 'Pruned');
    await factBadge(page, 'Synced').waitFor({ timeout: 30_000 });
  });

  test('a rollback from the history (auto-sync off) applies the first entry again', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    await page.getByRole('tab', { name: 'History' }).click();
    const firstEntry = (await getApp()).status?.history?.[0];
    assert.ok(firstEntry !== undefined);
    // The newest entry offers no rollback; the older one does.
    const rollBack = page.getByRole('button', { name: `Roll back to ${firstEntry.id}` });
    await rollBack.waitFor();
    assert.equal(await page.getByRole('button', { name: /^Roll back to/ }).count(), 1, 'only entries other than the newest offer a rollback');
    await judgePage(page, browser, 'application-history', expected);
    await rollBack.click();
    const dialog = page.getByRole('dialog', { name: `Roll back ${APP}` });
    await dialog.getByRole('button', { name: 'Roll back', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitFor(async () => {
      const operation = (await getApp()).status?.operationState;
      return operation?.initiatedBy === 'rollback' && operation.rollbackTo === firstEntry.id && operation.phase === 'Succeeded';
    }, { what: 'the rollback to finish', timeoutMs: 120_000, intervalMs: 500 });
    await page.getByRole('status').getByText(`rollback to ${firstEntry.id}`, { exact: false }).waitFor({ timeout: 30_000 });
  });

  test('with auto-sync on, a rollback is explained and turns auto-sync off in the same write', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    await client().patch(APPLICATIONS, APP, namespace, { spec: { syncPolicy: { automated: { prune: true } } } }, 'merge');
    // Auto-sync takes the app back to the newest commit: a new history entry.
    const before = (await getApp()).status?.history?.length ?? 0;
    const synced = await waitFor(async () => {
      const app = await getApp();
      return (app.status?.history?.length ?? 0) > before && app.status?.operationState?.phase === 'Succeeded' ? app : undefined;
    }, { what: 'the automated sync after turning auto-sync on', timeoutMs: 120_000, intervalMs: 500 });
    const target = synced.status?.history?.[0];
    assert.ok(target !== undefined);
    await page.getByText('automated, prune').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: `Roll back to ${target.id}` }).click();
    const dialog = page.getByRole('dialog', { name: `Roll back ${APP}` });
    await dialog.getByText(/a rollback is refused while it is on/).waitFor();
    await judgePage(page, browser, 'application-rollback-auto-sync', expected);
    await dialog.getByRole('button', { name: 'Turn off auto-sync and roll back', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    const rolledBack = await waitFor(async () => {
      const app = await getApp();
      const operation = app.status?.operationState;
      return operation?.initiatedBy === 'rollback' && operation.rollbackTo === target.id && operation.phase === 'Succeeded' ? app : undefined;
    }, { what: 'the rollback with auto-sync turned off to finish', timeoutMs: 120_000, intervalMs: 500 });
    assert.equal(rolledBack.spec.syncPolicy?.automated, undefined, 'auto-sync was turned off by the same write');
    await page.getByText('manual; creates the namespace').waitFor({ timeout: 30_000 });
  });

  test('the list shows the app with its badges; the dashboard has the reconciler panel', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    await page.getByRole('navigation').getByRole('link', { name: 'Applications', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
    await page.getByLabel('Search').fill(APP);
    await page.waitForURL((url) => url.searchParams.get('search') === APP);
    await appLink(page).waitFor();
    await judgePage(page, browser, 'applications', expected);
    await page.getByRole('navigation').getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByRole('heading', { level: 2, name: 'Reconcilers' }).waitFor();
    await page.getByRole('table', { name: 'Readiness per kind' }).getByRole('rowheader', { name: 'Application' }).waitFor({ timeout: 30_000 });
    await page.getByRole('img', { name: /^Application ready: / }).waitFor();
    await judgePage(page, browser, 'dashboard-reconcilers', expected);
  });

  test('dave, a viewer, is offered no Sync, Refresh, Roll back, Delete or New application', async () => {
    assert.ok(manager !== undefined && dave !== undefined);
    viewerBrowser = await launchBrowser({ ignoreHTTPSErrors: true });
    const viewer = await viewerBrowser.newPage();
    await logIn(viewer, manager.url, env.identity.issuer, dave);
    // The answers of /api/access decide what is offered; wait for them rather than for a time.
    const asked = (verb: string) => viewer.waitForResponse((response) => {
      const url = new URL(response.url());
      return url.pathname === '/api/access' && url.searchParams.get('verb') === verb && url.searchParams.get('namespace') === namespace;
    });
    const patchAnswer = asked('patch');
    const deleteAnswer = asked('delete');
    await viewer.goto(`${manager.url}/applications/${namespace}/${APP}`);
    await viewer.getByRole('heading', { level: 1, name: APP }).waitFor();
    await factBadge(viewer, 'Healthy').waitFor({ timeout: 30_000 });
    await viewer.getByRole('tab', { name: 'History' }).click();
    await viewer.getByRole('table', { name: 'Sync history, newest first' }).waitFor();
    // The owner saw these buttons on the same page.
    assert.equal(((await (await patchAnswer).json()) as { allowed: boolean }).allowed, false);
    assert.equal(((await (await deleteAnswer).json()) as { allowed: boolean }).allowed, false);
    for (const name of ['Sync', 'Refresh', 'Delete']) assert.equal(await viewer.getByRole('button', { name, exact: true }).count(), 0, `no ${name} for a viewer`);
    assert.equal(await viewer.getByRole('button', { name: /^Roll back/ }).count(), 0, 'no Roll back for a viewer');
    await judgePage(viewer, viewerBrowser, 'application-detail-viewer', expected);
    const createAnswer = asked('create');
    await viewer.getByRole('navigation').getByRole('link', { name: 'Applications', exact: true }).click();
    await appLink(viewer).waitFor();
    assert.equal(((await (await createAnswer).json()) as { allowed: boolean }).allowed, false);
    await viewer.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
    assert.equal(await viewer.getByRole('link', { name: 'New application' }).count(), 0, 'no New application for a viewer');
    await judgePage(viewer, viewerBrowser, 'applications-viewer', expected);
  });

  test('alice deletes the application after typing its name', async () => {
    assert.ok(manager !== undefined && page !== undefined && browser !== undefined);
    await page.goto(`${manager.url}/applications/${namespace}/${APP}`);
    await page.getByRole('heading', { level: 1, name: APP }).waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${APP}` });
    const confirm = dialog.getByRole('button', { name: 'Delete', exact: true });
    assert.equal(await confirm.isDisabled(), true, 'Delete waits for the typed name');
    await dialog.getByLabel(`Type ${APP} to confirm`).fill(APP);
    await confirm.click();
    await page.waitForURL((url) => url.pathname === '/applications');
    await waitFor(async () => (await client().get(APPLICATIONS, APP, namespace)) === undefined, { what: 'the application to be deleted', timeoutMs: 120_000, intervalMs: 500 });
    // The list drops it live (other tests' projects of the same group may have apps of their own).
    await appLink(page).waitFor({ state: 'detached', timeout: 30_000 });
    assert.deepEqual(browser.errors.splice(0), [], 'console and page errors up to the delete');
  });
});
