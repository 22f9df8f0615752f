// The TCP load balancer against plain TCP servers: turns, dead backends skipped, health checks,
// half-close passed on, a clean close.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { freePort } from '../ports.ts';
import { startTcpLoadBalancer, type TcpEndpoint, type TcpLoadBalancer } from './tcp-load-balancer.ts';

/** Backends and their open connections. */
const servers = new Map<Server, Set<Socket>>();
const balancers = new Set<TcpLoadBalancer>();

after(async () => {
  for (const lb of balancers) await lb.close();
  for (const server of servers.keys()) await closeServer(server);
});

/** Closes a backend and its connections, like a process that dies. */
function closeServer(server: Server): Promise<void> {
  const sockets = servers.get(server) ?? new Set<Socket>();
  servers.delete(server);
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}

/** A backend that answers every connection with its name, then echoes what it reads until the client ends. */
async function backend(name: string): Promise<{ server: Server; endpoint: TcpEndpoint }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.write(`${name}:`);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end(':bye'));
    socket.on('error', () => socket.destroy());
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.set(server, sockets);
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return { server, endpoint: { host: '127.0.0.1', port: address.port } };
}

/** A backend like a process that dies as it accepts: the connection opens, then closes at once. */
async function dying(): Promise<TcpEndpoint> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.set(server, new Set());
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return { host: '127.0.0.1', port: address.port };
}

/** A backend that says nothing first: it echoes what it reads, and ends when the client ends. */
async function silentEcho(): Promise<TcpEndpoint> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.pipe(socket);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.set(server, new Set());
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return { host: '127.0.0.1', port: address.port };
}

interface BalancerOptions {
  readonly healthCheckIntervalMs?: number;
  readonly healthCheck?: (b: TcpEndpoint) => Promise<boolean>;
  readonly replayUntilFirstReply?: boolean;
}

async function balancer(backends: TcpEndpoint[], options: BalancerOptions = {}): Promise<TcpLoadBalancer> {
  const lb = await startTcpLoadBalancer({ listen: { host: '127.0.0.1', port: 0 }, backends, healthCheckIntervalMs: 0, ...options });
  balancers.add(lb);
  return lb;
}

/** Connects, sends `text`, half-closes, and returns everything received until the other side ends. */
function exchange(lb: TcpLoadBalancer, text: string | Buffer = 'ping'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: lb.address.host, port: lb.address.port, allowHalfOpen: true });
    let received = '';
    socket.on('connect', () => socket.end(text));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('TCP load balancer', () => {
  for (const replayUntilFirstReply of [false, true]) {
    test(`takes the backends in turn and passes bytes and half-closes both ways (replay ${String(replayUntilFirstReply)})`, async () => {
      const a = await backend('a');
      const b = await backend('b');
      const lb = await balancer([a.endpoint, b.endpoint], { replayUntilFirstReply });
      const answers = [await exchange(lb), await exchange(lb), await exchange(lb), await exchange(lb)];
      assert.deepEqual(answers.sort(), ['a:ping:bye', 'a:ping:bye', 'b:ping:bye', 'b:ping:bye']);
    });
  }

  test('with replay, a backend that closes before answering is replaced by the next, with the bytes sent so far', async () => {
    const live = await backend('live');
    const lb = await balancer([await dying(), live.endpoint], { replayUntilFirstReply: true });
    for (let i = 0; i < 6; i++) assert.equal(await exchange(lb, `${i}`), `live:${i}:bye`);
    assert.deepEqual(lb.healthyBackends(), [live.endpoint]);
  });

  test('with replay, more than 64 KiB before any answer stays with its backend, unchanged', async () => {
    const lb = await balancer([await silentEcho()], { replayUntilFirstReply: true });
    const payload = Buffer.alloc(200 * 1024, 'x');
    assert.equal(await exchange(lb, payload), payload.toString());
    // A client that ends without sending anything gets an end, and the backend is not blamed.
    assert.equal(await exchange(lb, ''), '');
    assert.equal(lb.healthyBackends().length, 1);
  });

  test('skips a backend that refuses connections, and marks it down', async () => {
    const dead = { host: '127.0.0.1', port: await freePort() };
    const live = await backend('live');
    const lb = await balancer([dead, live.endpoint]);
    for (let i = 0; i < 6; i++) assert.equal(await exchange(lb, `${i}`), `live:${i}:bye`);
    assert.deepEqual(lb.healthyBackends(), [live.endpoint]);
  });

  test('a backend that dies is skipped from the next connection on', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const lb = await balancer([a.endpoint, b.endpoint]);
    await closeServer(a.server);
    for (let i = 0; i < 4; i++) assert.equal(await exchange(lb), 'b:ping:bye');
  });

  test('closes the client when no backend accepts', async () => {
    const lb = await balancer([{ host: '127.0.0.1', port: await freePort() }]);
    const closed = await new Promise<string>((resolve) => {
      const socket = connect({ host: lb.address.host, port: lb.address.port });
      socket.on('data', () => resolve('data'));
      socket.on('error', () => resolve('closed'));
      socket.on('close', () => resolve('closed'));
    });
    assert.equal(closed, 'closed');
  });

  test('health checks take a backend out of rotation and bring it back', async () => {
    const a = await backend('a');
    const b = await backend('b');
    let aReady = false;
    const lb = await balancer([a.endpoint, b.endpoint], {
      healthCheckIntervalMs: 20,
      healthCheck: (endpoint) => Promise.resolve(endpoint.port !== a.endpoint.port || aReady),
    });
    await waitUntil(() => lb.healthyBackends().length === 1);
    // Still answering TCP, but not ready: it gets nothing.
    for (let i = 0; i < 4; i++) assert.equal(await exchange(lb), 'b:ping:bye');
    aReady = true;
    await waitUntil(() => lb.healthyBackends().length === 2);
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) answers.add(await exchange(lb));
    assert.deepEqual([...answers].sort(), ['a:ping:bye', 'b:ping:bye']);
  });

  test('close stops listening and ends forwarded connections', async () => {
    const a = await backend('a');
    const lb = await balancer([a.endpoint]);
    const socket = connect({ host: lb.address.host, port: lb.address.port });
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const socketClosed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    await lb.close();
    await socketClosed;
    const refused = await new Promise<boolean>((resolve) => {
      const again = connect({ host: lb.address.host, port: lb.address.port });
      again.on('connect', () => {
        again.destroy();
        resolve(false);
      });
      again.on('error', () => resolve(true));
    });
    assert.equal(refused, true);
  });

  test('refuses to start without backends, and reports a taken port', async () => {
    await assert.rejects(startTcpLoadBalancer({ listen: { host: '127.0.0.1', port: 0 }, backends: [] }), /no backends/);
    const a = await backend('a');
    await assert.rejects(balancer([a.endpoint]).then((lb) => startTcpLoadBalancer({ listen: lb.address, backends: [a.endpoint] })), /EADDRINUSE/);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
