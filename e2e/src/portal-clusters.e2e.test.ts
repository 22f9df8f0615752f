// The portal's Clusters pages in a real browser, as a project owner and as a viewer meet them:
// Debian's chromium (playwright-core) on the real `beamline manager` process of the run's shared
// control plane, which provisions real kwok workload clusters; login through the run's real OIDC
// provider. alice (group physics, the project's owner) creates a cluster from a template in the
// form (a field error shows as she types), watches it become Running and Ready, scales a node
// group, downloads the kubeconfig, and deletes it with its typed name; dave (group
// physics-viewers, viewer) is offered no Create, Scale or Delete. No console errors, no unexpected
// failed request, no serious or critical axe violation on any page.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { API_VERSION, projectNamespace, type Cluster, type ClusterTemplate, type Project } from '@beamline/api';
import { destroyControlPlane } from '@beamline/control-plane';
import { defaultTemplates, installApi } from '@beamline/install';
import { clientFor, type ResourceType } from '@beamline/kube';
import { DEMO_USERS } from '@beamline/oidc-provider';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { assertNoErrors, judgePage, logIn, seriousViolations } from './testing/portal-page.ts';
import { launchBrowser, type TestBrowser } from './testing/browser.ts';
import { removeAdmissionWebhooks, useRunIdentity } from './testing/identity.ts';
import { startManagerProcess, type ManagerProcess } from './testing/manager-process.ts';
import { saveScreenshot } from './testing/screenshots.ts';

const env = useTestEnv('portal-clusters');
const suffix = uniqueName('c').slice(2);
const FIELD_MANAGER = 'e2e-portal-clusters';
const templateName = `small-${suffix}`;
const project = `physics-${suffix}`;
const namespace = projectNamespace(project);
/** Made by alice in the form. */
const created = `lab-${suffix}`;
/** Made by the admin before the test, for dave to look at. */
const viewed = `seen-${suffix}`;
const alice = DEMO_USERS.find((user) => user.username === 'alice');
const dave = DEMO_USERS.find((user) => user.username === 'dave');
/** A workload cluster's control plane starts in seconds here, but the machine may be loaded. */
const PROVISION_TIMEOUT_MS = 120_000;

const PROJECTS: ResourceType = { apiVersion: API_VERSION, kind: 'Project', plural: 'projects', namespaced: false };
const CLUSTERS: ResourceType = { apiVersion: API_VERSION, kind: 'Cluster', plural: 'clusters', namespaced: true };
const TEMPLATES: ResourceType = { apiVersion: API_VERSION, kind: 'ClusterTemplate', plural: 'clustertemplates', namespaced: false };
const NAMESPACES: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };

/** The table after the heading `name` (each section has one). */
function tableUnder(page: Page, name: string): ReturnType<Page['locator']> {
  return page.getByRole('region', { name, exact: true }).getByRole('table');
}

describe('the portal Clusters pages in a browser: create, watch, scale, kubeconfig, delete; a viewer is offered none of it', () => {
  let home: string;
  let manager: ManagerProcess | undefined;
  let browser: TestBrowser | undefined;
  let viewer: TestBrowser | undefined;
  let page: Page | undefined;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'beamline-e2e-portal-clusters-'));
    const small = defaultTemplates().find((t) => t.metadata.name === 'small');
    assert.ok(small !== undefined);
    const templates: ClusterTemplate[] = [{ ...small, metadata: { ...small.metadata, name: templateName } }];
    await installApi(env.kubeConfig, { templates, probeNamespace: env.namespace });
    await useRunIdentity(env.kubeConfig, env.identity, FIELD_MANAGER);
    const client = clientFor(env.kubeConfig);
    const body: Project = {
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: project },
      spec: {
        displayName: `Physics ${suffix} (e2e)`,
        members: [
          { kind: 'Group', name: 'physics', role: 'owner' },
          { kind: 'Group', name: 'physics-viewers', role: 'viewer' },
        ],
        templates: [templateName],
        // 6 nodes: the viewed cluster's 3 and the created one's 2, then 3 after scaling; 4 would exceed it.
        quota: { nodes: 6 },
      },
    };
    await client.create(PROJECTS, body);
    manager = await startManagerProcess({ kubeconfigPath: env.kubeconfigPath, home, leaseNamespace: env.namespace, logFile: join(home, 'manager.log') });
    await waitFor(async () => (await client.get(NAMESPACES, namespace).catch(() => undefined)) !== undefined, { what: `the project namespace ${namespace}`, timeoutMs: 60_000 });
    const seen: Cluster = { apiVersion: API_VERSION, kind: 'Cluster', metadata: { name: viewed, namespace }, spec: { templateRef: { name: templateName } } };
    await waitFor(async () => (await client.create(CLUSTERS, seen).then(() => true).catch(() => false)), { what: `the Cluster ${viewed} to be admitted`, timeoutMs: 60_000 });
    browser = await launchBrowser({ ignoreHTTPSErrors: true });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await viewer?.close();
    await manager?.stop();
    const client = clientFor(env.kubeConfig);
    for (const cluster of [created, viewed]) {
      await destroyControlPlane(join(home, 'clusters', namespace, cluster)).catch(() => undefined);
      await client.patch(CLUSTERS, cluster, namespace, { metadata: { finalizers: [] } }, 'merge').catch(() => undefined);
      await client.delete(CLUSTERS, cluster, namespace).catch(() => undefined);
    }
    await client.patch(PROJECTS, project, undefined, { metadata: { finalizers: [] } }, 'merge').catch(() => undefined);
    await client.delete(PROJECTS, project).catch(() => undefined);
    await client.delete(TEMPLATES, templateName).catch(() => undefined);
    // The manager's admission webhooks must not outlive it, or later files' project namespaces would be refused.
    await removeAdmissionWebhooks(env.kubeConfig);
    await rm(home, { recursive: true, force: true });
  });

  test('the owner creates a cluster in the form: a field error as she types, then the dry run accepts it', async () => {
    assert.ok(manager !== undefined && page !== undefined && browser !== undefined && alice !== undefined);
    await logIn(page, manager.url, env.identity.issuer, alice);
    await page.getByRole('navigation').getByRole('link', { name: 'Clusters', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Clusters' }).waitFor();
    await page.getByRole('link', { name: viewed, exact: true }).waitFor();
    await judgePage(page, browser, 'cluster-list');
    // The name search goes to the server (and into the URL) once typing pauses.
    const search = page.getByRole('searchbox');
    await search.fill('no-such-cluster');
    await page.getByText('No clusters match these filters.').waitFor();
    await page.waitForURL((url) => url.searchParams.get('search') === 'no-such-cluster');
    await search.fill(viewed.slice(0, 6));
    await page.getByRole('link', { name: viewed, exact: true }).waitFor();
    await search.fill('');
    await page.getByRole('link', { name: 'Create cluster' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create cluster' }).waitFor();
    // The project's only template is chosen, and its group is in the editor.
    await page.getByRole('group', { name: 'Node group default' }).waitFor();
    assert.equal(await page.getByLabel('Template', { exact: true }).inputValue(), templateName);
    await page.getByLabel('Name', { exact: true }).first().fill(created);
    const group = page.getByRole('group', { name: 'Node group default' });
    await group.getByLabel('Max replicas').fill('4');
    await group.getByLabel('Replicas', { exact: true }).fill('5');
    await group.getByText('replicas must not exceed maxReplicas').waitFor();
    assert.equal(await group.getByLabel('Replicas', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByRole('button', { name: 'Create cluster' }).isDisabled(), true, 'no submit while a field is wrong');
    // Within max but over the project's quota: only the server knows; its dry run says so over the form.
    await group.getByLabel('Replicas', { exact: true }).fill('4');
    assert.equal(await group.getByText('replicas must not exceed maxReplicas').count(), 0);
    await page.getByRole('alert').getByText('exceeds the nodes quota', { exact: false }).waitFor();
    await page.getByText('The server refuses this cluster', { exact: false }).waitFor();
    await group.getByLabel('Replicas', { exact: true }).fill('2');
    await page.getByText('The server accepts this cluster.').waitFor();
    assert.equal(await page.getByText('exceeds the nodes quota', { exact: false }).count(), 0);
    // The dry runs the quota refused are the only failed requests.
    const refused = browser.failedResponses.splice(0);
    assert.ok(refused.length > 0 && refused.every((response) => response.url.endsWith(`/namespaces/${namespace}/clusters?dryRun=All`)), JSON.stringify(refused));
    await judgePage(page, browser, 'cluster-create');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.getByRole('heading', { level: 1, name: `Cluster ${created}` }).waitFor();
    assert.ok(page.url().endsWith(`/clusters/${namespace}/${created}`), page.url());
  });

  test('the detail page shows it become Running and Ready, live', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    const overview = page.getByRole('region', { name: 'Overview', exact: true });
    await overview.getByText('Running', { exact: true }).waitFor({ timeout: PROVISION_TIMEOUT_MS });
    await overview.getByText('True', { exact: true }).waitFor({ timeout: PROVISION_TIMEOUT_MS });
    const groups = tableUnder(page, 'Node groups');
    await groups.getByRole('row', { name: /default/ }).getByText('2/2').waitFor({ timeout: PROVISION_TIMEOUT_MS });
    await tableUnder(page, 'Nodes').getByRole('row').nth(2).waitFor({ timeout: PROVISION_TIMEOUT_MS });
    assert.equal(await tableUnder(page, 'Nodes').getByRole('row').count(), 3, 'a header row and 2 nodes');
    await tableUnder(page, 'Conditions').getByText('Ready', { exact: true }).waitFor();
    await judgePage(page, browser, 'cluster-detail');
    // Dark mode (following the OS) passes the same check: the badges and tables keep their contrast.
    await page.emulateMedia({ colorScheme: 'dark' });
    await judgePage(page, browser, 'cluster-detail-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('scaling a node group: out of bounds is refused at the field; within them the nodes follow', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    await page.getByRole('button', { name: 'Scale default' }).click();
    const dialog = page.getByRole('dialog', { name: 'Scale the node group default' });
    await dialog.getByLabel('Replicas').fill('5');
    await dialog.getByText("at most 4 (the group's maximum)").waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Scale', exact: true }).isDisabled(), true);
    await dialog.getByLabel('Replicas').fill('3');
    await dialog.getByRole('button', { name: 'Scale', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await tableUnder(page, 'Node groups').getByRole('row', { name: /default/ }).getByText('3/3').waitFor({ timeout: PROVISION_TIMEOUT_MS });
    await waitFor(async () => (await tableUnder(page!, 'Nodes').getByRole('row').count()) === 4, { what: 'the third node in the Nodes table', timeoutMs: PROVISION_TIMEOUT_MS });
    assertNoErrors(browser, 'scaling');
  });

  test('the kubeconfig downloads with the endpoint and the beamline exec plugin, and no credential', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    const client = clientFor(env.kubeConfig);
    const cluster = (await client.get(CLUSTERS, created, namespace)) as Cluster;
    const endpoint = cluster.status?.endpoint;
    assert.ok(endpoint !== undefined && endpoint !== '');
    await page.getByText('run beamline login first', { exact: false }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download kubeconfig' }).click()]);
    assert.equal(download.suggestedFilename(), `${namespace}-${created}.kubeconfig`);
    const path = await download.path();
    const text = await readFile(path, 'utf8');
    assert.ok(text.includes(`server: "${endpoint}"`), text);
    assert.match(text, /command: beamline\n\s+args:\n\s+- token\n/);
    assert.match(text, /apiVersion: client\.authentication\.k8s\.io\/v1/);
    assert.match(text, /interactiveMode: Never/);
    assert.match(text, /certificate-authority-data: "/);
    for (const secret of ['token:', 'client-key-data', 'client-certificate-data', 'password', 'id-token']) assert.ok(!text.includes(secret), `no ${secret} in the kubeconfig`);
    assertNoErrors(browser, 'the kubeconfig download');
  });

  test('the template and the project have their pages', async () => {
    assert.ok(page !== undefined && browser !== undefined);
    await page.getByRole('link', { name: templateName, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Template ${templateName}` }).waitFor();
    await tableUnder(page, 'Node groups').getByText('m1.small').waitFor();
    await judgePage(page, browser, 'template-detail');
    await page.getByRole('navigation').getByRole('link', { name: 'Projects', exact: true }).click();
    await page.getByRole('link', { name: new RegExp(project) }).click();
    await page.getByRole('heading', { level: 1, name: `Project ${project}` }).waitFor();
    const members = tableUnder(page, 'Members');
    await members.getByRole('rowheader', { name: 'physics-viewers' }).waitFor();
    // An owner may change members: the screenshot first, then changes.
    await page.getByRole('button', { name: 'Add member' }).waitFor();
    await judgePage(page, browser, 'project-detail');
    // The last owner is never removed: the admission webhook's words, over the table.
    await page.getByRole('button', { name: 'Remove physics', exact: true }).click();
    await page.getByRole('alert').getByText('at least one owner').waitFor();
    await members.getByRole('rowheader', { name: 'physics', exact: true }).waitFor();
    const refused = browser.failedResponses.splice(0);
    assert.equal(refused.length, 1, JSON.stringify(refused));
    assert.ok((refused[0]?.url ?? '').endsWith(`/api/kube/apis/beamline.dev/v1alpha1/projects/${project}`), refused[0]?.url);
    // Add a user, change their role, remove them.
    await page.getByLabel('User or group name').fill('erin');
    await page.getByRole('button', { name: 'Add member' }).click();
    await members.getByRole('rowheader', { name: 'erin', exact: true }).waitFor();
    await page.getByRole('combobox', { name: 'Role of erin' }).selectOption('viewer');
    await waitFor(async () => (await page!.getByRole('combobox', { name: 'Role of erin' }).inputValue()) === 'viewer' && !(await page!.getByRole('combobox', { name: 'Role of erin' }).isDisabled()), { what: 'erin a viewer', timeoutMs: 30_000 });
    const stored = (await clientFor(env.kubeConfig).get(PROJECTS, project)) as Project;
    assert.deepEqual(
      stored.spec.members.find((member) => member.name === 'erin'),
      { kind: 'User', name: 'erin', role: 'viewer' },
    );
    await page.getByRole('button', { name: 'Remove erin' }).click();
    await members.getByRole('rowheader', { name: 'erin', exact: true }).waitFor({ state: 'detached' });
    assertNoErrors(browser, 'changing members');
    // A change made by someone else between the page's read and its write: refused as a conflict, nothing lost.
    let interposed = false;
    await page.route(`**/api/kube/apis/beamline.dev/v1alpha1/projects/${project}`, async (route) => {
      if (route.request().method() === 'PATCH' && !interposed) {
        interposed = true;
        await clientFor(env.kubeConfig).patch(PROJECTS, project, undefined, { spec: { description: 'changed meanwhile' } }, 'merge');
      }
      await route.continue();
    });
    await page.getByLabel('User or group name').fill('frank');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('alert').getByText('Someone else changed this project', { exact: false }).waitFor();
    await page.unroute(`**/api/kube/apis/beamline.dev/v1alpha1/projects/${project}`);
    const after = (await clientFor(env.kubeConfig).get(PROJECTS, project)) as Project;
    assert.equal(after.spec.description, 'changed meanwhile');
    assert.equal(after.spec.members.some((member) => member.name === 'frank'), false, 'the conflicting write stored nothing');
    // The live stream shows the other change.
    await page.getByRole('region', { name: 'Overview', exact: true }).getByText('changed meanwhile').waitFor();
    const conflicts = browser.failedResponses.splice(0);
    assert.deepEqual(conflicts.map((response) => response.status), [409]);
    assertNoErrors(browser, 'a conflicting member change');
  });

  test('deleting needs the typed name; the list shows it until it is gone', async () => {
    assert.ok(manager !== undefined && page !== undefined && browser !== undefined);
    await page.goto(`${manager.url}/clusters/${namespace}/${created}`);
    await page.getByRole('heading', { level: 1, name: `Cluster ${created}` }).waitFor();
    await page.getByRole('button', { name: 'Delete cluster' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete the cluster ${created}?` });
    const confirm = dialog.getByRole('button', { name: `Delete ${created}` });
    assert.equal(await confirm.isDisabled(), true, 'disabled until the name is typed');
    await dialog.getByLabel(`Type ${created} to confirm`).fill(created.slice(0, -1));
    assert.equal(await confirm.isDisabled(), true, 'disabled for a name that is not the cluster’s');
    await dialog.getByLabel(`Type ${created} to confirm`).fill(created);
    await confirm.click();
    await page.getByRole('heading', { level: 1, name: 'Clusters' }).waitFor();
    await page.getByRole('link', { name: created, exact: true }).waitFor({ state: 'detached', timeout: PROVISION_TIMEOUT_MS });
    const client = clientFor(env.kubeConfig);
    await waitFor(async () => (await client.get(CLUSTERS, created, namespace).catch(() => undefined)) === undefined, { what: `the Cluster ${created} to be gone`, timeoutMs: PROVISION_TIMEOUT_MS });
    assertNoErrors(browser, 'deleting');
  });

  test('a viewer sees the clusters and is offered no Create, Scale or Delete', async () => {
    assert.ok(manager !== undefined && dave !== undefined);
    viewer = await launchBrowser({ ignoreHTTPSErrors: true });
    const page2 = await viewer.newPage();
    await logIn(page2, manager.url, env.identity.issuer, dave);
    // The list asks /api/access per project namespace; judged once the answer arrived.
    const listAccess = page2.waitForResponse((response) => response.url().includes('/api/access?') && response.url().includes('verb=create') && response.url().includes(`namespace=${namespace}`));
    await page2.getByRole('navigation').getByRole('link', { name: 'Clusters', exact: true }).click();
    await page2.getByRole('link', { name: viewed, exact: true }).waitFor();
    assert.equal(((await (await listAccess).json()) as { allowed: boolean }).allowed, false);
    assert.equal(await page2.getByRole('link', { name: 'Create cluster' }).count(), 0);
    const answers = Promise.all(
      ['verb=patch', 'verb=delete'].map((verb) => page2.waitForResponse((response) => response.url().includes('/api/access?') && response.url().includes(verb))),
    );
    await page2.getByRole('link', { name: viewed, exact: true }).click();
    await page2.getByRole('heading', { level: 1, name: `Cluster ${viewed}` }).waitFor();
    for (const answer of await answers) assert.equal(((await answer.json()) as { allowed: boolean }).allowed, false, answer.url());
    await tableUnder(page2, 'Node groups').getByText('default').waitFor();
    assert.equal(await page2.getByRole('button', { name: /^Scale/ }).count(), 0, 'no Scale');
    assert.equal(await page2.getByRole('button', { name: 'Delete cluster' }).count(), 0, 'no Delete');
    // The viewer reads the nodes too (the server asks whether they may get the Cluster).
    await tableUnder(page2, 'Nodes').getByRole('row').nth(1).waitFor({ timeout: PROVISION_TIMEOUT_MS });
    assert.ok((await saveScreenshot(page2, 'cluster-detail-viewer')) > 1000);
    // The viewer still downloads a kubeconfig once there is an endpoint; not waited for here.
    const projectAccess = page2.waitForResponse((response) => response.url().includes('/api/access?') && response.url().includes('resource=projects'));
    await page2.goto(`${manager.url}/projects/${project}`);
    assert.equal(((await (await projectAccess).json()) as { allowed: boolean }).allowed, false);
    await tableUnder(page2, 'Members').getByRole('rowheader', { name: 'physics-viewers' }).waitFor();
    assert.equal(await page2.getByRole('button', { name: 'Add member' }).count(), 0, 'a viewer changes no members');
    assert.equal(await page2.getByRole('combobox', { name: /^Role of/ }).count(), 0);
    assert.deepEqual(await seriousViolations(page2), [], 'axe as a viewer');
    assertNoErrors(viewer, 'the viewer');
  });
});
