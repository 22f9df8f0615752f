import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { apiServerEtcdTlsArgs, etcdClientTlsArgs, type PkiFiles } from './components.ts';
import type { Layout } from './layout.ts';
import { createCertificateAuthority } from './pki.ts';
import { isSameProcessAlive, readPidRecord } from './processes.ts';
import { stopInStages, withStages } from './running.ts';
import { writeState, type ComponentSpec, type ControlPlaneState } from './state.ts';

const SECRET = { mode: 0o600 } as const;

/**
 * Writes a new etcd CA, the members' certificate (127.0.0.1 and localhost; serving and client, for
 * peers) and the apiservers' etcd client certificate into the plane's `pki/`, keys 0600.
 */
export async function writeEtcdPki(layout: Layout, name: string): Promise<void> {
  const ca = await createCertificateAuthority(`${name}-etcd-ca`);
  const [member, client] = await Promise.all([
    ca.issuePeer('etcd', { dns: ['localhost'], ips: ['127.0.0.1'] }),
    ca.issueClient('kube-apiserver-etcd-client', []),
  ]);
  const { pki } = layout;
  await Promise.all([
    writeFile(pki.etcdCaCert, ca.certPem),
    writeFile(pki.etcdCaKey, ca.keyPem, SECRET),
    writeFile(pki.etcdCert, member.certPem),
    writeFile(pki.etcdKey, member.keyPem, SECRET),
    writeFile(pki.apiServerEtcdClientCert, client.certPem),
    writeFile(pki.apiServerEtcdClientKey, client.keyPem, SECRET),
  ]);
}

const ETCD_FILES = (pki: PkiFiles): string[] => [pki.etcdCaCert, pki.etcdCaKey, pki.etcdCert, pki.etcdKey, pki.apiServerEtcdClientCert, pki.apiServerEtcdClientKey];

/** Whether a plane's etcd members serve clients without TLS: a plane started before etcd had it. */
export function needsEtcdTls(components: readonly ComponentSpec[]): boolean {
  return components.some((spec) => spec.binaryName === 'etcd' && !spec.args.includes('--client-cert-auth=true'));
}

const httpsUrls = (value: string): string => value.replaceAll('http://', 'https://');

/**
 * The components of a plane started before etcd had TLS, with client TLS: etcd members serve
 * `https://` with client-certificate authentication and are probed with the etcd client
 * certificate; apiservers reach them over `https://` with it. Pure. Peer URLs stay as they were:
 * the members' peer URLs are recorded in etcd's own membership, and a member that listened for
 * peers over TLS while the others dial it over HTTP would cut the cluster apart.
 */
export function withEtcdTls(components: readonly ComponentSpec[], pki: PkiFiles): ComponentSpec[] {
  return components.map((spec) => {
    if (spec.binaryName === 'etcd' && !spec.args.includes('--client-cert-auth=true')) {
      const args = spec.args.map((arg) => (arg.startsWith('--listen-client-urls=') || arg.startsWith('--advertise-client-urls=') ? httpsUrls(arg) : arg));
      return { ...spec, args: [...args, ...etcdClientTlsArgs(pki)], probe: { url: httpsUrls(spec.probe.url), tls: 'etcd-client' } };
    }
    if (spec.binaryName === 'kube-apiserver' && !spec.args.some((arg) => arg.startsWith('--etcd-certfile='))) {
      const args = spec.args.map((arg) => (arg.startsWith('--etcd-servers=') ? httpsUrls(arg) : arg));
      return { ...spec, args: [...args, ...apiServerEtcdTlsArgs(pki)] };
    }
    return spec;
  });
}

/**
 * Brings a plane started before etcd had TLS up to date, before it is resumed: writes the etcd
 * certificates when any is missing, rewrites `state.json` with {@link withEtcdTls}, and stops the
 * etcd members and apiservers that still run with the old flags (the resume starts them again
 * with the new ones; an apiserver without TLS cannot reach a member with it). Returns the state
 * to resume; a plane that needs nothing is returned as it is.
 */
export async function upgradeToEtcdTls(layout: Layout, state: ControlPlaneState): Promise<ControlPlaneState> {
  const missing = ETCD_FILES(layout.pki).some((file) => !existsSync(file));
  if (missing) await writeEtcdPki(layout, state.name);
  if (!needsEtcdTls(state.components)) return state;
  const upgraded: ControlPlaneState = { ...state, components: withEtcdTls(state.components, layout.pki) };
  const old = state.components
    .filter((spec) => spec.binaryName === 'etcd' || spec.binaryName === 'kube-apiserver')
    .map((spec) => ({ name: spec.name, record: readPidRecord(layout.pidDir, spec.name) }))
    .flatMap(({ name, record }) => (record !== undefined && isSameProcessAlive(record) ? [{ name, pid: record.pid, startTicks: record.startTicks }] : []));
  await stopInStages(withStages(state.components, old));
  await writeState(layout.dir, upgraded);
  return upgraded;
}
