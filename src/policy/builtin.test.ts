// Built-in policies compile and grant what their names promise.
import { describe, expect, it } from 'vitest';
import { builtinPolicies, builtinPolicy, type BuiltinPolicyName } from './builtin.js';
import { evaluate } from './evaluate.js';

const alice = { arn: 'arn:aws:iam::111111111111:user/alice', account: '111111111111' };
const can = (name: BuiltinPolicyName, action: string, resource = 'arn:aws:s3:::b/k'): boolean =>
  evaluate({
    principal: alice,
    action,
    resource,
    context: {},
    identityPolicies: [{ id: name, policy: builtinPolicy(name).compiled }],
  }).effect === 'allow';

describe('built-in policies', () => {
  it('all ten exist and compile', () => {
    expect([...builtinPolicies.keys()].sort()).toEqual(
      [
        'AmazonS3FullAccess',
        'AmazonS3ReadOnlyAccess',
        'IAMFullAccess',
        'IAMReadOnlyAccess',
        'Reader',
        'SuperUser',
        'Writer',
        'readonly',
        'readwrite',
        'writeonly',
      ].sort(),
    );
  });
  it('WEKA predefined policies', () => {
    expect(can('readonly', 's3:GetObject')).toBe(true);
    expect(can('readonly', 's3:ListAllMyBuckets', 'arn:aws:s3:::*')).toBe(true);
    expect(can('readonly', 's3:PutObject')).toBe(false);
    expect(can('writeonly', 's3:PutObject')).toBe(true);
    expect(can('writeonly', 's3:GetObject')).toBe(false);
    expect(can('readwrite', 's3:DeleteBucket', 'arn:aws:s3:::b')).toBe(true);
    expect(can('readwrite', 'iam:CreateUser', 'arn:aws:iam::111111111111:user/x')).toBe(false);
  });
  it('AWS managed policies', () => {
    expect(can('AmazonS3FullAccess', 's3:PutBucketPolicy', 'arn:aws:s3:::b')).toBe(true);
    expect(can('AmazonS3ReadOnlyAccess', 's3:GetObject')).toBe(true);
    expect(can('AmazonS3ReadOnlyAccess', 's3:DeleteObject')).toBe(false);
    expect(can('IAMFullAccess', 'iam:CreateUser', '*')).toBe(true);
    expect(can('IAMReadOnlyAccess', 'iam:GetUser', '*')).toBe(true);
    expect(can('IAMReadOnlyAccess', 'iam:CreateUser', '*')).toBe(false);
  });
  it('role policies Reader < Writer < SuperUser', () => {
    expect(can('Reader', 's3:ListBucket', 'arn:aws:s3:::b')).toBe(true);
    expect(can('Reader', 's3:PutObject')).toBe(false);
    expect(can('Writer', 's3:PutObject')).toBe(true);
    expect(can('Writer', 's3:CreateBucket', 'arn:aws:s3:::b')).toBe(true);
    expect(can('Writer', 's3:DeleteBucket', 'arn:aws:s3:::b')).toBe(true);
    expect(can('Writer', 's3:PutBucketVersioning', 'arn:aws:s3:::b')).toBe(true);
    expect(can('Writer', 'iam:CreateUser', '*')).toBe(false);
    expect(can('SuperUser', 'iam:CreateUser', '*')).toBe(true);
  });
});
