export { changedByPatch, changedByResponse, escapeJsonPointer, type JsonPatchOperation } from './changed-by.ts';
export { isPlatformKey, OWNER_EDITABLE_SPEC_FIELDS, ownerChangeRefusals, reviewProjectUpdate, subjectAccessReviewCheck, type ProjectAdminCheck, type RequestUser } from './project-review.ts';
export { admissionReader, PROJECT_RESOURCE, quotaChange, reviewQuota, type AdmissionReader, type SyncedCache } from './quota-review.ts';
export {
  CHANGED_BY_PATH,
  CHANGED_BY_WEBHOOK_CONFIGURATION,
  MUTATING_WEBHOOK_CONFIGURATIONS,
  NOT_PROJECT_ADMIN_CONDITION,
  PROJECT_NAMESPACES,
  PROJECT_PATH,
  QUOTA_PATH,
  QUOTA_WEBHOOK_CONFIGURATION,
  registeredQuotaWebhook,
  registerWebhooks,
  registrationAnswers,
  unregisterWebhooks,
  VALIDATING_WEBHOOK_CONFIGURATIONS,
  webhookConfigurations,
  type LabelSelector,
  type RegisteredWebhook,
  type WebhookRegistration,
} from './registration.ts';
export { ADMISSION_REVIEW_API_VERSION, allow, deny, parseAdmissionReview, reviewAnswer, type AdmissionRequest, type AdmissionResponse, type AdmissionReviewAnswer } from './review.ts';
export { ADMISSION_BODY_LIMIT, startAdmission, startAdmissionServer, type Admission, type AdmissionOptions, type AdmissionServer, type AdmissionServerOptions } from './server.ts';
export { ADMISSION_TLS_SECRET, certificateAuthorityUsable, ensureAdmissionTls, RENEW_BEFORE_MS, servingCertificateNeedsRenewal, type AdmissionTls, type AdmissionTlsOptions } from './tls.ts';
