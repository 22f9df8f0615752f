export { SHARED_STATE_ENV, type SharedControlPlane, type SharedIdentity } from './shared-state.ts';
export { uniqueName, useTestEnv, waitFor, type TestEnv, type WaitOptions } from './testenv.ts';
export { alive, killProcessesMentioning, processesMentioning } from './processes.ts';
export { apiCode, apiOutcome, type ApiOutcome } from './api-errors.ts';
export { expectCode, runCommand, runNode, type NodeRun } from './run-node.ts';
export { testCrd, type TestCrdOptions } from './test-crd.ts';
