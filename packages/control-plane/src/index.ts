export { AUDIT_POLICY, authenticationConfigPath, authenticationConfiguration, ensureAuthenticationConfig, writeAuthenticationConfig, type JwtIssuer } from './authentication.ts';
export {
  apiServerArgs,
  controllerManagerArgs,
  etcdArgs,
  KWOK_NODE_ANNOTATION,
  KWOK_CONFIG_FILE,
  KWOK_STAGES_FILE,
  kwokArgs,
  LB_PROCESS_FILE,
  loadBalancerArgs,
  schedulerArgs,
  type ApiServerFlags,
  type ControllerManagerFlags,
  type EtcdFlags,
  type KwokFlags,
  type LoadBalancerFlags,
  type PkiFiles,
  type SchedulerFlags,
} from './components.ts';
export {
  DEFAULT_CONTROL_PLANE_ROOT,
  kubeconfigYamlForDir,
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
  type UserIdentity,
} from './control-plane.ts';
export { destroyControlPlane } from './destroy.ts';
export { kubeConfigOf, kubeconfigYaml, type KubeconfigParts } from './kubeconfig.ts';
export { startTcpLoadBalancer, type TcpEndpoint, type TcpLoadBalancer, type TcpLoadBalancerOptions } from './lb/tcp-load-balancer.ts';
export { createCertificateAuthority, createServiceAccountKeys, loadCertificateAuthority, type CertificateAuthority, type CertificatePair } from './pki.ts';
export { planComponents, SERVICE_CIDR, SIMULATION_GO_ENV, type PlanInput } from './plan.ts';
export { freePort, freePorts } from './ports.ts';
export { isSameProcessAlive, processesMentioning, processStartTicks, readPidRecords, startProcess, stopProcess, unrecordedComponents, type ComponentProcess, type PidRecord, type StartProcessOptions } from './processes.ts';
export { ComponentStartError, probeStatus } from './readiness.ts';
export { resumeControlPlane, type ResumeOptions } from './resume.ts';
export {
  readState,
  readStateIfAny,
  STATE_VERSION,
  type ComponentBinaryName,
  type ComponentProbe,
  type ComponentSelection,
  type ComponentSpec,
  type ControlPlaneLifetime,
  type ControlPlaneMode,
  type ControlPlanePorts,
  type ControlPlaneState,
  type ProbeTlsKind,
} from './state.ts';
export { controlPlaneStatus, type ComponentStatus, type ControlPlaneStatus } from './status.ts';
export { sweepOrphans, type SweepResult } from './sweep.ts';
