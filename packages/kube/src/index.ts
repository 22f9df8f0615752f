export { findCondition, isConditionTrue, kubeTime, setCondition, type Condition, type ConditionInput, type ConditionStatus } from './conditions.ts';
export { isApiError, isConflict, isNotFound, KubeApiError } from './errors.ts';
export { EventRecorder, type EventRecorderOptions } from './event-recorder.ts';
export { addFinalizer, hasFinalizer, isDeleting, removeFinalizer } from './finalizers.ts';
export {
  clientFor,
  FIELD_MANAGER,
  groupOf,
  KubeClient,
  type Impersonation,
  type KubeClientOptions,
  resourcePath,
  type KubeList,
  type KubeObject,
  type ObjectMeta,
  type OwnerReference,
  type PatchOptions,
  type PatchType,
  type RequestOptions,
  type ResourceType,
} from './kube-client.ts';
export { describeObject, identify, mergePatchOf, patchStatus, resourceOf, type ObjectWriteOptions, type WithStatus } from './patch-status.ts';
