import { join } from 'node:path';
import type { PkiFiles } from './components.ts';

/** Where things live in a control plane's folder. */
export interface Layout {
  readonly dir: string;
  readonly pkiDir: string;
  readonly logDir: string;
  readonly pidDir: string;
  readonly adminKubeconfig: string;
  readonly pki: PkiFiles;
  /** The apiservers' structured authentication configuration (OIDC issuers). */
  readonly authenticationConfig: string;
  /** The audit policy, when the plane keeps an audit log. */
  readonly auditPolicy: string;
  /** The audit log (JSON lines), when the plane keeps one. */
  readonly auditLog: string;
}

/** The layout of the control plane in `dir`. */
export function layoutOf(dir: string): Layout {
  const pkiDir = join(dir, 'pki');
  return {
    dir,
    pkiDir,
    logDir: join(dir, 'logs'),
    pidDir: join(dir, 'pids'),
    adminKubeconfig: join(dir, 'admin.kubeconfig'),
    authenticationConfig: join(dir, 'auth', 'authentication.yaml'),
    auditPolicy: join(dir, 'auth', 'audit-policy.yaml'),
    auditLog: join(dir, 'logs', 'audit.log'),
    pki: {
      caCert: join(pkiDir, 'ca.crt'),
      caKey: join(pkiDir, 'ca.key'),
      apiServerCert: join(pkiDir, 'apiserver.crt'),
      apiServerKey: join(pkiDir, 'apiserver.key'),
      serviceAccountKey: join(pkiDir, 'sa.key'),
      serviceAccountPub: join(pkiDir, 'sa.pub'),
      etcdCaCert: join(pkiDir, 'etcd-ca.crt'),
      etcdCaKey: join(pkiDir, 'etcd-ca.key'),
      etcdCert: join(pkiDir, 'etcd.crt'),
      etcdKey: join(pkiDir, 'etcd.key'),
      apiServerEtcdClientCert: join(pkiDir, 'apiserver-etcd-client.crt'),
      apiServerEtcdClientKey: join(pkiDir, 'apiserver-etcd-client.key'),
    },
  };
}

/** The kubeconfig of a component (`<dir>/<component>.kubeconfig`), each with its own identity. */
export function componentKubeconfig(dir: string, component: string): string {
  return join(dir, `${component}.kubeconfig`);
}
