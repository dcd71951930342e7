// Identifiers that must be unique but are not secrets: request ids and S3's extended request ids. A
// random per-process prefix plus a counter is unique across servers and far cheaper than fresh
// randomness per request.
import { randomBytes } from 'node:crypto';

const prefix = randomBytes(4).toString('hex').toUpperCase();
let counter = 0;

/** 16 upper-case hex characters, like S3's x-amz-request-id. */
export function newRequestId(): string {
  counter = (counter + 1) >>> 0;
  return prefix + counter.toString(16).toUpperCase().padStart(8, '0');
}

// 33 random bytes are 44 base64 characters with no padding, so the prefix followed by a request id
// (hex digits, all base64 characters; 16 of them) is itself well-formed base64.
const hostPrefix = randomBytes(33).toString('base64');

/**
 * S3's x-amz-id-2 (the SDKs' extended request id; `<HostId>` in error bodies) for a request: opaque
 * base64 as S3's is, here a per-process prefix followed by the request id. One concatenation per
 * reply: no hashing or encoding on the request path.
 */
export function hostIdOf(requestId: string): string {
  return hostPrefix + requestId;
}
