// The SigV4 signing key: HMAC chain "AWS4"+secret → date → region → service → "aws4_request".
// Four HMACs per request is most of the verification cost, and the key only changes daily, so
// derived keys are memoised in a small bounded map (oldest entry evicted first).
// Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key
import { hmac } from './crypto.js';
import { TERMINATOR } from './constants.js';

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), TERMINATOR);
}

export class SigningKeyCache {
  private readonly map = new Map<string, Buffer>();
  constructor(private readonly max = 256) {}

  get(secret: string, date: string, region: string, service: string): Buffer {
    // '\n' cannot occur in any of the parts (secrets are [A-Za-z0-9+/], scope parts are validated).
    const id = secret + '\n' + date + '\n' + region + '\n' + service;
    let key = this.map.get(id);
    if (key === undefined) {
      key = deriveSigningKey(secret, date, region, service);
      if (this.map.size >= this.max) {
        const oldest = this.map.keys().next();
        if (oldest.done !== true) this.map.delete(oldest.value);
      }
      this.map.set(id, key);
    }
    return key;
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * Process-wide memo: a pure cache of a pure function, bounded, holding only derived keys. Sized for
 * every active key of a large deployment (~100 bytes an entry): with 10,000 users signing, a
 * 256-entry cache missed on most requests and nearly doubled the auth cost (npm run bench, auth).
 */
export const defaultSigningKeyCache = new SigningKeyCache(16_384);
