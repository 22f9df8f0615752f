import { CREDENTIALS_SECRET_KEYS, type ApplicationSource } from '@beamline/api';
import { redactUrl, SourceError, type GitCredentials } from '@beamline/gitops';

/** Reads a Secret's data (decoded) by namespace and name; `undefined` when it does not exist. */
export type SecretDataReader = (namespace: string, name: string) => Promise<Readonly<Record<string, string>> | undefined>;

/** Decodes the base64 `data` of a Secret as read from the API. */
export function decodeSecretData(data: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(data ?? {})) decoded[key] = Buffer.from(value, 'base64').toString('utf8');
  return decoded;
}

/**
 * The credentials `source.credentialsSecretRef` names, read from the Application's namespace only
 * (never another: a Secret reference is resolved where the Application lives, so an app cannot
 * borrow another tenant's credentials). `undefined` when the source names none.
 *
 * Keys: `sshPrivateKey` (+ optional `knownHosts`) for ssh; `username` + `password` otherwise (a
 * token goes in `password`; `username` may be anything the server accepts with it).
 *
 * @throws {SourceError} `AuthenticationFailed` when the Secret is missing or holds neither set of
 *   keys; the message names the Secret and its keys, never their values.
 */
export async function sourceCredentials(source: ApplicationSource, appNamespace: string | undefined, readSecret: SecretDataReader | undefined): Promise<GitCredentials | undefined> {
  const ref = source.credentialsSecretRef;
  if (ref === undefined) return undefined;
  const url = redactUrl(source.repoURL);
  const fail = (why: string): SourceError => new SourceError('AuthenticationFailed', `failed to read the credentials of ${url}: ${why}`, { url });
  if (appNamespace === undefined || readSecret === undefined) throw fail(`no way to read Secret ${ref.name} here`);
  let data: Readonly<Record<string, string>> | undefined;
  try {
    data = await readSecret(appNamespace, ref.name);
  } catch (error) {
    throw new SourceError('AuthenticationFailed', `failed to read the credentials of ${url}: failed to read Secret ${appNamespace}/${ref.name}: ${(error as Error).message}`, { url, cause: error });
  }
  if (data === undefined) throw fail(`Secret ${appNamespace}/${ref.name} (credentialsSecretRef) not found`);
  const scope = `${appNamespace}/${ref.name}`;
  const key = data[CREDENTIALS_SECRET_KEYS.sshPrivateKey];
  if (key !== undefined && key.trim() !== '') {
    const knownHosts = data[CREDENTIALS_SECRET_KEYS.knownHosts];
    return { type: 'ssh', privateKey: key, scope, ...(knownHosts === undefined || knownHosts.trim() === '' ? {} : { knownHosts }) };
  }
  const username = data[CREDENTIALS_SECRET_KEYS.username];
  const password = data[CREDENTIALS_SECRET_KEYS.password];
  if (username === undefined || password === undefined || username === '' || password === '') {
    throw fail(`Secret ${scope} must hold "username" and "password" (https, Helm) or "sshPrivateKey" (ssh)`);
  }
  // Lines are the credential protocol's separators: a value with one would inject fields.
  if (/[\n\r\0]/.test(username) || /[\n\r\0]/.test(password)) throw fail(`Secret ${scope}: "username" and "password" must be single lines`);
  return { type: 'basic', username, password, scope };
}

/**
 * `source` with `repoURL` redacted ({@link redactUrl}): what may be stored in status (history)
 * or shown. The CRD refuses credentials in `repoURL`; this covers objects stored before it did.
 */
export function redactSource<T extends { readonly repoURL: string }>(source: T): T {
  const repoURL = redactUrl(source.repoURL);
  return repoURL === source.repoURL ? source : { ...source, repoURL };
}
