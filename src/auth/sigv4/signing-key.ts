// The SigV4 signing key: HMAC chain "AWS4"+secret → date → region → service → "aws4_request".
// Four HMACs per request is most of the verification cost, and the key only changes daily, so
// derived keys are memoised in a small bounded map (oldest entry evicted first).
// Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key
import { hmac } from './crypto.js';
import { TERMINATOR } from './constants.js';
import type { CredentialScope } from './credential-scope.js';
import { scopeString } from './string-to-sign.js';

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), TERMINATOR);
}

export class SigningKeyCache {
  /*
   * secret → scope (`date/region/service/aws4_request`) → key. Two levels so a hit hashes the secret (the same
   * string object on every request, its hash cached by the engine) and one short scope string,
   * instead of building and hashing a concatenation of all four on every request.
   */
  private readonly map = new Map<string, Map<string, Buffer>>();
  private count = 0;
  constructor(private readonly max = 256) {}

  /** The key for a parsed credential scope (its `scope` string is the inner map's key). */
  get(secret: string, scope: CredentialScope): Buffer;
  get(secret: string, date: string, region: string, service: string): Buffer;
  get(secret: string, scopeOrDate: CredentialScope | string, r?: string, sv?: string): Buffer {
    let date: string, region: string, service: string, scope: string;
    if (typeof scopeOrDate === 'string') {
      date = scopeOrDate;
      region = r ?? '';
      service = sv ?? '';
      scope = scopeString(date, region, service);
    } else {
      ({ date, region, service, scope } = scopeOrDate);
    }
    let scopes = this.map.get(secret);
    let key = scopes?.get(scope);
    if (key === undefined) {
      key = deriveSigningKey(secret, date, region, service);
      if (this.count >= this.max) {
        // Oldest secret first (insertion order): its keys go together.
        const oldest = this.map.entries().next();
        if (oldest.done !== true) {
          this.count -= oldest.value[1].size;
          this.map.delete(oldest.value[0]);
          if (oldest.value[1] === scopes) scopes = undefined;
        }
      }
      if (scopes === undefined) this.map.set(secret, (scopes = new Map<string, Buffer>()));
      scopes.set(scope, key);
      this.count++;
    }
    return key;
  }

  get size(): number {
    return this.count;
  }
}

/**
 * Process-wide memo: a pure cache of a pure function, bounded, holding only derived keys. Sized for
 * every active key of a large deployment (~100 bytes an entry): with 10,000 users signing, a
 * 256-entry cache missed on most requests and nearly doubled the auth cost (npm run bench, auth).
 */
export const defaultSigningKeyCache = new SigningKeyCache(16_384);
