import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, Watch } from '@kubernetes/client-node';
import { API_VERSION, APPLICATION, GROUP, VERSION, type Application } from '@beamline/api';
import { startGitFixture, type GitFixture, type TestFiles } from '@beamline/gitops/testing';
import { median, type BenchResult, type BenchRow } from '../report.ts';
import { startEnvironment, type BenchEnvironment } from './clusters/environment.ts';
import { formatCpu, startCpuMeter } from './clusters/cpu.ts';
import { beamlineClient, clusterDir, createClusterAndWait, processesWith } from './clusters/measure.ts';

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
  create(name: string, repoURL: string): Promise<void>;
  remove(name: string): Promise<void>;
}

function appsClient(environment: BenchEnvironment): Apps {
  const api = environment.kubeConfig.makeApiClient(CustomObjectsApi);
  const where = { group: GROUP, version: VERSION, namespace: NAMESPACE, plural: APPLICATION.plural };
  return {
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

/**
 * The Applications of the bench namespace as a watch sees them: polling a list of a thousand apps
 * with their status several times a second would load the API server more than the product does.
 */
interface AppTracker {
  readonly apps: ReadonlyMap<string, Application>;
  /** Resolves when `check` holds for the tracked apps (checked on every event), or rejects after `timeoutMs`. */
  until(check: (apps: ReadonlyMap<string, Application>) => boolean, timeoutMs: number, describe: () => string): Promise<void>;
  stop(): void;
}

async function trackApps(environment: BenchEnvironment): Promise<AppTracker> {
  const apps = new Map<string, Application>();
  let waiters: (() => void)[] = [];
  const watch = new Watch(environment.kubeConfig);
  let request: AbortController | undefined;
  const start = async (): Promise<void> => {
    request = await watch.watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${NAMESPACE}/${APPLICATION.plural}`,
      {},
      (phase, object: Application) => {
        const name = object.metadata.name ?? '';
        if (phase === 'DELETED') apps.delete(name);
        else apps.set(name, object);
        for (const waiter of waiters) waiter();
      },
      () => {
        // Ended (a timeout of the API server): watch again, unless stopped.
        if (request !== undefined) void start();
      },
    );
  };
  await start();
  return {
    apps,
    until: (check, timeoutMs, describe) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter !== test);
          reject(new Error(`timed out after ${timeoutMs / 1000} s: ${describe()}`));
        }, timeoutMs);
        const test = (): void => {
          if (!check(apps)) return;
          clearTimeout(timer);
          waiters = waiters.filter((waiter) => waiter !== test);
          resolve();
        };
        waiters.push(test);
        test();
      }),
    stop: () => {
      const current = request;
      request = undefined;
      current?.abort();
    },
  };
}

/** Creates apps `names` and waits until every one is Synced + Healthy; seconds from the first create. */
async function createAndWait(environment: BenchEnvironment, apps: Apps, tracker: AppTracker, names: readonly string[], repoURL: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await mapLimit(names, CREATE_CONCURRENCY, (name) => apps.create(name, repoURL));
  const readyCount = (): number => names.filter((name) => {
    const app = tracker.apps.get(name);
    return app !== undefined && ready(app);
  }).length;
  await tracker.until(() => readyCount() === names.length, timeoutMs, () => {
    const stuck = names.map((name) => tracker.apps.get(name)).find((app) => app === undefined || !ready(app));
    return `${readyCount()}/${names.length} apps ready; e.g. ${stuck?.metadata.name}: ${JSON.stringify(stuck?.status?.conditions?.find((c) => c.type === 'Ready'))}; manager ${environment.managerAlive() ? 'running' : 'exited'} (log: ${environment.managerLog})`;
  });
  return (performance.now() - started) / 1000;
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
  // Interrupted (Ctrl-C exits through the environment's signal handler): the repository goes too.
  const removeFixture = (): void => rmSync(fixture.root, { recursive: true, force: true });
  process.on('exit', removeFixture);
  let environment: BenchEnvironment | undefined;
  let tracker: AppTracker | undefined;
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
    tracker = await trackApps(env);

    // 100 apps, then away with them.
    const hundred = Array.from({ length: 100 }, (_, index) => appName(1000 + index));
    progress('100 apps');
    const hundredS = await createAndWait(env, apps, tracker, hundred, fixture.url, 120_000);
    // BEAMLINE_BENCH_GITOPS_ONLY_100=1: stop here (for profiling the controller on a short run).
    if (process.env.BEAMLINE_BENCH_GITOPS_ONLY_100 === '1') {
      // With BEAMLINE_BENCH_MANAGER_NODE_ARGS=--heapsnapshot-signal=SIGUSR2: a heap snapshot of the manager now.
      if ((process.env.BEAMLINE_BENCH_MANAGER_NODE_ARGS ?? '').includes('--heapsnapshot-signal=SIGUSR2')) {
        process.kill(env.managerPid, 'SIGUSR2');
        await sleep(15_000);
      }
      if (process.env.BEAMLINE_BENCH_GITOPS_REQUESTS === '1') {
        // Requests the management apiserver served, by verb and resource (for looking into where its CPU goes).
        const kubeconfig = join(env.home, '..', 'management', 'admin.kubeconfig');
        const { stdout: text } = await promisify(execFile)(env.binaries.kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', '/metrics'], { maxBuffer: 64 * 1024 * 1024 });
        const counts = new Map<string, number>();
        for (const line of text.split('\n')) {
          if (!line.startsWith('apiserver_request_total{')) continue;
          const verb = /verb="([^"]*)"/.exec(line)?.[1] ?? '';
          const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
          const subresource = /subresource="([^"]*)"/.exec(line)?.[1] ?? '';
          const key = `${verb} ${resource}${subresource === '' ? '' : `/${subresource}`}`;
          counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
        }
        progress([...counts].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([key, count]) => `${key}=${count}`).join(', '));
      }
      const memory = `VmRSS ${fixed(await rssMib(env.managerPid))} MiB, V8 heap ${fixed((await metric(env, 'nodejs_heap_size_used_bytes')) / 1024 / 1024)} MiB used`;
      return { suite: 'gitops', rows: [{ metric: 'apps_100_ready_s', value: hundredS, unit: 's', target: '<= 8', pass: hundredS <= 8 }], notes: ['only the 100-app step ran', `manager: ${memory}`] };
    }
    await mapLimit(hundred, CREATE_CONCURRENCY, (name) => apps.remove(name));
    const track = tracker;
    await track.until((all) => hundred.every((name) => !all.has(name)), 120_000, () => `${hundred.filter((name) => track.apps.has(name)).length} of the 100 apps not deleted yet`);

    const thousand = Array.from({ length: 1000 }, (_, index) => appName(index));
    progress(`100 apps ready in ${fixed(hundredS)} s; deleted; 1000 apps`);
    const processes = processesWith(env, clusterDir(env, NAMESPACE, CLUSTER));
    const meter = startCpuMeter(processes);
    const thousandS = await createAndWait(env, apps, tracker, thousand, fixture.url, 600_000);
    const thousandCpu = formatCpu(meter.stop(processes), cpus().length);
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
      await track.until(
        (all) => {
          const status = all.get(name)?.status;
          const operation = status?.operationState;
          return status?.sync?.revision === sha && status.sync.status === 'Synced' && operation?.phase === 'Succeeded' && operation.revision === sha;
        },
        60_000,
        () => `${name} did not apply ${sha}: ${JSON.stringify(track.apps.get(name)?.status?.operationState)}`,
      );
      changes.push((performance.now() - started) / 1000);
      progress(`change ${run + 1}: ${fixed(changes.at(-1) ?? 0)} s`);
      await waitForQuiet(env, before, 1000, 120_000);
    }
    const rss = await rssMib(env.managerPid);
    const heapUsedMib = (await metric(env, 'nodejs_heap_size_used_bytes')) / 1024 / 1024;
    const heapTotalMib = (await metric(env, 'nodejs_heap_size_total_bytes')) / 1024 / 1024;

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
        `apps_1000_ready_s ${thousandCpu}`,
        `manager memory: VmRSS ${fixed(rss)} MiB, V8 heap ${fixed(heapUsedMib)} MiB used of ${fixed(heapTotalMib)} MiB`,
        `change_one_app: median ${fixed(median(changes))} s, max ${fixed(Math.max(...changes))} s over ${CHANGE_RUNS} runs`,
        'apps are created 16 at a time through the API; times run from the first create to the last app Synced + Healthy, as a watch of the Applications sees it',
      ],
    };
  } finally {
    tracker?.stop();
    await environment?.close().catch((error: unknown) => process.stderr.write(`warning: ${(error as Error).message}\n`));
    await fixture.stop();
    process.off('exit', removeFixture);
  }
}

