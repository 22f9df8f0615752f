import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Application } from '@beamline/api';
import type { KubeClient } from '@beamline/kube';
import { applicationEvents } from './events.ts';

test('EventRecorder takes URL credentials out of event messages', async () => {
  const created: { message?: string }[] = [];
  // Only what the recorder calls: this test is about the message, not about the API server.
  const client = { create: (_resource: unknown, event: { message?: string }) => Promise.resolve(created.push(event)) } as unknown as KubeClient;
  const recorder = applicationEvents(client, pino({ level: 'silent' }));
  const app = { apiVersion: 'beamline.dev/v1alpha1', kind: 'Application', metadata: { name: 'web', namespace: 'team-a', uid: 'u1' } } as unknown as Application;
  recorder.record(app, 'Warning', 'FetchFailed', "failed to resolve \"main\" in https://bot:t0ken-s3cret@git.example.org/r: fatal: unable to access 'https://bot:t0ken-s3cret@git.example.org/r/'");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(created.length, 1);
  assert.ok(!(created[0]?.message ?? '').includes('t0ken-s3cret'), created[0]?.message);
  assert.match(created[0]?.message ?? '', /https:\/\/\*\*\*@git\.example\.org\/r/);
});
