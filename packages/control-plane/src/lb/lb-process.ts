/**
 * The load balancer of an HA control plane, run as a process of its own (like etcd and the
 * apiservers, it outlives whoever started it):
 *
 *   node lb-process.ts --listen=127.0.0.1:6443 --backend=127.0.0.1:7001 --backend=127.0.0.1:7002 \
 *     [--health-path=/readyz --health-ca=<ca.crt>] [--health-interval-ms=1000] [--replay-until-first-reply]
 *
 * With `--health-path`, backends are checked with an HTTPS GET verified against `--health-ca`
 * (an apiserver that listens but is not ready leaves the rotation); without it, with a TCP
 * connect. `--replay-until-first-reply` (TLS backends): a backend that closes before answering is
 * replaced by the next one without the client noticing. Logs go to stdout (the launcher sends them to `logs/load-balancer.log`). SIGTERM or
 * SIGINT close it cleanly.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { probeStatus } from '../readiness.ts';
import { startTcpLoadBalancer, type TcpEndpoint } from './tcp-load-balancer.ts';

function endpointOf(text: string, flag: string): TcpEndpoint {
  const match = /^(.+):(\d+)$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`failed to parse --${flag}=${text}: expected host:port`);
  return { host: match[1], port: Number(match[2]) };
}

const log = (message: string): void => {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
};

try {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string' },
      backend: { type: 'string', multiple: true },
      'health-path': { type: 'string' },
      'health-ca': { type: 'string' },
      'health-interval-ms': { type: 'string', default: '1000' },
      'replay-until-first-reply': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.listen === undefined) throw new Error('failed to parse flags: --listen is required');
  const listen = endpointOf(values.listen, 'listen');
  const backends = (values.backend ?? []).map((text) => endpointOf(text, 'backend'));
  const healthPath = values['health-path'];
  const ca = values['health-ca'] === undefined ? undefined : readFileSync(values['health-ca'], 'utf8');
  const lb = await startTcpLoadBalancer({
    listen,
    backends,
    healthCheckIntervalMs: Number(values['health-interval-ms']),
    replayUntilFirstReply: values['replay-until-first-reply'],
    ...(healthPath === undefined
      ? {}
      : {
          healthCheck: async (backend: TcpEndpoint) =>
            (await probeStatus(`https://${backend.host}:${backend.port}${healthPath}`, { ca }, 1_000)) === 200,
        }),
    log,
  });
  log(`listening on ${lb.address.host}:${lb.address.port}, backends ${backends.map((b) => `${b.host}:${b.port}`).join(' ')}`);
  const shutdown = (signal: NodeJS.Signals): void => {
    log(`${signal}: closing`);
    void lb.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} catch (error) {
  // The launcher shows this log tail when the process exits early; "address already in use"
  // in it makes the launcher retry with new ports.
  log(`failed to start load balancer: ${(error as Error).message}`);
  process.exit(1);
}
