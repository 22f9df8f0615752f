import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { parseDocument } from 'yaml';
import { InvalidKubeconfigError } from './invalid-kubeconfig-error.ts';

/** The largest kubeconfig {@link workloadKubeConfig} parses: real ones are a few KiB. */
export const MAX_WORKLOAD_KUBECONFIG_BYTES = 1024 * 1024;

type Plain = Record<string, unknown>;

/** Fields that would make the manager run a program or read one of its own files, and why each is refused. */
const REFUSED_USER: Readonly<Record<string, string>> = {
  exec: 'a credential plugin runs a command as the manager; give a token or a client certificate inline',
  'auth-provider': 'auth providers run commands or read files as the manager; give a token or a client certificate inline',
  tokenFile: 'a file of the manager; give the token inline (token)',
  'token-file': 'a file of the manager; give the token inline (token)',
  'client-certificate': 'a file of the manager; give the certificate inline (client-certificate-data)',
  'client-key': 'a file of the manager; give the key inline (client-key-data)',
  as: 'impersonation is not supported in workload kubeconfigs',
  'as-uid': 'impersonation is not supported in workload kubeconfigs',
  'as-groups': 'impersonation is not supported in workload kubeconfigs',
  'as-user-extra': 'impersonation is not supported in workload kubeconfigs',
};
const REFUSED_CLUSTER: Readonly<Record<string, string>> = {
  'certificate-authority': 'a file of the manager; give the CA inline (certificate-authority-data)',
  'proxy-url': 'the manager does not connect through proxies named by a tenant',
};
/** Top-level fields a kubeconfig may carry that change nothing about how Beamline connects. */
const IGNORED_TOP = new Set(['apiVersion', 'kind', 'preferences', 'extensions']);
const USER_FIELDS = new Set(['client-certificate-data', 'client-key-data', 'token', 'username', 'password', 'extensions']);
const CLUSTER_FIELDS = new Set(['server', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'disable-compression', 'extensions']);
const CONTEXT_FIELDS = new Set(['cluster', 'user', 'namespace', 'extensions']);
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

const refuse = (field: string, why: string): InvalidKubeconfigError => new InvalidKubeconfigError(`refused: ${why}`, field);

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, field: string): Plain {
  if (!isPlain(value)) throw new InvalidKubeconfigError('must be a mapping', field);
  return value;
}

function optionalString(entry: Plain, key: string, field: string): string | undefined {
  const value = entry[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidKubeconfigError('must be a string', `${field}.${key}`);
  return value;
}

function inlineData(entry: Plain, key: string, field: string): string | undefined {
  const value = optionalString(entry, key, field);
  if (value !== undefined && !BASE64.test(value)) throw new InvalidKubeconfigError('must be base64', `${field}.${key}`);
  return value;
}

/** Refuses every key of `entry` that is not allowed, naming the first one with the reason it is refused. */
function checkKeys(entry: Plain, field: string, allowed: ReadonlySet<string>, refused: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(entry)) {
    if (allowed.has(key)) continue;
    const why = refused[key];
    // Only known keys are named as they are: an unknown key could be a value pasted in the wrong place.
    if (why !== undefined) throw refuse(`${field}.${key}`, why);
    throw refuse(`${field}.<unknown key>`, `only ${[...allowed].filter((name) => name !== 'extensions').join(', ')} are read here`);
  }
}

/** The named entries of a list (`clusters`, `users`, `contexts`): name and body, each checked for shape. */
function namedEntries(document: Plain, list: string, body: string): { readonly name: string; readonly value: Plain; readonly field: string }[] {
  const items = document[list];
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) throw new InvalidKubeconfigError('must be a list', list);
  const seen = new Set<string>();
  return items.map((item, index) => {
    const entry = object(item, `${list}[${index}]`);
    for (const key of Object.keys(entry)) if (key !== 'name' && key !== body) throw refuse(`${list}[${index}].<unknown key>`, `only name and ${body} are read here`);
    const name = entry.name;
    if (typeof name !== 'string' || name === '') throw new InvalidKubeconfigError('must be a non-empty string', `${list}[${index}].name`);
    if (seen.has(name)) throw new InvalidKubeconfigError(`duplicates the name of an earlier entry`, `${list}[${index}].name`);
    seen.add(name);
    return { name, value: object(entry[body] ?? {}, `${list}[${index}].${body}`), field: `${list}[${index}].${body}` };
  });
}

function clusterOf(name: string, entry: Plain, field: string): Cluster {
  checkKeys(entry, field, CLUSTER_FIELDS, REFUSED_CLUSTER);
  const server = optionalString(entry, 'server', field);
  if (server === undefined || server === '') throw new InvalidKubeconfigError('is required', `${field}.server`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new InvalidKubeconfigError('is not a URL', `${field}.server`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse(`${field}.server`, 'only https:// and http:// servers are reached');
  if (url.username !== '' || url.password !== '') throw refuse(`${field}.server`, 'credentials in the URL; give them as token or username/password');
  const skip = entry['insecure-skip-tls-verify'];
  if (skip !== undefined && skip !== null && typeof skip !== 'boolean') throw new InvalidKubeconfigError('must be true or false', `${field}.insecure-skip-tls-verify`);
  const caData = inlineData(entry, 'certificate-authority-data', field);
  const tlsServerName = optionalString(entry, 'tls-server-name', field);
  return { name, server, skipTLSVerify: skip === true, ...(caData === undefined ? {} : { caData: caData.replace(/\s/g, '') }), ...(tlsServerName === undefined ? {} : { tlsServerName }) };
}

function userOf(name: string, entry: Plain, field: string): User {
  checkKeys(entry, field, USER_FIELDS, REFUSED_USER);
  const certData = inlineData(entry, 'client-certificate-data', field);
  const keyData = inlineData(entry, 'client-key-data', field);
  if ((certData === undefined) !== (keyData === undefined)) {
    throw new InvalidKubeconfigError('client-certificate-data and client-key-data go together', `${field}.${certData === undefined ? 'client-certificate-data' : 'client-key-data'}`);
  }
  const token = optionalString(entry, 'token', field);
  const username = optionalString(entry, 'username', field);
  const password = optionalString(entry, 'password', field);
  return {
    name,
    ...(certData === undefined ? {} : { certData: certData.replace(/\s/g, '') }),
    ...(keyData === undefined ? {} : { keyData: keyData.replace(/\s/g, '') }),
    ...(token === undefined ? {} : { token }),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
}

/** Parses the YAML without letting the parser's message quote the text (it may hold credentials). */
function parseKubeconfig(text: string): unknown {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const error = document.errors[0];
  if (error !== undefined) {
    // The position, computed here: the parser's pretty message would quote the line itself.
    const before = text.slice(0, error.pos[0]);
    const at = ` at line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
    throw new InvalidKubeconfigError(`the kubeconfig is not valid YAML (${error.code}${at})`);
  }
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    // Alias bombs and the like: say what, never where in the text.
    throw new InvalidKubeconfigError(`the kubeconfig cannot be read as YAML (${(cause as Error).name})`);
  }
}

/**
 * Loads the kubeconfig of a workload cluster given by someone else (an imported Cluster's Secret, an
 * Application's destination): the only way Beamline reads such a kubeconfig.
 *
 * It is parsed here, not by `KubeConfig.loadFromString`, and built from plain objects, so nothing in
 * it can make the manager run a program or read its own files: only inline credentials
 * (`certificate-authority-data`, `client-certificate-data`, `client-key-data`, `token`,
 * `username`/`password`), `server` (https:// or http://), `insecure-skip-tls-verify` and
 * `tls-server-name` are taken. Everything else — `exec`, `auth-provider`, token and certificate
 * files, `proxy-url`, impersonation, unknown keys — is refused with an {@link InvalidKubeconfigError}
 * naming the field (`users[0].user.exec: refused: ...`) and never a value. Every entry of the
 * document is checked, used or not; the current context must name a cluster and a user that the
 * document defines. Texts over {@link MAX_WORKLOAD_KUBECONFIG_BYTES} are refused unread.
 */
export function workloadKubeConfig(text: string): KubeConfig {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_WORKLOAD_KUBECONFIG_BYTES) throw new InvalidKubeconfigError(`the kubeconfig is ${bytes} bytes; at most ${MAX_WORKLOAD_KUBECONFIG_BYTES} are read`);
  const parsed = parseKubeconfig(text);
  if (!isPlain(parsed)) throw new InvalidKubeconfigError('the kubeconfig is not a YAML mapping');
  for (const key of Object.keys(parsed)) {
    if (!IGNORED_TOP.has(key) && !['clusters', 'users', 'contexts', 'current-context'].includes(key)) throw refuse('<unknown top-level key>', 'only clusters, users, contexts and current-context are read');
  }
  const clusters = namedEntries(parsed, 'clusters', 'cluster').map(({ name, value, field }) => clusterOf(name, value, field));
  const users = namedEntries(parsed, 'users', 'user').map(({ name, value, field }) => userOf(name, value, field));
  const contexts = namedEntries(parsed, 'contexts', 'context').map(({ name, value, field }): Context => {
    checkKeys(value, field, CONTEXT_FIELDS, {});
    const cluster = optionalString(value, 'cluster', field);
    const user = optionalString(value, 'user', field);
    const namespace = optionalString(value, 'namespace', field);
    if (cluster === undefined || !clusters.some((entry) => entry.name === cluster)) throw new InvalidKubeconfigError('names no cluster of the kubeconfig', `${field}.cluster`);
    // A context without a user would make client-node skip the CA too (it applies TLS options per user).
    if (user === undefined || !users.some((entry) => entry.name === user)) throw new InvalidKubeconfigError('names no user of the kubeconfig', `${field}.user`);
    return { name, cluster, user, ...(namespace === undefined ? {} : { namespace }) };
  });
  const current = parsed['current-context'];
  if (typeof current !== 'string' || current === '') throw new InvalidKubeconfigError('is required', 'current-context');
  if (!contexts.some((context) => context.name === current)) throw new InvalidKubeconfigError('names no context of the kubeconfig', 'current-context');
  const config = new KubeConfig();
  config.loadFromOptions({ clusters, users, contexts, currentContext: current });
  return config;
}
