import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { API_VERSION, APPLICATION, GROUP, VERSION, type Application } from '@beamline/api';
import { startGitFixture, type GitFixture, type TestFiles } from '@beamline/gitops/testing';
import { median, type BenchResult, type BenchRow } from '../report.ts';
import { managerLogTail, startEnvironment, type BenchEnvironment } from './clusters/environment.ts';
import { beamlineClient, createClusterAndWait } from './clusters/measure.ts';

const NAMESPACE = 'bench';
const CLUSTER = 'gitops';
/** Every app delivers into this namespace of the kwok cluster (created by the first sync of each). */
const DEST_NAMESPACE = 'apps';
const WEBHOOK_SECRET = 'bench-webhook-secret';
const CHANGE_RUNS = 20;
/** Applications created at once (the apiserver's writes, not the controller, bound this). */
const CREATE_CONCURRENCY = 16;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (message: string): void => {
  process.stderr.write(`[gitops] ${message}\n`);
};
const appName = (index: number): string => `app-${String(index).padStart(4, '0')}`;
const fixed = (value: number): string => value.toFixed(2);

/** The four objects of app `name`, as Flux's benchmark has them (podinfo's shape): a Deployment scaled to zero, a ServiceAccount, a Service, an Ingress. */
function appFiles(name: string, revision = 1): TestFiles {
  const labels = `      app: ${name}\n`;
  return {
    [`apps/${name}/serviceaccount.yaml`]: `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n`,
    [`apps/${name}/deployment.yaml`]:
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  annotations:\n    bench/revision: "${revision}"\nspec:\n  replicas: 0\n  selector:\n    matchLabels:\n${labels}  template:\n    metadata:\n      labels:\n${labels.replace(/^ {6}/, '        ')}    spec:\n      serviceAccountName: ${name}\n      containers:\n        - name: podinfo\n          image: ghcr.io/stefanprodan/podinfo:6.7.0\n          ports:\n            - containerPort: 9898\n              name: http\n          resources:\n            requests:\n              cpu: 1m\n              memory: 16Mi\n`,
    [`apps/${name}/service.yaml`]: `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    app: ${name}\n  ports:\n    - name: http\n      port: 9898\n      targetPort: http\n`,
    [`apps/${name}/ingress.yaml`]:
      `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${name}\nspec:\n  rules:\n    - host: ${name}.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: ${name}\n                port:\n                  number: 9898\n`,
  };
}

interface Apps {
  list(): Promise<Application[]>;
  get(name: string): Promise<Application>;
  create(name: string, repoURL: string): Promise<void>;
  remove(name: string): Promise<void>;
}

function appsClient(environment: BenchEnvironment): Apps {
  const api = environment.kubeConfig.makeApiClient(CustomObjectsApi);
  const where = { group: GROUP, version: VERSION, namespace: NAMESPACE, plural: APPLICATION.plural };
  return {
    list: async () => ((await api.listNamespacedCustomObject(where)) as { items: Application[] }).items,
    get: async (name) => (await api.getNamespacedCustomObject({ ...where, name })) as Application,
    create: async (name, repoURL) => {
      await api.createNamespacedCustomObject({
        ...where,
        body: {
          apiVersion: API_VERSION,
          kind: APPLICATION.kind,
          metadata: { name, namespace: NAMESPACE },
          spec: {
            source: { repoURL, targetRevision: 'main', path: `apps/${name}` },
            destination: { cluster: CLUSTER, namespace: DEST_NAMESPACE },
            syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: { createNamespace: true } },
          },
        },
      });
    },
    remove: async (name) => {
      await api.deleteNamespacedCustomObject({ ...where, name });
    },
  };
}

const ready = (app: Application, revision?: string): boolean =>
  app.status?.sync?.status === 'Synced' &&
  app.status.health?.status === 'Healthy' &&
  app.status.observedGeneration === app.metadata.generation &&
  (revision === undefined || app.status.sync.revision === revision);

/** Runs `work` over `items`, `limit` at a time. */
async function mapLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

/** Creates apps `names` and waits until every one is Synced + Healthy; seconds from the first create. */
async function createAndWait(environment: BenchEnvironment, apps: Apps, names: readonly string[], repoURL: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await mapLimit(names, CREATE_CONCURRENCY, (name) => apps.create(name, repoURL));
  const wanted = new Set(names);
  for (;;) {
    const list = (await apps.list()).filter((app) => wanted.has(app.metadata.name ?? ''));
    const done = list.filter((app) => ready(app)).length;
    if (done === names.length) return (performance.now() - started) / 1000;
    if (!environment.managerAlive()) throw new Error(`the manager exited\n${await managerLogTail(environment)}`);
    if (performance.now() - started > timeoutMs) {
      const stuck = list.find((app) => !ready(app));
      throw new Error(`${done}/${names.length} apps ready after ${timeoutMs / 1000} s; e.g. ${stuck?.metadata.name}: ${JSON.stringify(stuck?.status?.conditions?.find((c) => c.type === 'Ready'))}\n${await managerLogTail(environment)}`);
    }
    await sleep(names.length > 200 ? 500 : 100);
  }
}

/** Posts a GitHub push event for `main` of the fixture, signed; returns the parsed answer. */
async function pushWebhook(environment: BenchEnvironment, fixture: GitFixture, after: string): Promise<{ refreshed: number }> {
  const body = JSON.stringify({ ref: 'refs/heads/main', after, repository: { clone_url: fixture.url, html_url: fixture.url, default_branch: 'main' } });
  const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
  const response = await fetch(`${environment.managerUrl}/api/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${text}`);
  return JSON.parse(text) as { refreshed: number };
}

/** A counter or gauge of the manager's /metrics (summed over label sets matching `labels`). */
async function metric(environment: BenchEnvironment, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${environment.managerUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    if (labels !== '' && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Waits until the application controller's queue is empty and `reconciles` more reconciles happened than `before`. */
async function waitForQuiet(environment: BenchEnvironment, before: number, reconciles: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const total = await metric(environment, 'beamline_reconcile_total', 'controller="application"');
    const depth = await metric(environment, 'beamline_workqueue_depth', 'controller="application"');
    if (total - before >= reconciles && depth === 0) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) throw new Error(`the application queue did not drain: ${total - before} reconciles, depth ${depth}`);
    await sleep(50);
  }
}

async function rssMib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * Suite `gitops`: delivery end to end through the real product, in the shape of Flux's benchmark.
 * A management plane with the real `beamline manager` process, one kwok workload Cluster (template
 * `small`) as the destination, one git repository of 1000 app folders served over HTTP by `git
 * http-backend`, each app a Deployment scaled to zero, a ServiceAccount, a Service and an Ingress.
 * Applications (automated, prune, self-heal) are created 16 at a time through the API; status is
 * polled.
 *
 * - `apps_100_ready_s`: 100 Applications created → all Synced + Healthy (from the first create).
 *   They are then deleted (cascade) before the next step.
 * - `apps_1000_ready_s`: the same for 1000 other Applications.
 * - `noop_resync_1000_s`: a signed push webhook for `main` without a new commit refreshes all 1000
 *   apps → the controller's queue drained after at least 1000 reconciles; renders run meanwhile are
 *   reported (they must be 0).
 * - `change_one_app_p95_s`: 20 times: commit a change to one app's Deployment, POST the webhook,
 *   poll that app until its status shows the commit applied (Synced at the new revision and the
 *   last operation Succeeded at it); p95 of webhook → applied. The queue drains between runs.
 * - `manager_rss_mib_1000_apps`: the manager's VmRSS with the 1000 apps, after the runs above.
 */
export async function gitopsSuite(): Promise<BenchResult> {
  const total = 1100;
  const files: Record<string, string> = { 'README.md': '# bench apps\n' };
  for (let index = 0; index < total; index++) Object.assign(files, appFiles(appName(index)));
  const fixture = await startGitFixture({ files });
  let environment: BenchEnvironment | undefined;
  try {
    environment = await startEnvironment([NAMESPACE]);
    const env = environment;
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace: 'beamline-system',
      body: { metadata: { name: 'beamline-webhook' }, stringData: { github: WEBHOOK_SECRET } },
    });
    progress('creating the destination cluster');
    const clusterRun = await createClusterAndWait(env, beamlineClient(env.kubeConfig, NAMESPACE), NAMESPACE, CLUSTER, 'small');
    const apps = appsClient(env);
    const settleMs = Number(process.env.BEAMLINE_BENCH_GITOPS_SETTLE_MS ?? '0');
    if (settleMs > 0) await sleep(settleMs);

    // 100 apps, then away with them.
    const hundred = Array.from({ length: 100 }, (_, index) => appName(1000 + index));
    progress('100 apps');
    const hundredS = await createAndWait(env, apps, hundred, fixture.url, 120_000);
    // BEAMLINE_BENCH_GITOPS_ONLY_100=1: stop here (for profiling the controller on a short run).
    if (process.env.BEAMLINE_BENCH_GITOPS_ONLY_100 === '1') {
      return { suite: 'gitops', rows: [{ metric: 'apps_100_ready_s', value: hundredS, unit: 's', target: '<= 8', pass: hundredS <= 8 }], notes: ['only the 100-app step ran'] };
    }
    await mapLimit(hundred, CREATE_CONCURRENCY, (name) => apps.remove(name));
    for (;;) {
      const left = (await apps.list()).length;
      if (left === 0) break;
      await sleep(200);
    }

    const thousand = Array.from({ length: 1000 }, (_, index) => appName(index));
    progress(`100 apps ready in ${fixed(hundredS)} s; deleted; 1000 apps`);
    const thousandS = await createAndWait(env, apps, thousand, fixture.url, 600_000);
    // Let the last health updates and events settle before the quiet measurements.
    await waitForQuiet(env, 0, 0, 60_000);

    progress(`1000 apps ready in ${fixed(thousandS)} s; no-op resync`);
    const rendersBefore = await metric(env, 'beamline_gitops_renders_total');
    const reconcilesBefore = await metric(env, 'beamline_reconcile_total', 'controller="application"');
    const head = await fixture.repository.revParse('main');
    const noopStarted = performance.now();
    const noopPush = await pushWebhook(env, fixture, head);
    await waitForQuiet(env, reconcilesBefore, 1000, 120_000);
    const noopS = (performance.now() - noopStarted) / 1000;
    const noopRenders = (await metric(env, 'beamline_gitops_renders_total')) - rendersBefore;

    progress(`no-op resync ${fixed(noopS)} s (${noopRenders} renders); ${CHANGE_RUNS} single-app changes`);
    const changes: number[] = [];
    for (let run = 0; run < CHANGE_RUNS; run++) {
      const name = appName((run * 37) % 1000);
      const sha = await fixture.repository.commit({ [`apps/${name}/deployment.yaml`]: appFiles(name, run + 2)[`apps/${name}/deployment.yaml`] ?? '' });
      const before = await metric(env, 'beamline_reconcile_total', 'controller="application"');
      const started = performance.now();
      await pushWebhook(env, fixture, sha);
      for (;;) {
        const app = await apps.get(name);
        const operation = app.status?.operationState;
        if (app.status?.sync?.revision === sha && app.status.sync.status === 'Synced' && operation?.phase === 'Succeeded' && operation.revision === sha) break;
        if (performance.now() - started > 60_000) throw new Error(`${name} did not apply ${sha} within 60 s: ${JSON.stringify(app.status?.operationState)}`);
        await sleep(10);
      }
      changes.push((performance.now() - started) / 1000);
      progress(`change ${run + 1}: ${fixed(changes.at(-1) ?? 0)} s`);
      await waitForQuiet(env, before, 1000, 120_000);
    }
    const rss = await rssMib(env.managerPid);

    const rows: BenchRow[] = [
      { metric: 'apps_100_ready_s', value: hundredS, unit: 's', target: '<= 8', pass: hundredS <= 8 },
      { metric: 'apps_1000_ready_s', value: thousandS, unit: 's', target: '<= 60', pass: thousandS <= 60 },
      { metric: 'change_one_app_p95_s', value: percentile(changes, 95), unit: 's', target: '<= 1', pass: percentile(changes, 95) <= 1, samples: changes },
      { metric: 'noop_resync_1000_s', value: noopS, unit: 's', target: '<= 10', pass: noopS <= 10 && noopRenders === 0 },
      { metric: 'manager_rss_mib_1000_apps', value: rss, unit: 'MiB', target: '<= 300', pass: rss <= 300 },
    ];
    return {
      suite: 'gitops',
      rows,
      notes: [
        `${cpus().length} cores; destination: kwok cluster from template small, ready in ${fixed(clusterRun.seconds)} s (not measured here)`,
        `no-op resync: the webhook refreshed ${noopPush.refreshed} apps; renders run meanwhile: ${noopRenders} (must be 0)`,
        `change_one_app: median ${fixed(median(changes))} s, max ${fixed(Math.max(...changes))} s over ${CHANGE_RUNS} runs`,
        'apps are created 16 at a time through the API; times run from the first create to the last app Synced + Healthy (status polled every 0.1-0.5 s)',
      ],
    };
  } finally {
    await environment?.close().catch((error: unknown) => process.stderr.write(`warning: ${(error as Error).message}\n`));
    await fixture.stop();
  }
}

