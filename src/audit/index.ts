// The audit slice's public surface: event type and redaction, the audit log with its sinks, and the
// per-request tracker that feeds it from the surfaces' hooks.
export type { AuditApi, AuditAuthType, AuditDecision, AuditEvent, AuditStatement } from './event.js';
export { REDACTED, redact, redactString, serializeEvent } from './event.js';
export type { AuditLog, AuditLogOptions, AuditStats, AuditWebhookOptions } from './audit-log.js';
export { createAuditLog } from './audit-log.js';
export type { AuditTracker, CompletionInput, DecisionInput } from './tracker.js';
export { createAuditTracker } from './tracker.js';
export type { WebhookFormat } from './webhook-sink.js';
export { encodeBatch, SPLUNK_SOURCETYPE } from './webhook-sink.js';
