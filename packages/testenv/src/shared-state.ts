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
  /**
   * The run's OIDC provider (a real one, `@beamline/oidc-provider`, with its demo users) that the
   * shared plane's apiserver trusts: tokens of these users authenticate as `oidc:<email>` in
   * `oidc:<group>` groups. Tests that change what the apiserver trusts start a plane of their own.
   */
  readonly identity: SharedIdentity;
}

/** The shared plane's identity provider. */
export interface SharedIdentity {
  readonly issuer: string;
  /** PEM of the CA of the issuer's serving certificate. */
  readonly caPem: string;
  readonly clientID: string;
  readonly usernamePrefix: string;
  readonly groupsPrefix: string;
}
