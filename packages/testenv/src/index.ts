export { SHARED_STATE_ENV, type SharedControlPlane } from './shared-state.ts';
export { uniqueName, useTestEnv, waitFor, type TestEnv, type WaitOptions } from './testenv.ts';
export { processesMentioning } from './processes.ts';
