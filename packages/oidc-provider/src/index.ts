export { fetchTrusting, httpsRequest, type HttpsAnswer } from './https.ts';
export {
  resumeIdentityProvider,
  startIdentityProvider,
  stopIdentityProvider,
  type IdentityProvider,
  type IdentityProviderOptions,
} from './provider.ts';
export { DEMO_USERS, type DemoUser } from './users.ts';
