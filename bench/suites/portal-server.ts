// The portal server alone in its own process, for `npm run bench -- portal`: the load generator
// stays out of its event loop, as a browser is out of the manager's. Prints `{"url": ...}` once
// listening; stops on SIGTERM, or when the parent goes away (its stdin closes).
// Usage: node portal-server.ts <kubeconfig>
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createPortal, startManagerServer } from '@beamline/manager';

const kubeconfigPath = process.argv[2];
if (kubeconfigPath === undefined) {
  process.stderr.write('usage: portal-server.ts <kubeconfig>\n');
  process.exit(2);
}
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeconfigPath);
const portal = createPortal({ kubeConfig, logger: pino({ level: 'warn' }, pino.destination(2)) });
const server = await startManagerServer({ port: 0, manager: { readiness: () => ({ ready: true, notReady: [] }) }, registry: new Registry(), routes: (app) => portal.register(app) });
portal.start();
await portal.cache.whenSynced();
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await server.close();
  await portal.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
