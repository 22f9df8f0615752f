export { admissionCapability, type AdmissionCapability, type AdmissionCapabilityOptions } from './admission-capability.ts';
export { beamlineCapabilities, type BeamlineCapabilitiesOptions } from './beamline-capabilities.ts';
export type { Capability, CapabilityContext } from './capability.ts';
export { clustersCapability, type ClustersCapabilityOptions } from './clusters-capability.ts';
export { deliveryCapability, type DeliveryCapabilityOptions } from './delivery-capability.ts';
export { createPortal, portalCapability, type Portal, type PortalCapabilityOptions, type PortalOptions } from './portal-capability.ts';
export { loadOrCreateSessionKey, sealSession, SESSION_COOKIE, type Session } from './portal/index.ts';
export { DEFAULT_LEASE_NAME, runManager, type RunManagerOptions } from './run-manager.ts';
export { startManagerServer, type ManagerServer, type ManagerServerOptions } from './server.ts';
