// The audit event (one per S3/IAM/STS/admin request, PRODUCT.md §7) and the redaction applied to
// every event where it leaves the process, so no sink can ever write a signature, secret or token.

export type AuditApi = 's3' | 'iam' | 'sts' | 'admin';
export type AuditAuthType = 'header' | 'presigned' | 'post-policy' | 'anonymous';
export type AuditDecision = 'allow' | 'explicitDeny' | 'implicitDeny';

/** The statement that decided, as the policy engine names it. */
export interface AuditStatement {
  policy: string;
  version?: string;
  sid?: string;
  index: number;
}

/**
 * One request. Every field is always present (null when unknown) so that downstream schemas
 * (Splunk, Elasticsearch, jq) see one stable shape.
 */
export interface AuditEvent {
  /** Schema version of this event shape. */
  version: 1;
  /** ISO-8601 time the request was received. */
  time: string;
  requestId: string;
  /** 12-digit account id of the tenant the caller belongs to. */
  tenant: string | null;
  principalArn: string | null;
  accessKeyId: string | null;
  authType: AuditAuthType;
  sourceIp: string;
  userAgent: string | null;
  api: AuditApi;
  /** S3 operation name (GetObject) or IAM/STS action (CreateUser). */
  operation: string | null;
  bucket: string | null;
  key: string | null;
  /** The IAM action and resource of the deciding authorisation (e.g. s3:GetObject, arn:aws:s3:::b/k). */
  action: string | null;
  resource: string | null;
  decision: AuditDecision | null;
  statement: AuditStatement | null;
  status: number;
  errorCode: string | null;
  /** Request body bytes accepted / response body bytes sent. */
  bytesIn: number;
  bytesOut: number;
  latencyMs: number;
}

export const REDACTED = '[REDACTED]';

// Object keys whose values are secrets wherever they appear. accessKeyId is deliberately not here:
// it is an identifier (CloudTrail logs it too), and auditors need it.
const SECRET_KEY =
  /^(?:authorization|signature|x-amz-signature|x-amz-security-token|securitytoken|sessiontoken|security[-_]?token|session[-_]?token|secret|secretaccesskey|secret[-_]?key|secretkey|password|newpassword|oldpassword|passwd|token|privatekey|private[-_]?key|cookie|set-cookie)$/i;

// Query parameters carrying signatures or session tokens (SigV4 presign, SigV2 presign, STS).
const SECRET_PARAM =
  /([?&;]|^)(X-Amz-Signature|X-Amz-Security-Token|Signature|SecurityToken|x-amz-security-token|SessionToken|Password|SecretAccessKey)=[^&;#\s]*/gi;

// Credentials inside an Authorization header value, should one ever be logged as text.
const AUTH_SIGNATURE = /(Signature=)[0-9a-f]+/gi;
const AUTH_V2 = /^(AWS [^:\s]+:)\S+$/;

/** Scrubs signature/token/password query parameters (and header-style signatures) from a string. */
export function redactString(s: string): string {
  // Fast path: nothing that could hold a credential.
  if (!s.includes('=') && !s.startsWith('AWS ')) return s;
  return s
    .replace(SECRET_PARAM, (_m, sep: string, name: string) => `${sep}${name}=${REDACTED}`)
    .replace(AUTH_SIGNATURE, `$1${REDACTED}`)
    .replace(AUTH_V2, `$1${REDACTED}`);
}

/**
 * A deep copy of `value` with known secret fields replaced by "[REDACTED]" and secret query
 * parameters scrubbed from every string. Plain data only (what JSON can carry).
 */
export function redact<T>(value: T): T {
  return scrub(value, 0) as T;
}

function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  // Events are shallow; the bound keeps a hostile cyclic value from recursing forever.
  if (depth > 16) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined ? REDACTED : scrub(v, depth + 1);
  }
  return out;
}

/** The one serialisation every sink uses: redacted JSON, no trailing newline. */
export function serializeEvent(event: AuditEvent): string {
  return JSON.stringify(redact(event));
}
