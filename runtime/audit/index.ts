export type { AuditRecord, AuditEvent, AuditDecision } from './types.ts';
export type { SinkConfig, WebhookConfig, AuditSection, FileRotation } from './config.ts';
export { AuditError, AuditUnavailableError } from './errors.ts';
export { createAudit, createAuditFromConfig, type Audit, type AuditOptions, type AuditStats } from './logger.ts';
export { sanitize, maskSecrets, AUDIT_FIELDS, AUDIT_EVENTS } from './sanitize.ts';
export type { SinkWriter, SinkStats } from './sink-queue.ts';
export {
  verifyWebhookSignature,
  signWebhookBody,
  createWebhook,
  DEFAULT_WEBHOOK_EVENTS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  DELIVERY_HEADER,
  EVENT_HEADER,
} from './webhook.ts';
export { exportAudit, csvCell, csvRow, csvHeader, parseTime, type AuditFilter, type AuditSubject } from './export.ts';
export { exportUserData, eraseUserData, type PrivacyStore, type PrivacyExport, type EraseResult } from './privacy.ts';
export { readAuditRecords } from './read.ts';
export { listAuditFiles, withFileLock } from './files.ts';
