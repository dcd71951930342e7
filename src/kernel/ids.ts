// Identifiers that must be unique but are not secrets: request ids. A random per-process prefix plus
// a counter is unique across servers and far cheaper than fresh randomness per request.
import { randomBytes } from 'node:crypto';

const prefix = randomBytes(4).toString('hex').toUpperCase();
let counter = 0;

/** 16 upper-case hex characters, like S3's x-amz-request-id. */
export function newRequestId(): string {
  counter = (counter + 1) >>> 0;
  return prefix + counter.toString(16).toUpperCase().padStart(8, '0');
}
