/**
 * How the test run's global setup hands its control plane to the test files: node's test runner
 * runs each file in its own process, so the setup writes a small JSON file and passes its path in
 * this environment variable, which the file processes inherit.
 */
export const SHARED_STATE_ENV = 'BEAMLINE_TESTENV_STATE';

/** What the global setup shares with every test file. */
export interface SharedControlPlane {
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly dir: string;
  /** Folder of the binaries the plane runs, for tests that start processes of their own. */
  readonly binDir: string;
  readonly mode: 'minimal' | 'full';
}
