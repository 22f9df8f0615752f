// The portal in a real browser, as a scientist meets it: Debian's chromium (playwright-core) on the
// real `beamline manager` process of the run's shared control plane, logging in through the run's
// real OIDC provider's pages (which allow a loopback `/auth/callback` on any port), then each page
// of the app: no console or page errors, no serious or critical accessibility violation (axe), only
// the clusters of the user's own project, live updates without reloading, dark mode, the keyboard,
// and logging out.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { API_VERSION, projectNamespace, type Application, type Cluster, type ClusterTemplate, type Project } from '@beamline/api';
import { destroyControlPlane } from '@beamline/control-plane';
import { defaultTemplates, installApi } from '@beamline/install';
import { clientFor, type ResourceType } from '@beamline/kube';
import { DEMO_USERS } from '@beamline/oidc-provider';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { assertNoErrors, seriousViolations } from './testing/portal-page.ts';
import { launchBrowser, type TestBrowser } from './testing/browser.ts';
import { removeAdmissionWebhooks, useRunIdentity } from './testing/identity.ts';
import { startManagerProcess, type ManagerProcess } from './testing/manager-process.ts';
import { saveScreenshot } from './testing/screenshots.ts';

const env = useTestEnv('portal-browser');
const suffix = uniqueName('p').slice(2);
const FIELD_MANAGER = 'e2e-portal-browser';
const templateName = `small-${suffix}`;
// bob is a member of `mine` (group physics-members); `theirs` belongs to carol's group only.
const mine = { project: `mine-${suffix}`, cluster: `lab-${suffix}` };
const theirs = { project: `theirs-${suffix}`, cluster: `other-${suffix}` };
const bob = DEMO_USERS.find((user) => user.username === 'bob');
/** An Application made while the browser watches, to see the dashboard change without a reload. */
const liveApp = `live-${suffix}`;

const PROJECTS: ResourceType = { apiVersion: API_VERSION, kind: 'Project', plural: 'projects', namespaced: false };
const CLUSTERS: ResourceType = { apiVersion: API_VERSION, kind: 'Cluster', plural: 'clusters', namespaced: true };
const TEMPLATES: ResourceType = { apiVersion: API_VERSION, kind: 'ClusterTemplate', plural: 'clustertemplates', namespaced: false };
const APPLICATIONS: ResourceType = { apiVersion: API_VERSION, kind: 'Application', plural: 'applications', namespaced: true };
const NAMESPACES: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };

/** The element with the keyboard focus: its text, id and tag (this package has no DOM types: the expression is a string). */
function focused(page: Page): Promise<{ text: string | null; id: string | null; tag: string | null }> {
  return page.evaluate('(() => { const e = document.activeElement; return { text: e?.textContent ?? null, id: e?.id ?? null, tag: e?.tagName ?? null }; })()');
}

describe('the portal in a browser: log in, every page, only your project', () => {
  let home: string;
  let manager: ManagerProcess | undefined;
  let browser: TestBrowser | undefined;
  let page: Page | undefined;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'beamline-e2e-portal-'));
    const small = defaultTemplates().find((t) => t.metadata.name === 'small');
    assert.ok(small !== undefined);
    const templates: ClusterTemplate[] = [{ ...small, metadata: { ...small.metadata, name: templateName } }];
    await installApi(env.kubeConfig, { templates, probeNamespace: env.namespace });
    await useRunIdentity(env.kubeConfig, env.identity, FIELD_MANAGER);
    const client = clientFor(env.kubeConfig);
    for (const [{ project }, group] of [
      [mine, 'physics-members'],
      [theirs, 'chemistry'],
    ] as const) {
      const body: Project = {
        apiVersion: API_VERSION,
        kind: 'Project',
        metadata: { name: project },
        spec: { displayName: `${project} (e2e)`, members: [{ kind: 'Group', name: group, role: 'member' }], templates: [templateName] },
      };
      await client.create(PROJECTS, body);
    }
    manager = await startManagerProcess({ kubeconfigPath: env.kubeconfigPath, home, leaseNamespace: env.namespace, logFile: join(home, 'manager.log') });
    for (const { project, cluster } of [mine, theirs]) {
      const namespace = projectNamespace(project);
      await waitFor(async () => (await client.get(NAMESPACES, namespace).catch(() => undefined)) !== undefined, { what: `the project namespace ${namespace}`, timeoutMs: 60_000 });
      // As the platform admin; the cluster need not become Ready for the portal to list it.
      const body: Cluster = { apiVersion: API_VERSION, kind: 'Cluster', metadata: { name: cluster, namespace }, spec: { templateRef: { name: templateName } } };
      await waitFor(async () => (await client.create(CLUSTERS, body).then(() => true).catch(() => false)), { what: `the Cluster ${cluster} to be admitted`, timeoutMs: 60_000 });
    }
    browser = await launchBrowser({ ignoreHTTPSErrors: true });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await manager?.stop();
    const client = clientFor(env.kubeConfig);
    for (const { project, cluster } of [mine, theirs]) {
      const namespace = projectNamespace(project);
      await destroyControlPlane(join(home, 'clusters', namespace, cluster)).catch(() => undefined);
      await client.patch(CLUSTERS, cluster, namespace, { metadata: { finalizers: [] } }, 'merge').catch(() => undefined);
      await client.delete(CLUSTERS, cluster, namespace).catch(() => undefined);
      await client.patch(APPLICATIONS, liveApp, namespace, { metadata: { finalizers: [] } }, 'merge').catch(() => undefined);
      await client.delete(APPLICATIONS, liveApp, namespace).catch(() => undefined);
      await client.patch(PROJECTS, project, undefined, { metadata: { finalizers: [] } }, 'merge').catch(() => undefined);
      await client.delete(PROJECTS, project).catch(() => undefined);
    }
    await client.delete(TEMPLATES, templateName).catch(() => undefined);
    // The manager's admission webhooks must not outlive it, or later files' project namespaces would be refused.
    await removeAdmissionWebhooks(env.kubeConfig);
    await rm(home, { recursive: true, force: true });
  });

  test('logs in through the provider and lands on the Dashboard with the user name', async () => {
    assert.ok(manager !== undefined && page !== undefined && bob !== undefined);
    const index = await fetch(`${manager.url}/`);
    assert.equal(index.status, 200, `the manager serves the app (is it built? npm run build:portal): ${await index.text()}`);
    await page.goto(`${manager.url}/`);
    await page.getByRole('link', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.href.startsWith(env.identity.issuer));
    await page.getByLabel('User name').fill(bob.username);
    await page.getByLabel('Password').fill(bob.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(manager?.url ?? 'no manager'));
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await page.getByText(bob.username, { exact: false }).first().waitFor();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
  });

  for (const name of ['Dashboard', 'Clusters', 'Projects', 'Templates'] as const) {
    test(`${name}: reached from the navigation, no errors, no serious accessibility violation`, async () => {
      assert.ok(page !== undefined && browser !== undefined);
      await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { level: 1, name }).waitFor();
      // Let the page's data arrive (or its error state show) before judging it.
      await page.waitForLoadState('networkidle').catch(() => undefined);
      assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`);
      assertNoErrors(browser, name);
      assert.ok((await saveScreenshot(page, name.toLowerCase())) > 1000, 'a screenshot of the page');
    });
  }

  test("Clusters and the Dashboard show the user's project and its cluster, not another project's", async () => {
    assert.ok(page !== undefined);
    await page.getByRole('navigation').getByRole('link', { name: 'Clusters', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Clusters' }).waitFor();
    await page.getByText(mine.cluster, { exact: true }).first().waitFor();
    assert.equal(await page.getByText(theirs.cluster).count(), 0, `${theirs.cluster} of another project is not shown`);
    // The dashboard's per-project rows likewise.
    await page.getByRole('navigation').getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByText(mine.project, { exact: true }).first().waitFor();
    assert.equal(await page.getByText(theirs.project).count(), 0, `${theirs.project}, another project, is not on the dashboard`);
  });

  test('the dashboard changes without a reload when an Application appears (the live event stream)', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    await page.getByRole('navigation').getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByText('Live updates on').waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: mine.project, exact: true }) });
    await row.waitFor();
    const before = await row.getByRole('cell').last().innerText();
    assert.match(before, /^0\b/, `no applications in ${mine.project} yet: ${before}`);
    const namespace = projectNamespace(mine.project);
    // As the platform admin; it need not deliver anything (its cluster has no kubeconfig yet), only exist.
    const app: Application = {
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: liveApp, namespace },
      spec: { source: { repoURL: 'https://git.example.invalid/never.git' }, destination: { cluster: mine.cluster, namespace: 'default' } },
    };
    await clientFor(env.kubeConfig).create(APPLICATIONS, app);
    // No navigation and no reload: the count moves because the stream said something changed.
    await row.getByRole('cell').last().filter({ hasText: /^1\b/ }).waitFor({ timeout: 30_000 });
    assertNoErrors(browser, 'the live update');
  });

  test('dark mode follows the OS and passes the same accessibility check', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      const background = await page.evaluate<string>('getComputedStyle(document.documentElement).backgroundColor');
      assert.equal(background, 'rgb(13, 17, 23)', 'the dark background');
      assert.deepEqual(await seriousViolations(page), [], 'axe on the dark dashboard');
      await saveScreenshot(page, 'dashboard-dark');
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
    assertNoErrors(browser, 'dark mode');
  });

  test('the keyboard alone reaches the content and every page', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    await page.goto(`${manager?.url ?? ''}/`);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    // The first Tab lands on the skip link, which takes focus to the content.
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).text, 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal((await focused(page)).id, 'main');
    // Tab on to the Projects link of the navigation and follow it with Enter.
    await page.evaluate('document.activeElement?.blur()');
    for (let presses = 0; presses < 20 && (await focused(page)).text !== 'Projects'; presses++) await page.keyboard.press('Tab');
    assert.equal((await focused(page)).text, 'Projects', 'the Projects link is reachable with Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Projects' }).waitFor();
    // The new page's heading takes the focus (in an effect after the render), so a screen reader announces it.
    await page.waitForFunction("document.activeElement?.tagName === 'H1'", undefined, { timeout: 10_000 }).catch(() => undefined);
    assert.equal((await focused(page)).tag, 'H1');
    assertNoErrors(browser, 'keyboard use');
  });

  test('logging out ends the session: the login page, and the API answers as for a stranger', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    const session = await page.evaluate(async () => (await fetch('/api/session')).json());
    assert.deepEqual(session, { authenticated: false });
    const fleet = await page.evaluate(async () => (await fetch('/api/fleet')).status);
    assert.equal(fleet, 401);
    browser.failedResponses.splice(0);
    await page.goto(`${manager?.url ?? ''}/clusters`);
    await page.getByRole('link', { name: 'Log in' }).waitFor();
    assert.equal(await page.getByText(mine.cluster).count(), 0, 'no data without a session');
    assertNoErrors(browser, 'logging out');
  });
});
