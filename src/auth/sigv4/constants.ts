// Names and fixed strings of AWS Signature Version 4 (header names, query parameters, payload
// markers). Source: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const ALGORITHM_V4A = 'AWS4-ECDSA-P256-SHA256';
export const CHUNK_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
export const TRAILER_ALGORITHM = 'AWS4-HMAC-SHA256-TRAILER';
export const TERMINATOR = 'aws4_request';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
/** SHA-256 of the empty string, hex. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export const H_AUTHORIZATION = 'authorization';
export const H_AMZ_DATE = 'x-amz-date';
export const H_DATE = 'date';
export const H_CONTENT_SHA256 = 'x-amz-content-sha256';
export const H_SECURITY_TOKEN = 'x-amz-security-token';
export const H_DECODED_LENGTH = 'x-amz-decoded-content-length';
export const H_TRAILER = 'x-amz-trailer';
export const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

export const Q_ALGORITHM = 'X-Amz-Algorithm';
export const Q_CREDENTIAL = 'X-Amz-Credential';
export const Q_DATE = 'X-Amz-Date';
export const Q_EXPIRES = 'X-Amz-Expires';
export const Q_SIGNED_HEADERS = 'X-Amz-SignedHeaders';
export const Q_SIGNATURE = 'X-Amz-Signature';
export const Q_SECURITY_TOKEN = 'X-Amz-Security-Token';

/** Presigned URLs live at most seven days (SigV4 limit). */
export const MAX_PRESIGNED_EXPIRES_S = 604_800;
/** Default allowed clock skew: AWS allows 15 minutes. */
export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
