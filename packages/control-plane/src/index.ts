export {
  apiServerArgs,
  controllerManagerArgs,
  etcdArgs,
  KWOK_NODE_ANNOTATION,
  KWOK_STAGES_FILE,
  kwokArgs,
  schedulerArgs,
  type ApiServerFlags,
  type ControllerManagerFlags,
  type EtcdFlags,
  type KwokFlags,
  type PkiFiles,
  type SchedulerFlags,
} from './components.ts';
export {
  DEFAULT_CONTROL_PLANE_ROOT,
  kubeconfigYamlForDir,
  startControlPlane,
  type ControlPlane,
  type ControlPlaneLifetime,
  type ControlPlaneMode,
  type ControlPlaneOptions,
  type ControlPlaneState,
  type UserIdentity,
} from './control-plane.ts';
export { kubeConfigOf, kubeconfigYaml, type KubeconfigParts } from './kubeconfig.ts';
export { createCertificateAuthority, createServiceAccountKeys, loadCertificateAuthority, type CertificateAuthority, type CertificatePair } from './pki.ts';
export { freePort, freePorts } from './ports.ts';
export { isSameProcessAlive, processStartTicks, readPidRecords, stopProcess, type ComponentProcess, type PidRecord } from './processes.ts';
export { ComponentStartError, probeStatus } from './readiness.ts';
export { sweepOrphans, type SweepResult } from './sweep.ts';
