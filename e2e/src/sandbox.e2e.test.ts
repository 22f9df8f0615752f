// The local sandbox as a user runs it: `beamline up --detach`, a cluster, `beamline down`, `up`
// again (the same cluster comes back), `down --purge` (nothing left).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { processesMentioning, waitFor } from '@beamline/testenv';
import { beamline, ok, removeSandbox } from './testing/sandbox.ts';

describe('the sandbox', () => {
  let home: string | undefined;

  after(() => removeSandbox(home));

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
