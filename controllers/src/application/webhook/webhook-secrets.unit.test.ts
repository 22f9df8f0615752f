import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeClient, KubeObject, ResourceType } from '@beamline/kube';
import { WEBHOOK_SECRET_KEYS, WEBHOOK_SECRET_NAME, webhookSecretsReader } from './webhook-secrets.ts';

interface Call {
  readonly resource: ResourceType;
  readonly name: string;
  readonly namespace: string | undefined;
}

/** A stand-in for the one call the reader makes: `get` of a Secret. */
function fakeClient(answers: (() => Promise<KubeObject | undefined>)[]): { client: KubeClient; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    get: (resource: ResourceType, name: string, namespace?: string) => {
      calls.push({ resource, name, namespace });
      const answer = answers.shift();
      return answer === undefined ? Promise.reject(new Error('no more answers')) : answer();
    },
  } as unknown as KubeClient;
  return { client, calls };
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

test('reads and decodes the keys of the Secret, trimming a trailing newline', async () => {
  const { client, calls } = fakeClient([() => Promise.resolve({ data: { github: b64('gh-secret\n'), gitlab: b64('gl-token'), other: b64('x') } } as KubeObject)]);
  const read = webhookSecretsReader(client, 'beamline-system');
  assert.deepEqual(await read(), { github: 'gh-secret', gitlab: 'gl-token' });
  assert.deepEqual(calls, [{ resource: { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }, name: WEBHOOK_SECRET_NAME, namespace: 'beamline-system' }]);
  assert.deepEqual([...WEBHOOK_SECRET_KEYS], ['github', 'gitlab']);
});

test('a missing Secret or empty keys read as no secrets', async () => {
  const { client } = fakeClient([() => Promise.resolve(undefined), () => Promise.resolve({ data: { github: '' } } as KubeObject)]);
  assert.deepEqual(await webhookSecretsReader(client, 'ns', 'hooks', 0)(), {});
  assert.deepEqual(await webhookSecretsReader(client, 'ns', 'hooks', 0)(), {});
});

test('keeps an answer for ttlMs, and does not keep a failure', async () => {
  const { client, calls } = fakeClient([
    () => Promise.reject(new Error('apiserver unavailable')),
    () => Promise.resolve({ data: { gitlab: b64('one') } } as KubeObject),
    () => Promise.resolve({ data: { gitlab: b64('two') } } as KubeObject),
  ]);
  const read = webhookSecretsReader(client, 'ns', 'hooks', 60_000);
  await assert.rejects(read(), /apiserver unavailable/);
  assert.deepEqual(await read(), { gitlab: 'one' });
  assert.deepEqual(await read(), { gitlab: 'one' });
  assert.equal(calls.length, 2);

  const fresh = webhookSecretsReader(client, 'ns', 'hooks', 0);
  assert.deepEqual(await fresh(), { gitlab: 'two' });
});
