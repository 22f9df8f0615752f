/**
 * The admission webhook server: its own HTTPS listener on 127.0.0.1 (the apiserver requires TLS
 * for webhooks; the manager's plain HTTP surface is for probes), answering the quota reviews, the
 * Project updates of project owners and the changed-by stamp, then registering both
 * configurations with its URL and CA.
 */
import type { AddressInfo } from 'node:net';
import { fastify, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { httpErrorHandler, InputError } from '@beamline/errors';
import type { KubeConfig } from '@kubernetes/client-node';
import { clientFor } from '@beamline/kube';
import { changedByResponse } from './changed-by.ts';
import { admissionReader, reviewQuota, type AdmissionReader, type SyncedCache } from './quota-review.ts';
import { reviewProjectUpdate, subjectAccessReviewCheck, type ProjectAdminCheck } from './project-review.ts';
import { CHANGED_BY_PATH, PROJECT_PATH, QUOTA_PATH, registeredQuotaWebhook, registerWebhooks, registrationAnswers, unregisterWebhooks, type LabelSelector, type WebhookRegistration } from './registration.ts';
import { parseAdmissionReview, reviewAnswer } from './review.ts';
import { ensureAdmissionTls, type AdmissionTls } from './tls.ts';

/** The largest review body accepted: a review carries the object twice, and Beamline's objects are small. */
export const ADMISSION_BODY_LIMIT = 1024 * 1024;

/** Options of {@link startAdmissionServer}. */
export interface AdmissionServerOptions {
  /** The TLS it serves with. */
  readonly tls: AdmissionTls;
  /** What the quota review reads. */
  readonly reader: AdmissionReader;
  /** Whether the user of a Project update may change every field of it (a platform admin). */
  readonly projectAdmin: ProjectAdminCheck;
  /** The port; 0 picks a free one. */
  readonly port: number;
  /** Where refusals (at debug) and unexpected errors are logged. */
  readonly logger?: Logger;
}

/** A running admission server. */
export interface AdmissionServer {
  /** `https://127.0.0.1:<port>`, with the port actually bound. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes the connections (the apiserver keeps them alive). */
  close(): Promise<void>;
}

function routes(app: FastifyInstance, options: AdmissionServerOptions): void {
  app.post(QUOTA_PATH, async (request) => {
    const review = parseAdmissionReview(request.body);
    const response = await reviewQuota(review, options.reader);
    if (!response.allowed) options.logger?.info({ uid: review.uid, user: review.userInfo.username, namespace: review.namespace, message: response.status?.message }, 'admission refused');
    return reviewAnswer(response);
  });
  app.post(PROJECT_PATH, async (request) => {
    const review = parseAdmissionReview(request.body);
    const response = await reviewProjectUpdate(review, options.projectAdmin);
    if (!response.allowed) options.logger?.info({ uid: review.uid, user: review.userInfo.username, project: review.name, message: response.status?.message }, 'admission refused');
    return reviewAnswer(response);
  });
  // What another manager probes before it takes the registration over (see webhookAnswers).
  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  app.post(CHANGED_BY_PATH, (request) => Promise.resolve(reviewAnswer(changedByResponse(parseAdmissionReview(request.body)))));
}

/**
 * Starts the HTTPS server on 127.0.0.1: `POST /validate/quota`, `POST /validate/project` and
 * `POST /mutate/changed-by`, each taking an `admission.k8s.io/v1` AdmissionReview (at most 1 MiB).
 * A body that is not JSON or not a review is answered 400 with `{ error, message }`, as every
 * Beamline route answers.
 */
export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const app = fastify({
    logger: false,
    https: { key: options.tls.keyPem, cert: options.tls.certPem },
    bodyLimit: ADMISSION_BODY_LIMIT,
    // The apiserver keeps connections open; closing must not wait for it.
    forceCloseConnections: true,
  });
  app.setErrorHandler(httpErrorHandler(options.logger === undefined ? {} : { logger: options.logger }));
  app.setNotFoundHandler((request) => Promise.reject(new InputError(`no admission webhook at ${request.method} ${request.url.split('?')[0] ?? ''}`)));
  routes(app, options);
  try {
    await app.listen({ host: '127.0.0.1', port: options.port });
  } catch (error) {
    await app.close();
    throw new Error(`failed to start the admission webhook server on 127.0.0.1:${options.port}: ${(error as Error).message}; choose another --admission-port`, { cause: error });
  }
  const port = (app.server.address() as AddressInfo).port;
  return { url: `https://127.0.0.1:${port}`, port, close: () => app.close() };
}

/** Options of {@link startAdmission}. */
export interface AdmissionOptions {
  /** The management cluster; its user reads the kinds, namespaces and Projects, writes the TLS Secret and the webhook configurations. */
  readonly kubeConfig: KubeConfig;
  /** The namespace of the TLS Secret (MANAGER_NAMESPACE). */
  readonly namespace: string;
  /** The port; 0 picks a free one. */
  readonly port: number;
  /** Which namespaces' requests the apiserver sends. Default: those labelled PROJECT_LABEL (tests narrow it). */
  readonly namespaceSelector?: LabelSelector;
  /** The configurations' names (tests make them unique). */
  readonly names?: { readonly quota: string; readonly changedBy: string };
  /** Which Projects' updates the apiserver sends (an objectSelector). Default: every Project (tests narrow it by a label). */
  readonly projectSelector?: LabelSelector;
  /** The TLS Secret's name. Default `beamline-admission-tls`. */
  readonly secretName?: string;
  /** How often the registration is checked and repaired when the server it names does not answer. Default 10 s. */
  readonly keepRegisteredMs?: number;
  /** The manager's cache, once there (templates and flavors are read from it when synced). */
  readonly cache?: () => SyncedCache | undefined;
  readonly logger?: Logger;
}

/** A running admission webhook: the server and its registration. */
export interface Admission extends AdmissionServer {
  /** PEM of the CA the configurations trust (the caBundle). */
  readonly caPem: string;
}

/**
 * Everything the manager's admission needs, in order: the TLS from its Secret (created or
 * renewed), the server listening, then both webhook configurations registered with its URL (only
 * once it answers, so the apiserver is never sent to a port nobody serves). Then, every
 * `keepRegisteredMs`, the registration is checked: missing, or naming a server that does not
 * answer (a manager that crashed), it is taken over. `close` removes the registration when it is
 * still this server's (or names a dead one), then stops the server, so a manager stopped cleanly
 * does not leave the apiserver refusing every Cluster for a port nobody serves.
 */
export async function startAdmission(options: AdmissionOptions): Promise<Admission> {
  const client = clientFor(options.kubeConfig);
  const tls = await ensureAdmissionTls(client, { namespace: options.namespace, ...(options.secretName === undefined ? {} : { name: options.secretName }) });
  const server = await startAdmissionServer({
    tls,
    reader: admissionReader(client, options.cache),
    projectAdmin: subjectAccessReviewCheck(client),
    port: options.port,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const registration: WebhookRegistration = {
    baseUrl: server.url,
    caPem: tls.caPem,
    ...(options.namespaceSelector === undefined ? {} : { namespaceSelector: options.namespaceSelector }),
    ...(options.names === undefined ? {} : { names: options.names }),
    ...(options.projectSelector === undefined ? {} : { projectSelector: options.projectSelector }),
  };
  const ownUrl = (path: string | undefined): boolean => path?.startsWith(`${server.url}/`) === true;
  try {
    await registerWebhooks(client, registration);
  } catch (error) {
    await server.close();
    throw error;
  }
  options.logger?.info({ url: server.url }, 'admission webhooks registered');

  let keeping: Promise<void> = Promise.resolve();
  const keep = async (): Promise<void> => {
    try {
      const registered = await registeredQuotaWebhook(client, options.names);
      if (registered !== undefined && (ownUrl(registered.url) || (await registrationAnswers(registered)))) return;
      await registerWebhooks(client, registration);
      options.logger?.info({ url: server.url, replaced: registered?.url }, 'admission webhooks re-registered: the registered server did not answer');
    } catch (error) {
      options.logger?.warn({ err: (error as Error).message }, 'failed to check the admission webhook registration; retrying');
    }
  };
  const timer = setInterval(() => {
    keeping = keeping.then(keep);
  }, options.keepRegisteredMs ?? 10_000);
  timer.unref();

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    clearInterval(timer);
    await keeping;
    try {
      const registered = await registeredQuotaWebhook(client, options.names);
      if (registered !== undefined && (ownUrl(registered.url) || !(await registrationAnswers(registered)))) {
        await unregisterWebhooks(client, registered.resourceVersion, options.names);
      }
    } catch (error) {
      options.logger?.warn({ err: (error as Error).message }, 'failed to remove the admission webhook registration');
    } finally {
      await server.close();
    }
  };
  return { ...server, caPem: tls.caPem, close: () => (closing ??= close()) };
}
