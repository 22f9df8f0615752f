// `@beamline/controllers/testing`: the controllers' test helpers that the end-to-end tests (e2e/)
// share with the controllers' own tests.
export { waitForAppStatus } from '../application/testing/wait-for-app.ts';
export { githubPingPayload, githubPushPayload, gitlabPushPayload } from '../application/webhook/testing/payloads.ts';
