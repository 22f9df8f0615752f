import type { AddressInfo } from 'node:net';
import { fastify, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { httpErrorHandler, NotFoundError } from '@beamline/errors';
import type { Readiness } from '@beamline/reconcile';
import type { Registry } from 'prom-client';

/** Options of {@link startManagerServer}. */
export interface ManagerServerOptions {
  /** The address to listen on. Default `127.0.0.1`: the endpoints are for probes and scrapers on the host. */
  readonly host?: string;
  /** The port; 0 picks a free one (read it from `url`). */
  readonly port: number;
  /** What `/readyz` asks. */
  readonly manager: { readiness(): Readiness };
  /** What `/metrics` serves. */
  readonly registry: Registry;
  /** Where unexpected route errors are logged. */
  readonly logger?: Logger;
  /** Adds more routes (the capabilities': the GitOps webhook) before the server listens. */
  readonly routes?: (app: FastifyInstance) => void;
}

/** A running manager server. */
export interface ManagerServer {
  /** `http://<host>:<port>`, with the port actually bound. */
  readonly url: string;
  /** Stops listening and closes idle connections. */
  close(): Promise<void>;
}

/**
 * The manager's HTTP endpoints: `GET /healthz` (200 while the process runs), `GET /readyz` (200
 * once the caches synced, else 503 with `{ ready: false, notReady: [...] }` naming what is
 * missing), `GET /metrics` (Prometheus text from the registry), and the routes of `routes`.
 * Every error a route throws is answered by the one handler of `@beamline/errors`
 * (`{ error: { name, message }, message }` with the status of its class), unknown paths too.
 */
export async function startManagerServer(options: ManagerServerOptions): Promise<ManagerServer> {
  const app = fastify({ logger: false, forceCloseConnections: 'idle' });
  app.setErrorHandler(httpErrorHandler(options.logger === undefined ? {} : { logger: options.logger }));
  app.setNotFoundHandler((request) => Promise.reject(new NotFoundError(`no route ${request.method} ${request.url.split('?')[0] ?? ''}`)));
  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', (_request, reply) => {
    const readiness = options.manager.readiness();
    return reply.code(readiness.ready ? 200 : 503).send({ ready: readiness.ready, notReady: readiness.notReady });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.header('content-type', options.registry.contentType).send(text);
  });
  options.routes?.(app);
  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: options.port });
  } catch (error) {
    await app.close();
    throw new Error(`failed to start the manager server on ${host}:${options.port}: ${(error as Error).message}; choose another --port`, { cause: error });
  }
  const address = app.server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    close: async () => {
      await app.close();
    },
  };
}
