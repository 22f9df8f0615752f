export { DEFAULT_LEASE_NAME, runManager, type RunManagerOptions } from './run-manager.ts';
export { startManagerServer, type ManagerServer, type ManagerServerOptions } from './server.ts';
