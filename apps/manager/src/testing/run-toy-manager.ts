// A manager process for the tests of runManager: the toy controller in one namespace, leader
// election with short periods. Prints `{"url": ...}` on stdout once listening.
// Usage: node run-toy-manager.ts <kubeconfig> <namespace> <identity> <lease name>
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { ToyReconciler, toyController } from '@beamline/reconcile/testing';
import { runManager } from '../run-manager.ts';

const [kubeconfigPath, namespace, identity, leaseName] = process.argv.slice(2);
if (kubeconfigPath === undefined || namespace === undefined || identity === undefined || leaseName === undefined) {
  process.stderr.write('usage: run-toy-manager.ts <kubeconfig> <namespace> <identity> <lease name>\n');
  process.exit(2);
}
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeconfigPath);
await runManager({
  kubeConfig,
  capabilities: [{ name: 'toy', controllers: [toyController(new ToyReconciler('toy', identity))] }],
  port: 0,
  identity,
  leaseNamespace: namespace,
  leaseName,
  namespace,
  leaderElection: { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 },
  logger: pino({ level: 'info' }, pino.destination(2)),
  onListening: (url) => process.stdout.write(`${JSON.stringify({ url })}\n`),
});
