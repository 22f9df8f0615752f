import { pino } from 'pino';
import { Manager } from '@beamline/reconcile';
import type { TestEnv } from '@beamline/testenv';
import { ApplicationController } from '../controller.ts';

/** The Application controller running in a manager of the test's own process. */
export interface GitopsInProcess {
  readonly manager: Manager;
  readonly gitops: ApplicationController;
  /** Stops the manager, then the controller's destinations. */
  stop(): Promise<void>;
}

/**
 * Starts the Application controller in a manager of this process against the run's shared
 * apiserver (leader election in the test's namespace), with git mirrors under `workDir`.
 */
export async function startGitopsInProcess(env: TestEnv, workDir: string): Promise<GitopsInProcess> {
  const logger = pino({ level: process.env.BEAMLINE_LOG_LEVEL ?? 'warn' });
  const gitops = new ApplicationController({ kubeConfig: env.kubeConfig, workDir, binaries: env.binaries, kubernetesVersion: '1.36.3', logger });
  const manager = new Manager({ kubeConfig: env.kubeConfig, logger, namespace: env.namespace });
  manager.add(gitops.controller);
  gitops.attach(manager);
  await manager.start();
  return {
    manager,
    gitops,
    stop: async () => {
      await manager.stop();
      await gitops.stop();
    },
  };
}
