import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { chooseManagerPort, DEFAULT_MANAGER_PORT, isPortFree, parsePortFlag } from './manager-port.ts';

const freeExcept =
  (...taken: number[]) =>
  (port: number): Promise<boolean> =>
    Promise.resolve(!taken.includes(port));
const anyFreePort = (): Promise<number> => Promise.resolve(40123);

describe('the manager port of `beamline up`', () => {
  test('the default first, then the remembered one: stable across up', async () => {
    assert.deepEqual(await chooseManagerPort({ isFree: freeExcept(), anyFreePort }), { port: DEFAULT_MANAGER_PORT, source: 'default' });
    assert.deepEqual(await chooseManagerPort({ remembered: 9001, isFree: freeExcept(), anyFreePort }), { port: 9001, source: 'remembered' });
  });

  test('--port wins, and a taken --port is an error rather than a silent fallback', async () => {
    assert.deepEqual(await chooseManagerPort({ requested: 9100, remembered: 9001, isFree: freeExcept(), anyFreePort }), { port: 9100, source: 'flag' });
    await assert.rejects(chooseManagerPort({ requested: 9100, isFree: freeExcept(9100), anyFreePort }), /port 9100 \(--port\) is in use by another program/);
  });

  test('a taken default or remembered port falls back to a free one, saying so', async () => {
    const fallback = await chooseManagerPort({ isFree: freeExcept(DEFAULT_MANAGER_PORT), anyFreePort });
    assert.equal(fallback.port, 40123);
    assert.equal(fallback.source, 'fallback');
    assert.match(fallback.notice ?? '', /port 8090 \(the default\) is in use by another program: the manager listens on 40123 instead/);
    const moved = await chooseManagerPort({ remembered: 9001, isFree: freeExcept(9001), anyFreePort });
    assert.match(moved.notice ?? '', /port 9001 \(used by this sandbox before\)/);
  });

  test('isPortFree tells a bound port from a free one', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (server.address() as { port: number }).port;
    try {
      assert.equal(await isPortFree(port), false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.equal(await isPortFree(port), true);
  });

  test('parsePortFlag takes 1-65535 only', () => {
    assert.equal(parsePortFlag('8090'), 8090);
    for (const bad of ['0', '65536', '-1', 'http', '80a', '']) assert.equal(parsePortFlag(bad), undefined, bad);
  });
});
