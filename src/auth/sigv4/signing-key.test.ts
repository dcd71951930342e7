import { describe, expect, it } from 'vitest';
import { parseCredential } from './credential-scope.js';
import { deriveSigningKey, SigningKeyCache } from './signing-key.js';

describe('SigningKeyCache', () => {
  it('gives the derived key by parts and by parsed scope, from one entry', () => {
    const cache = new SigningKeyCache(8);
    const scope = parseCredential('AKID/20261123/us-east-1/s3/aws4_request', 'header', 'us-east-1');
    const expected = deriveSigningKey('secret', '20261123', 'us-east-1', 's3');
    expect(cache.get('secret', scope).equals(expected)).toBe(true);
    expect(cache.get('secret', '20261123', 'us-east-1', 's3')).toBe(cache.get('secret', scope));
    expect(cache.size).toBe(1);
    expect(cache.get('secret', '20261123', 'us-east-1', 'iam').equals(expected)).toBe(false);
    expect(cache.get('other', scope).equals(expected)).toBe(false);
    expect(cache.size).toBe(3);
  });

  it('stays within its bound, evicting the oldest secret first', () => {
    const cache = new SigningKeyCache(4);
    for (let i = 0; i < 10; i++) cache.get(`secret${i}`, '20261123', 'us-east-1', 's3');
    expect(cache.size).toBeLessThanOrEqual(4);
    // The newest secret is still cached (same Buffer object), the oldest was recomputed.
    const newest = cache.get('secret9', '20261123', 'us-east-1', 's3');
    expect(cache.get('secret9', '20261123', 'us-east-1', 's3')).toBe(newest);
    expect(
      cache
        .get('secret0', '20261123', 'us-east-1', 's3')
        .equals(deriveSigningKey('secret0', '20261123', 'us-east-1', 's3')),
    ).toBe(true);
  });
});
