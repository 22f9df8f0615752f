import { randomBytes, webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its ASN.1 serializers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

// ECDSA P-256: key generation takes microseconds (RSA 2048 takes ~100 ms each), and every
// Kubernetes component accepts it for serving, client and service-account keys.
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/** A certificate and its private key, both PEM. */
export interface CertificatePair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A certificate authority that can sign serving and client certificates. */
export interface CertificateAuthority extends CertificatePair {
  /** Signs a serving certificate for the given DNS names and IP addresses. */
  issueServing(commonName: string, hosts: { readonly dns: readonly string[]; readonly ips: readonly string[] }): Promise<CertificatePair>;
  /**
   * Signs a client certificate. Kubernetes reads the user name from CN and the groups from the O
   * entries, so `issueClient('alice', ['physics'])` authenticates as user alice in group physics.
   */
  issueClient(user: string, groups: readonly string[]): Promise<CertificatePair>;
  /**
   * Signs a certificate that both serves and authenticates as a client, for the given hosts: what
   * an etcd member presents on its client port and to its peers (peer connections are mutual TLS).
   */
  issuePeer(commonName: string, hosts: { readonly dns: readonly string[]; readonly ips: readonly string[] }): Promise<CertificatePair>;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']));
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** PEM of a public key in SPKI form (`PUBLIC KEY`). */
export async function publicKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('spki', key);
  return x509.PemConverter.encode(der, 'PUBLIC KEY');
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function escapeRdn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}

function validity(): { notBefore: Date; notAfter: Date } {
  // Backdated an hour: tolerates small clock differences between processes and machines.
  const notBefore = new Date(Date.now() - 3600 * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + TEN_YEARS_MS) };
}

/** Creates a new self-signed CA. */
export async function createCertificateAuthority(commonName: string): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${escapeRdn(commonName)}`,
    ...validity(),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return authorityOf(ca, keys.privateKey, await privateKeyPem(keys.privateKey));
}

/**
 * Loads an existing CA (PEM certificate and PKCS#8 key, as written by {@link startControlPlane}) so
 * that more certificates can be signed for a running control plane, e.g. client certificates for
 * users a test or the CLI needs.
 */
export async function loadCertificateAuthority(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const ca = new x509.X509Certificate(certPem);
  const der = x509.PemConverter.decodeFirst(keyPem);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
  return authorityOf(ca, privateKey, keyPem);
}

function sanOf(hosts: { readonly dns: readonly string[]; readonly ips: readonly string[] }): x509.JsonGeneralNames {
  return [...hosts.dns.map((value) => ({ type: 'dns' as const, value })), ...hosts.ips.map((value) => ({ type: 'ip' as const, value }))];
}

function authorityOf(ca: x509.X509Certificate, signingKey: CryptoKey, keyPem: string): CertificateAuthority {
  async function issue(subject: string, usages: readonly ('server' | 'client')[], san?: x509.JsonGeneralNames): Promise<CertificatePair> {
    const leafKeys = await generateKeys();
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages.map((usage) => (usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth))),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ];
    if (san !== undefined) extensions.push(new x509.SubjectAlternativeNameExtension(san));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: ca.subject,
      ...validity(),
      signingKey,
      publicKey: leafKeys.publicKey,
      signingAlgorithm: ALGORITHM,
      extensions,
    });
    return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(leafKeys.privateKey) };
  }

  return {
    certPem: ca.toString('pem'),
    keyPem,
    issueServing: (commonName, hosts) => issue(`CN=${escapeRdn(commonName)}`, ['server'], sanOf(hosts)),
    issueClient: (user, groups) =>
      issue([`CN=${escapeRdn(user)}`, ...groups.map((group) => `O=${escapeRdn(group)}`)].join(', '), ['client']),
    issuePeer: (commonName, hosts) => issue(`CN=${escapeRdn(commonName)}`, ['server', 'client'], sanOf(hosts)),
  };
}

/** A key pair for signing and verifying service-account tokens, both PEM. */
export interface ServiceAccountKeys {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/** Creates the key pair kube-apiserver signs service-account tokens with. */
export async function createServiceAccountKeys(): Promise<ServiceAccountKeys> {
  const keys = await generateKeys();
  return { privateKeyPem: await privateKeyPem(keys.privateKey), publicKeyPem: await publicKeyPem(keys.publicKey) };
}
