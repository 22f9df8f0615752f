/**
 * `@beamline/install`: what the API server installs from the pure `@beamline/api` — the CRD and
 * admission-policy generator, the default PlatformConfig and templates — and the installer that
 * applies them to a cluster (`beamline up`, tests).
 */
export * from './generate.ts';
export * from './install.ts';
export * from './rbac.ts';
