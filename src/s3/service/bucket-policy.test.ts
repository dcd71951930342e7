// Tests of bucket-policy validation (S3's MalformedPolicy rules) and of the compiled-policy cache.
import { describe, expect, it } from 'vitest';
import { CofferError } from '../../errors/error.js';
import type { BucketRecord } from '../../meta/ports.js';
import { BucketPolicyCache, validateBucketPolicy } from './bucket-policy.js';

const stmt = (resource: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: resource, ...extra }],
  });

function refusal(bucket: string, text: string): CofferError {
  try {
    validateBucketPolicy(bucket, text);
  } catch (e) {
    if (e instanceof CofferError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('validateBucketPolicy', () => {
  it('accepts the bucket and its objects', () => {
    const ref = validateBucketPolicy('photos', stmt(['arn:aws:s3:::photos', 'arn:aws:s3:::photos/*']));
    expect(ref.id).toBe('arn:aws:s3:::photos#policy');
    expect(ref.policy.statements).toHaveLength(1);
  });

  it.each([
    ['*', '*'],
    ['another bucket', 'arn:aws:s3:::other/*'],
    ['a bucket sharing the prefix', 'arn:aws:s3:::photos-old/*'],
    ['a wildcard bucket', 'arn:aws:s3:::photo*'],
    ['another service', 'arn:aws:sqs:::photos'],
  ])('refuses %s as a resource: Policy has invalid resource', (_, resource) => {
    const e = refusal('photos', stmt(resource));
    expect(e.code).toBe('MalformedPolicy');
    expect(e.status).toBe(400);
    expect(e.message).toBe('Policy has invalid resource');
  });

  it('refuses actions of other services and wildcard principal ARNs, as S3 does', () => {
    const photos = 'arn:aws:s3:::photos/*';
    expect(refusal('photos', stmt(photos, { Action: 'iam:CreateUser' })).message).toBe(
      'Policy has invalid action',
    );
    expect(refusal('photos', stmt(photos, { Action: ['s3:GetObject', 'sts:AssumeRole'] })).message).toBe(
      'Policy has invalid action',
    );
    expect(
      refusal('photos', stmt(photos, { Principal: { AWS: 'arn:aws:iam::000000000000:user/*' } })).message,
    ).toBe('Invalid principal in policy');
    // What S3 accepts.
    for (const extra of [{ Action: '*' }, { Action: 'S3:Get*' }, { Principal: { AWS: '*' } }]) {
      expect(validateBucketPolicy('photos', stmt(photos, extra)).policy.statements).toHaveLength(1);
    }
  });

  it('checks NotResource the same way', () => {
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', NotResource: 'arn:aws:s3:::x/*' }],
    });
    expect(refusal('photos', doc).message).toBe('Policy has invalid resource');
  });

  it('keeps the engine’s message under S3’s code', () => {
    const noPrincipal = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*' }],
    });
    const e = refusal('photos', noPrincipal);
    expect(e.code).toBe('MalformedPolicy');
    expect(e.message).toBe('Missing required field Principal');
    expect(refusal('photos', stmt('arn:aws:s3:::photos/*', { Action: 's3:GetObjectt' })).message).toMatch(
      /Invalid Action/,
    );
    expect(refusal('photos', '{"Version": ').code).toBe('MalformedPolicy');
  });

  it('limits the document to 20 KB without whitespace', () => {
    const many = Array.from(
      { length: 400 },
      (_, i) => `arn:aws:s3:::photos/some/longer/prefix/number/${i}/*`,
    );
    expect(refusal('photos', stmt(many)).message).toBe('Policy exceeds the maximum allowed document size.');
    // Whitespace does not count.
    const padded = stmt(many.slice(0, 10)).replace(/,/g, ',' + ' '.repeat(3000));
    expect(padded.length).toBeGreaterThan(20480);
    expect(() => validateBucketPolicy('photos', padded)).not.toThrow();
  });
});

describe('BucketPolicyCache', () => {
  const record = (policy?: string): BucketRecord => ({
    name: 'photos',
    tenantId: 'default',
    owner: '000000000000',
    createdAt: new Date(0),
    region: 'us-east-1',
    tags: [],
    ...(policy === undefined ? {} : { policy }),
  });

  it('compiles a policy once per text and follows changes of the stored text', () => {
    const cache = new BucketPolicyCache();
    const text = stmt('arn:aws:s3:::photos/*');
    const first = cache.of(record(text));
    expect(first).toBeDefined();
    expect(cache.of(record(text))).toBe(first); // same compiled object: no parsing per request
    const changed = cache.of(record(stmt('arn:aws:s3:::photos/public/*')));
    expect(changed).not.toBe(first);
    expect(cache.of(record())).toBeUndefined();
  });

  it('serves what put recorded and forgets what delete removed', () => {
    const cache = new BucketPolicyCache();
    const text = stmt('arn:aws:s3:::photos/*');
    const ref = validateBucketPolicy('photos', text);
    cache.set('photos', text, ref);
    expect(cache.of(record(text))).toBe(ref);
    cache.delete('photos');
    expect(cache.of(record(text))).not.toBe(ref);
  });

  it('fails closed on a stored policy that no longer validates', () => {
    const ref = new BucketPolicyCache().of(record('{"not": "a policy"}'));
    expect(ref?.policy.statements[0]).toMatchObject({ effect: 'Deny', sid: 'UnreadableBucketPolicy' });
  });
});
