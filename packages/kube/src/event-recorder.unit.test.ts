import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { EventRecorder } from './event-recorder.ts';
import type { KubeClient } from './kube-client.ts';

interface Recorded {
  readonly message?: string;
  readonly metadata?: { readonly generateName?: string; readonly namespace?: string };
  readonly involvedObject?: { readonly kind?: string; readonly name?: string; readonly uid?: string };
  readonly source?: { readonly component?: string };
}

/** Only what the recorder calls: these tests are about the event it writes, not the API server. */
function recording(): { readonly client: KubeClient; readonly created: Recorded[] } {
  const created: Recorded[] = [];
  const client = { create: (_resource: unknown, event: Recorded) => Promise.resolve(created.push(event)) } as unknown as KubeClient;
  return { client, created };
}

const settle = (): Promise<unknown> => new Promise((resolve) => setImmediate(resolve));

test('EventRecorder records an event on any object, through the filter, once per reason and message', async () => {
  const { client, created } = recording();
  const recorder = new EventRecorder(client, pino({ level: 'silent' }), { component: 'beamline-test', filter: (text) => text.replaceAll('s3cret', '***') });
  const node = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'team-a', uid: 'u2' } };
  recorder.record(node, 'Warning', 'Failed', 'password s3cret refused');
  recorder.record(node, 'Warning', 'Failed', 'password s3cret refused');
  recorder.record(node, 'Normal', 'Done', 'all good');
  await settle();
  assert.equal(created.length, 2);
  assert.equal(created[0]?.message, 'password *** refused');
  assert.deepEqual(created[0]?.metadata, { generateName: 'settings.', namespace: 'team-a' });
  assert.equal(created[0]?.involvedObject?.kind, 'ConfigMap');
  assert.equal(created[0]?.involvedObject?.uid, 'u2');
  assert.equal(created[0]?.source?.component, 'beamline-test');
  assert.equal(created[1]?.message, 'all good');
});

test('EventRecorder without a filter keeps the message as it is', async () => {
  const { client, created } = recording();
  const recorder = new EventRecorder(client, pino({ level: 'silent' }), { component: 'beamline-test' });
  recorder.record({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' } }, 'Normal', 'Seen', 'plain text');
  await settle();
  assert.equal(created[0]?.message, 'plain text');
});
