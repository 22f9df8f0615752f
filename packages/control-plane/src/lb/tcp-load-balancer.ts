import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP address. */
export interface TcpEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Options of {@link startTcpLoadBalancer}. */
export interface TcpLoadBalancerOptions {
  /** Where to listen. Port 0 picks a free port (see {@link TcpLoadBalancer.address}). */
  readonly listen: TcpEndpoint;
  /** Where to forward connections, taken in turn. */
  readonly backends: readonly TcpEndpoint[];
  /** How long a connection to one backend may take before the next backend is tried. Default 2 s. */
  readonly connectTimeoutMs?: number;
  /**
   * How often every backend is checked; 0 turns periodic checks off. Default 1 s. A backend that
   * fails its check (or refuses a connection) is tried only after every healthy one.
   */
  readonly healthCheckIntervalMs?: number;
  /** The check itself. Default: a TCP connection opens within `connectTimeoutMs`. */
  readonly healthCheck?: (backend: TcpEndpoint) => Promise<boolean>;
  /**
   * Until a backend has sent its first byte, keep what the client sent; if the backend closes or
   * fails before answering, send it all to the next backend instead of failing the client. This
   * covers a backend that dies just as it accepts (its port still open while it exits). Only for
   * protocols where a server acts on nothing before answering, like TLS (the server speaks first in
   * the handshake). At most 64 KiB are kept; past that the connection stays with its backend.
   * Default false.
   */
  readonly replayUntilFirstReply?: boolean;
  /** Receives one line per notable event (backend up or down, no backend left). */
  readonly log?: (message: string) => void;
}

/** A running load balancer. */
export interface TcpLoadBalancer {
  /** The address it listens on (the real port when `listen.port` was 0). */
  readonly address: TcpEndpoint;
  /** Backends that passed their last check or connection. */
  healthyBackends(): readonly TcpEndpoint[];
  /** Stops listening, closes every forwarded connection, stops the checks. */
  close(): Promise<void>;
}

interface BackendState {
  readonly endpoint: TcpEndpoint;
  healthy: boolean;
}

const label = (endpoint: TcpEndpoint): string => `${endpoint.host}:${endpoint.port}`;

/** Opens a TCP connection to `endpoint`, or fails after `timeoutMs`. */
function connectTo(endpoint: TcpEndpoint, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`failed to connect to ${label(endpoint)}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`failed to connect to ${label(endpoint)}: ${error.message}`, { cause: error }));
    };
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      // From here on an error only ever closes this socket; whoever uses it adds what else to do.
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    socket.once('error', onError);
  });
}

/**
 * Forwards bytes both ways between two connected sockets. A half-close (FIN) is passed on as a
 * half-close, so request/response protocols that end their writing side first still get their
 * answer; an error on either side tears both down.
 */
function splice(a: Socket, b: Socket): void {
  a.setNoDelay(true);
  b.setNoDelay(true);
  a.pipe(b);
  b.pipe(a);
  const onClose = (other: Socket) => (hadError: boolean) => {
    // After a clean close every byte has been read and passed on: end the other side's writing
    // (it flushes first). After an error, nothing more can be delivered anyway.
    if (hadError) other.destroy();
    else other.end();
  };
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', onClose(b));
  b.on('close', onClose(a));
}

/** How a tentative backend connection ended: see {@link TcpLoadBalancerOptions.replayUntilFirstReply}. */
type TentativeOutcome =
  | { readonly kind: 'reply'; readonly chunk: Buffer }
  | { readonly kind: 'failed'; readonly why: string }
  | { readonly kind: 'overflow' }
  | { readonly kind: 'finished' }
  | { readonly kind: 'client-gone' };

const REPLAY_LIMIT = 64 * 1024;

/**
 * A client connection whose bytes are kept until a backend answers, so that they can be sent
 * again to the next backend when one fails before answering.
 */
class Tentative {
  private readonly client: Socket;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private ended = false;
  private upstream: Socket | undefined;
  private settle: ((outcome: TentativeOutcome) => void) | undefined;
  private readonly onData = (chunk: Buffer): void => {
    this.kept.push(chunk);
    this.keptBytes += chunk.length;
    this.upstream?.write(chunk);
    if (this.keptBytes > REPLAY_LIMIT) this.settle?.({ kind: 'overflow' });
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.upstream?.end();
  };

  constructor(client: Socket) {
    this.client = client;
    client.on('data', this.onData);
    client.on('end', this.onEnd);
  }

  /** Sends everything so far to `upstream` and waits for its first byte, its failure, or the client leaving. */
  tryBackend(upstream: Socket): Promise<TentativeOutcome> {
    this.upstream = upstream;
    // Accepted paused (`pauseOnConnect`), paused again after a failed backend: read meanwhile.
    this.client.resume();
    for (const chunk of this.kept) upstream.write(chunk);
    if (this.ended) upstream.end();
    if (this.keptBytes > REPLAY_LIMIT) return Promise.resolve({ kind: 'overflow' });
    return new Promise((resolve) => {
      const onReply = (chunk: Buffer): void => done({ kind: 'reply', chunk });
      const onError = (error: Error): void => done({ kind: 'failed', why: error.message });
      // A client that ended without sending anything may well get no answer: that is no failure.
      const onClose = (): void =>
        done(this.ended && this.keptBytes === 0 ? { kind: 'finished' } : { kind: 'failed', why: 'closed the connection before answering' });
      const onClientClose = (): void => done({ kind: 'client-gone' });
      const done = (outcome: TentativeOutcome): void => {
        if (this.settle === undefined) return;
        this.settle = undefined;
        upstream.off('data', onReply);
        upstream.off('error', onError);
        upstream.off('close', onClose);
        this.client.off('close', onClientClose);
        // Both stay paused until they are piped: no byte may pass while no one listens.
        upstream.pause();
        this.client.pause();
        if (outcome.kind === 'failed') this.upstream = undefined;
        resolve(outcome);
      };
      this.settle = done;
      upstream.on('data', onReply);
      upstream.once('error', onError);
      upstream.once('close', onClose);
      this.client.once('close', onClientClose);
    });
  }

  /** Stops keeping bytes: the connection now belongs to its backend (the caller pipes it). */
  release(): void {
    this.client.off('data', this.onData);
    this.client.off('end', this.onEnd);
    this.client.pause();
    this.kept.length = 0;
    this.upstream = undefined;
  }
}

/**
 * Starts a TCP load balancer: each incoming connection goes to the next backend in turn; a
 * backend that refuses the connection (or does not answer within the connect timeout) is marked
 * down and the next one is tried, so clients never see a dead backend while one is left. Periodic
 * health checks bring backends back (and take ones that answer TCP but are not ready out of
 * rotation, when a custom check says so). Bytes are passed through untouched, TLS included.
 */
export async function startTcpLoadBalancer(options: TcpLoadBalancerOptions): Promise<TcpLoadBalancer> {
  if (options.backends.length === 0) throw new Error('failed to start load balancer: no backends');
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const intervalMs = options.healthCheckIntervalMs ?? 1_000;
  const log = options.log ?? (() => undefined);
  const backends: BackendState[] = options.backends.map((endpoint) => ({ endpoint, healthy: true }));
  const sockets = new Set<Socket>();
  let next = 0;
  let closed = false;

  const setHealth = (backend: BackendState, healthy: boolean, why: string): void => {
    if (backend.healthy === healthy || closed) return;
    backend.healthy = healthy;
    log(`backend ${label(backend.endpoint)} ${healthy ? 'up' : 'down'}${why === '' ? '' : `: ${why}`}`);
  };

  /** Backends in the order to try them: healthy ones first, by turn, then the rest. */
  const order = (): BackendState[] => {
    const start = next++ % backends.length;
    const rotated = [...backends.slice(start), ...backends.slice(0, start)];
    return [...rotated.filter((b) => b.healthy), ...rotated.filter((b) => !b.healthy)];
  };

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const replay = options.replayUntilFirstReply === true;

  const forward = async (client: Socket): Promise<void> => {
    track(client);
    // Until a backend is connected, a client error only has to close the client.
    client.on('error', () => client.destroy());
    const tentative = replay ? new Tentative(client) : undefined;
    for (const backend of order()) {
      if (client.destroyed || closed) return;
      let upstream: Socket;
      try {
        upstream = await connectTo(backend.endpoint, connectTimeoutMs);
      } catch (error) {
        setHealth(backend, false, (error as Error).message);
        continue;
      }
      if (client.destroyed || closed) {
        upstream.destroy();
        return;
      }
      track(upstream);
      if (tentative !== undefined) {
        const outcome = await tentative.tryBackend(upstream);
        if (outcome.kind === 'client-gone' || outcome.kind === 'finished') {
          upstream.destroy();
          if (outcome.kind === 'finished') client.end();
          return;
        }
        if (outcome.kind === 'failed') {
          upstream.destroy();
          setHealth(backend, false, outcome.why);
          continue;
        }
        if (outcome.kind === 'reply') client.write(outcome.chunk);
        tentative.release();
      }
      setHealth(backend, true, '');
      client.removeAllListeners('error');
      splice(client, upstream);
      return;
    }
    log(`no backend accepted a connection from ${client.remoteAddress ?? '?'}:${client.remotePort ?? '?'}`);
    client.destroy();
  };

  const defaultCheck = async (endpoint: TcpEndpoint): Promise<boolean> => {
    try {
      (await connectTo(endpoint, connectTimeoutMs)).destroy();
      return true;
    } catch {
      return false;
    }
  };
  const check = options.healthCheck ?? defaultCheck;
  let checking = false;
  const checkAll = async (): Promise<void> => {
    if (checking || closed) return;
    checking = true;
    try {
      await Promise.all(
        backends.map(async (backend) => {
          const healthy = await check(backend.endpoint).catch(() => false);
          setHealth(backend, healthy, healthy ? '' : 'health check failed');
        }),
      );
    } finally {
      checking = false;
    }
  };

  const server: Server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => void forward(client));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.listen.host, port: options.listen.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log(`listener error: ${error.message}`));
  const bound = server.address();
  const address: TcpEndpoint =
    typeof bound === 'object' && bound !== null ? { host: bound.address, port: bound.port } : options.listen;

  const timer = intervalMs > 0 ? setInterval(() => void checkAll(), intervalMs) : undefined;
  timer?.unref();
  if (timer !== undefined) void checkAll();

  return {
    address,
    healthyBackends: () => backends.filter((b) => b.healthy).map((b) => b.endpoint),
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}
