// The local sandbox as a user runs it: `beamline up --detach`, a cluster, `beamline down`, `up`
// again (the same cluster comes back), `down --purge` (nothing left).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { killProcessesMentioning, processesMentioning, waitFor } from '@beamline/testenv';

const CLI = fileURLToPath(new URL('../bin/beamline.js', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function beamline(home: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    // KUBECONFIG unset: the CLI must find the sandbox's kubeconfig by itself.
    const { KUBECONFIG: _unset, ...rest } = process.env;
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...rest, BEAMLINE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const ok = (run: Run): Run => {
  assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run;
};

describe('the sandbox', () => {
  let home: string | undefined;

  after(async () => {
    if (home === undefined) return;
    // Whatever a failure left running is killed; the folder goes.
    await killProcessesMentioning(home);
    await rm(home, { recursive: true, force: true });
  });

  test('up, a cluster, down, up again finds it, down --purge leaves nothing', async () => {
    home = await mkdtemp(join(tmpdir(), 'beamline-sandbox-'));
    const up = ok(await beamline(home, 'up', '--detach'));
    assert.match(up.stdout, /Beamline is running/);
    assert.match(up.stdout, new RegExp(`management kubeconfig:\\s+${join(home, 'management', 'admin.kubeconfig')}`));

    ok(await beamline(home, 'cluster', 'create', 'demo', '--template', 'small', '--wait', '--timeout', '2m'));
    const endpoint = /https:\/\/127\.0\.0\.1:\d+/.exec(ok(await beamline(home, 'cluster', 'list')).stdout)?.[0];
    assert.ok(endpoint !== undefined);

    const again = ok(await beamline(home, 'up', '--detach'));
    assert.match(again.stdout, /already running/);

    ok(await beamline(home, 'down'));
    assert.deepEqual(await processesMentioning(home), [], 'down stops every process');
    assert.equal(existsSync(join(home, 'clusters', 'default', 'demo', 'state.json')), true, 'down keeps the state');
    const offline = await beamline(home, 'cluster', 'list');
    assert.equal(offline.code, 1);
    assert.match(offline.stderr, /cannot reach the management cluster/);

    ok(await beamline(home, 'up', '--detach'));
    // The status stored before `down` still says Running: what counts is that the manager brings
    // the cluster's own API back, on the same endpoint, with its nodes.
    const workload = new KubeConfig();
    workload.loadFromString(ok(await beamline(home, 'cluster', 'kubeconfig', 'demo')).stdout);
    assert.equal(workload.getCurrentCluster()?.server, endpoint);
    const nodes = await waitFor(async () => (await workload.makeApiClient(CoreV1Api).listNode()).items, { what: 'the cluster answers again', timeoutMs: 90_000 });
    assert.equal(nodes.length, 3);
    // The API answers as soon as kube-apiserver is back; the manager reports Running once every
    // component is (Unhealthy until then).
    await waitFor(async () => /demo\s+small\s+kwok\s+Running/.test(ok(await beamline(home as string, 'cluster', 'list')).stdout), {
      what: 'the cluster reported Running again',
      timeoutMs: 90_000,
      intervalMs: 500,
    });

    ok(await beamline(home, 'down', '--purge'));
    assert.deepEqual(await processesMentioning(home), []);
    assert.equal(existsSync(home), false);
  });
});
