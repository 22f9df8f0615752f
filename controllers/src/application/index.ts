// The GitOps controller: Applications delivered from git and Helm repositories.
export { ApplicationController, type ApplicationControllerOptions, type RefreshResult } from './controller.ts';
export { applicationReconciler, HISTORY_LIMIT, SELF_HEAL_GRACE_MS, type ApplicationReconciler, type ApplicationReconcilerDeps } from './reconciler.ts';
export { compare, ignoredPointers, prepareDesired, type Comparison, type LiveReader, type PreparedObject } from './compare.ts';
export { Destination, DestinationRegistry, readClusterKubeconfig, type ClusterFinder, type DestinationLookup, type DestinationRegistryOptions } from './destinations.ts';
export { deliveryTarget, DeliveryRefusedError, diffApplication, workloadClient, type ApplicationDiff, type DeliveryTarget, type DiffApplicationOptions, type DiffObject } from './diff-application.ts';
export { applicationEvents } from './events.ts';
export { claimGitopsWorkDir, type GitopsWorkDir } from './gitops-work-dir.ts';
export { decodeSecretData, redactSource, sourceCredentials, type SecretDataReader } from './source-credentials.ts';
export { createGitopsMetrics, type GitopsMetrics, type GitopsStage } from './metrics.ts';
export { SourceLoader, type LoadedSource, type LoadTimings, type SourceLoaderOptions } from './source-loader.ts';
export * from './webhook/index.ts';
