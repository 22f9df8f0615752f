/**
 * The admission webhooks' TLS: a CA and a serving certificate kept in one Secret of the manager's
 * namespace. The apiserver trusts the CA through the webhook configurations' caBundle, so the CA
 * is created once and reused across restarts (and by every manager replica): a new CA at every
 * start would leave the configurations naming a CA that no longer signs the serving certificate
 * for as long as the update takes, and with failurePolicy Fail that refuses every Cluster.
 */
import { X509Certificate } from 'node:crypto';
import { createCertificateAuthority, loadCertificateAuthority, type CertificateAuthority } from '@beamline/control-plane';
import { isConflict, type KubeClient, type KubeObject } from '@beamline/kube';
import { RESOURCES } from '../resources.ts';

/** The Secret holding the CA and the serving certificate: `<MANAGER_NAMESPACE>/beamline-admission-tls`. */
export const ADMISSION_TLS_SECRET = 'beamline-admission-tls';
/** A certificate that expires within this is replaced (the serving one reissued, the CA recreated). */
export const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

const CA_CERT = 'ca.crt';
const CA_KEY = 'ca.key';
const TLS_CERT = 'tls.crt';
const TLS_KEY = 'tls.key';

/** What the webhook server serves with and the configurations trust. */
export interface AdmissionTls {
  /** PEM of the CA: the caBundle. */
  readonly caPem: string;
  /** PEM of the serving certificate (for 127.0.0.1 and localhost). */
  readonly certPem: string;
  /** PEM of its key. Never logged. */
  readonly keyPem: string;
}

/** Options of {@link ensureAdmissionTls}. */
export interface AdmissionTlsOptions {
  /** The namespace of the Secret (the manager's, MANAGER_NAMESPACE); it must exist. */
  readonly namespace: string;
  /** The Secret's name. Default {@link ADMISSION_TLS_SECRET}. */
  readonly name?: string;
  /** The hosts the serving certificate names. Default 127.0.0.1 and localhost. */
  readonly hosts?: { readonly dns: readonly string[]; readonly ips: readonly string[] };
  /** The time certificates are judged at (tests). Default now. */
  readonly now?: () => Date;
}

interface Secret extends KubeObject {
  data?: Record<string, string>;
  type?: string;
}

const DEFAULT_HOSTS = { dns: ['localhost'], ips: ['127.0.0.1'] };

/** Whether a certificate is still good at `now` for at least {@link RENEW_BEFORE_MS}. */
function lastsBeyondRenewal(cert: X509Certificate, now: Date): boolean {
  return Date.parse(cert.validTo) - now.getTime() > RENEW_BEFORE_MS && Date.parse(cert.validFrom) <= now.getTime();
}

/**
 * Whether the serving certificate must be (re)issued: missing, unreadable, not signed by the CA,
 * not naming every host, or expiring within {@link RENEW_BEFORE_MS}.
 */
export function servingCertificateNeedsRenewal(
  caPem: string,
  certPem: string | undefined,
  hosts: { readonly dns: readonly string[]; readonly ips: readonly string[] },
  now: Date,
): boolean {
  if (certPem === undefined) return true;
  try {
    const ca = new X509Certificate(caPem);
    const cert = new X509Certificate(certPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return true;
    if (!hosts.ips.every((ip) => cert.checkIP(ip) !== undefined) || !hosts.dns.every((dns) => cert.checkHost(dns) !== undefined)) return true;
    return !lastsBeyondRenewal(cert, now);
  } catch {
    return true;
  }
}

/** Whether the CA can go on signing: readable and not expiring within {@link RENEW_BEFORE_MS}. */
export function certificateAuthorityUsable(caPem: string | undefined, now: Date): boolean {
  if (caPem === undefined) return false;
  try {
    return lastsBeyondRenewal(new X509Certificate(caPem), now);
  } catch {
    return false;
  }
}

const decode = (value: string | undefined): string | undefined => (value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8'));
const encode = (value: string): string => Buffer.from(value, 'utf8').toString('base64');

/**
 * The admission TLS from the Secret, creating or renewing what is missing or expiring: the CA is
 * kept for as long as it lasts (the caBundle stays the same across restarts), the serving
 * certificate reissued when it expires within 30 days. Two managers starting at once: the one
 * whose write loses (409) reads the winner's Secret and uses it.
 */
export async function ensureAdmissionTls(client: KubeClient, options: AdmissionTlsOptions): Promise<AdmissionTls> {
  const name = options.name ?? ADMISSION_TLS_SECRET;
  const hosts = options.hosts ?? DEFAULT_HOSTS;
  const now = options.now ?? (() => new Date());
  for (let attempt = 0; ; attempt++) {
    const secret = await client.get<Secret>(RESOURCES.secret, name, options.namespace);
    const data = secret?.data ?? {};
    const caPem = decode(data[CA_CERT]);
    let caKeyPem = decode(data[CA_KEY]);
    let certPem = decode(data[TLS_CERT]);
    let keyPem = decode(data[TLS_KEY]);
    let changed = false;
    let ca: CertificateAuthority | undefined;
    if (caPem !== undefined && caKeyPem !== undefined && certificateAuthorityUsable(caPem, now())) {
      try {
        ca = await loadCertificateAuthority(caPem, caKeyPem);
      } catch {
        // An unreadable key: replace the pair below, as if it were missing.
        ca = undefined;
      }
    }
    if (ca === undefined) {
      ca = await createCertificateAuthority('beamline-admission-ca');
      caKeyPem = ca.keyPem;
      certPem = undefined;
      changed = true;
    }
    if (keyPem === undefined || servingCertificateNeedsRenewal(ca.certPem, certPem, hosts, now())) {
      const serving = await ca.issueServing('beamline-admission', hosts);
      certPem = serving.certPem;
      keyPem = serving.keyPem;
      changed = true;
    }
    const tls: AdmissionTls = { caPem: ca.certPem, certPem: certPem ?? '', keyPem };
    if (!changed) return tls;
    const body: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: options.namespace, ...(secret?.metadata?.resourceVersion === undefined ? {} : { resourceVersion: secret.metadata.resourceVersion }) },
      type: 'Opaque',
      data: { [CA_CERT]: encode(tls.caPem), [CA_KEY]: encode(caKeyPem ?? ''), [TLS_CERT]: encode(tls.certPem), [TLS_KEY]: encode(tls.keyPem) },
    };
    try {
      if (secret === undefined) await client.create(RESOURCES.secret, body);
      else await client.replace(RESOURCES.secret, body);
      return tls;
    } catch (error) {
      // Another manager wrote first (create: AlreadyExists 409; replace: Conflict 409): use what it wrote.
      if (!isConflict(error) || attempt >= 3) throw error;
    }
  }
}
