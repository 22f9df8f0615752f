import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { logTail, sleep, type ComponentProcess } from './processes.ts';

/** TLS material for probing a component over HTTPS. */
export interface ProbeTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Components that generate their own serving certificate (controller-manager, scheduler) are not verified. */
  readonly insecure?: boolean;
}

/** GETs a URL and returns the status code, or 0 when the connection failed. Never throws. */
export function probeStatus(url: string, tls: ProbeTls = {}, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const options = {
      method: 'GET',
      timeout: timeoutMs,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: tls.insecure !== true,
    };
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Thrown when a component does not become ready; carries the tail of its log. */
export class ComponentStartError extends Error {
  readonly component: string;
  readonly log: string;
  constructor(component: string, reason: string, log: string, logFile: string) {
    super(`failed to start ${component}: ${reason}\n--- last lines of ${logFile} ---\n${log}`);
    this.name = 'ComponentStartError';
    this.component = component;
    this.log = log;
  }
}

/**
 * Polls `url` until it answers 200, the component exits, or `timeoutMs` passes. On failure the
 * error carries the component's log tail, which is what a person needs to see.
 */
export async function waitUntilReady(component: ComponentProcess, url: string, tls: ProbeTls, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitReason: string | undefined;
  void component.exited.then((reason) => (exitReason = reason));
  let delay = 20;
  for (;;) {
    if (exitReason !== undefined || !component.isRunning()) {
      await sleep(50); // let the last log lines reach the file
      throw new ComponentStartError(component.name, `exited (${exitReason ?? 'not running'})`, await logTail(component.logFile), component.logFile);
    }
    if ((await probeStatus(url, tls)) === 200) return;
    if (Date.now() > deadline) {
      throw new ComponentStartError(component.name, `not ready after ${timeoutMs} ms (${url})`, await logTail(component.logFile), component.logFile);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 200);
  }
}
