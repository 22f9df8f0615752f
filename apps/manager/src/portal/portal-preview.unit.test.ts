import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { Application } from '@beamline/api';
import { DeliveryRefusedError, type ApplicationDiff, type DiffObject } from '@beamline/controllers';
import type { KubeClient } from '@beamline/kube';
import { summarizeNodes } from './nodes.ts';
import { capPreview, MAX_OBJECT_DIFF_BYTES, Previewer } from './preview.ts';

const app = { apiVersion: 'beamline.dev/v1alpha1', kind: 'Application', metadata: { name: 'web', namespace: 'project-a' }, spec: {} } as unknown as Application;
const object = (name: string, diff: string): DiffObject => ({ group: '', version: 'v1', kind: 'ConfigMap', namespace: 'web', name, action: 'update', diff });

describe('previews', () => {
  let home = '';
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'beamline-preview-unit-'));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  /** A previewer whose diffs wait for `release` (to hold slots), reporting the work folders they got. */
  const previewer = (options: { timeoutMs?: number; result?: () => ApplicationDiff } = {}): { previewer: Previewer; release: () => void; folders: string[] } => {
    const waiting: (() => void)[] = [];
    const folders: string[] = [];
    const result = options.result ?? ((): ApplicationDiff => ({ revision: 'abc', text: '', changed: 1, objects: [object('a', '+x')] }));
    const instance = new Previewer({
      client: {} as KubeClient,
      home,
      binaries: { helm: 'helm', kubectl: 'kubectl' },
      logger: pino({ level: 'silent' }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      diff: async (_app, diffOptions) => {
        folders.push(diffOptions.workDir);
        await new Promise<void>((resolve) => waiting.push(resolve));
        return result();
      },
    });
    return { previewer: instance, release: () => waiting.splice(0).forEach((resolve) => resolve()), folders };
  };

  /** Waits (no deadline but the test's) until `condition` holds: the diffs start after folder work on disk. */
  const until = async (condition: () => boolean): Promise<void> => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  const status = async (promise: Promise<unknown>): Promise<number> => {
    try {
      await promise;
      return 200;
    } catch (error) {
      return (error as { statusCode?: number }).statusCode ?? 500;
    }
  };

  test('at most two at once, one per session; a private folder each, removed after', async () => {
    const { previewer: instance, release, folders } = previewer();
    const first = instance.preview('s1', app, false);
    assert.equal(await status(instance.preview('s1', app, false)), 429, 'one per session');
    const second = instance.preview('s2', app, false);
    assert.equal(await status(instance.preview('s3', app, false)), 429, 'two on the manager');
    await until(() => folders.length === 2);
    assert.notEqual(folders[0], folders[1]);
    assert.ok(folders.every((folder) => folder.startsWith(join(home, 'portal-preview', `${String(process.pid)}-`))));
    release();
    assert.equal((await first).changed, 1);
    await second;
    assert.deepEqual(await readdir(join(home, 'portal-preview')), [], 'folders removed');
    const third = instance.preview('s3', app, false);
    await until(() => folders.length === 3);
    release();
    assert.equal((await third).revision, 'abc', 'slots are free again');
  });

  test('a timeout is 504 and keeps the slot until the work ends; a tenancy refusal is 409', async () => {
    const slow = previewer({ timeoutMs: 30 });
    assert.equal(await status(slow.previewer.preview('s1', app, false)), 504);
    assert.equal(await status(slow.previewer.preview('s1', app, false)), 429, 'the timed-out work still runs');
    await until(() => slow.folders.length === 1);
    slow.release();
    const refused = previewer({
      result: () => {
        throw new DeliveryRefusedError('project a may not deliver to in-cluster');
      },
    });
    const answer = refused.previewer.preview('s1', app, false);
    await until(() => refused.folders.length === 1);
    refused.release();
    await assert.rejects(answer, (error: { statusCode?: number; message: string }) => error.statusCode === 409 && /in-cluster/.test(error.message));
  });

  test('diffs are capped per object and the answer as a whole', () => {
    const big = 'x'.repeat(MAX_OBJECT_DIFF_BYTES + 10);
    const capped = capPreview('abc', [object('a', big), object('b', 'small')]);
    assert.equal(capped.changed, 2);
    assert.match(capped.objects[0]?.diff ?? '', /… truncated\n$/);
    assert.ok(Buffer.byteLength(capped.objects[0]?.diff ?? '') < MAX_OBJECT_DIFF_BYTES + 100);
    assert.equal(capped.objects[1]?.diff, 'small');
    assert.equal(capped.truncated, undefined);
    const many = capPreview('abc', Array.from({ length: 10 }, (_, at) => object(`o${String(at)}`, 'y'.repeat(1000))), 4096, 4096);
    assert.equal(many.truncated, true);
    assert.ok(many.objects.length < 10 && many.objects.length > 0);
    assert.ok(Buffer.byteLength(JSON.stringify(many)) <= 4096);
    assert.equal(many.changed, 10);
  });
});

describe('node summary', () => {
  test('ready, group, zone, flavor, GPUs, taints; truncated when the list continues', () => {
    const view = summarizeNodes({
      items: [
        {
          metadata: { name: 'n1', creationTimestamp: '2026-12-01T00:00:00Z', labels: { 'beamline.dev/node-group': 'gpu', 'topology.kubernetes.io/zone': 'z1', 'node.kubernetes.io/instance-type': 'g1.large' } },
          spec: { taints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }] },
          status: { conditions: [{ type: 'Ready', status: 'True' }], capacity: { 'nvidia.com/gpu': '4' }, nodeInfo: { kubeletVersion: 'v1.36.3' } },
        },
        { metadata: { name: 'n2' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } },
      ],
      metadata: { continue: 'more' },
    });
    assert.deepEqual(view, {
      truncated: true,
      items: [
        { name: 'n1', nodeGroup: 'gpu', ready: true, zone: 'z1', flavor: 'g1.large', gpus: 4, kubeletVersion: 'v1.36.3', taints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }], createdAt: '2026-12-01T00:00:00Z' },
        { name: 'n2', ready: false, gpus: 0, taints: [], createdAt: '' },
      ],
    });
    assert.equal(summarizeNodes({ items: [] }).truncated, false);
  });
});
