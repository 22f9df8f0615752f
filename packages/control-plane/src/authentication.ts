/**
 * The apiserver's structured authentication configuration (`--authentication-config`): the OIDC
 * issuers whose ID tokens it accepts beside client certificates and service-account tokens.
 *
 * Every plane gets the file, empty until an issuer is configured, so trusting an issuer later is a
 * file write, not a restart: the apiserver watches the file and reloads it (a bad new file is
 * refused by the apiserver and the old one stays in force).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** One OIDC issuer an apiserver trusts, and how its tokens become Kubernetes users and groups. */
export interface JwtIssuer {
  /** The issuer URL (https), as the tokens' `iss` claim says it. */
  readonly issuer: string;
  /** The accepted `aud` values: the OAuth client ids. */
  readonly audiences: readonly string[];
  /** PEM of the CA of the issuer's serving certificate, when not a public one. */
  readonly certificateAuthority?: string;
  readonly usernameClaim: string;
  readonly usernamePrefix: string;
  readonly groupsClaim: string;
  readonly groupsPrefix: string;
}

/** The file of a plane's authentication configuration: `<dir>/auth/authentication.yaml`. */
export function authenticationConfigPath(dir: string): string {
  return join(dir, 'auth', 'authentication.yaml');
}

/** The AuthenticationConfiguration document (JSON, which is YAML) for these issuers. */
export function authenticationConfiguration(issuers: readonly JwtIssuer[]): string {
  const document = {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AuthenticationConfiguration',
    jwt: issuers.map((issuer) => ({
      issuer: {
        url: issuer.issuer,
        audiences: [...issuer.audiences],
        ...(issuer.certificateAuthority === undefined ? {} : { certificateAuthority: issuer.certificateAuthority }),
      },
      claimMappings: {
        username: { claim: issuer.usernameClaim, prefix: issuer.usernamePrefix },
        groups: { claim: issuer.groupsClaim, prefix: issuer.groupsPrefix },
      },
    })),
  };
  return `${JSON.stringify(document, undefined, 2)}\n`;
}

/**
 * Writes the authentication configuration of the plane in `dir` (atomically: a reloading
 * apiserver never reads half a file). Before the start it is what the apiservers start with;
 * afterwards they pick the change up by themselves.
 */
export async function writeAuthenticationConfig(dir: string, issuers: readonly JwtIssuer[]): Promise<void> {
  const path = authenticationConfigPath(dir);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, authenticationConfiguration(issuers), { mode: 0o644 });
  await rename(temporary, path);
}

/**
 * Writes the authentication configuration only when it differs from the file (a plane of an
 * older Beamline has none; an issuer was set or moved): an unchanged file is never touched, so the
 * apiservers do not reload for nothing. Returns whether it wrote.
 */
export async function ensureAuthenticationConfig(dir: string, issuers: readonly JwtIssuer[]): Promise<boolean> {
  const current = await readFile(authenticationConfigPath(dir), 'utf8').catch(() => undefined);
  if (current === authenticationConfiguration(issuers)) return false;
  await writeAuthenticationConfig(dir, issuers);
  return true;
}

/** The audit policy of planes that keep an audit log: who did what to which object, never a body (Secrets stay out). */
export const AUDIT_POLICY = `${JSON.stringify(
  {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [
      // Lease renewals (every component, every few seconds) and Events would drown the changes people ask about.
      { level: 'None', resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }, { group: '', resources: ['events'] }, { group: 'events.k8s.io', resources: ['events'] }] },
      { level: 'Metadata', verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
      { level: 'None' },
    ],
  },
  undefined,
  2,
)}\n`;
