// Validation of policy documents: each rejection names the problem like AWS does.
import { describe, expect, it } from 'vitest';
import { CofferError } from '../errors/error.js';
import { parsePolicy, type ParseOptions } from './parse.js';

const identity: ParseOptions = { kind: 'identity' };
const resource: ParseOptions = { kind: 'resource' };
const doc = (stmt: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: stmt, ...extra });
const ok = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' };

function rejects(text: string, message: string | RegExp, options: ParseOptions = identity): void {
  let err: unknown;
  try {
    parsePolicy(text, options);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CofferError);
  expect((err as CofferError).code).toBe('MalformedPolicyDocument');
  if (typeof message === 'string') expect((err as CofferError).message).toBe(message);
  else expect((err as CofferError).message).toMatch(message);
}

describe('parsePolicy', () => {
  it('accepts a statement object or array, Id, Sid, and both versions', () => {
    const p = parsePolicy(doc(ok, { Id: 'x' }), identity);
    expect(p.statements).toHaveLength(1);
    expect(p.id).toBe('x');
    expect(parsePolicy(doc([ok, { ...ok, Sid: 'Two' }]), identity).statements[1]?.sid).toBe('Two');
    expect(parsePolicy(JSON.stringify({ Version: '2008-10-17', Statement: ok }), identity).version).toBe(
      '2008-10-17',
    );
    expect(parsePolicy(JSON.stringify({ Statement: ok }), identity).version).toBe('2008-10-17');
  });

  it('rejects malformed JSON and unknown fields', () => {
    rejects('{', 'Syntax errors in policy.');
    rejects('[]', 'Syntax errors in policy.');
    rejects(doc(ok, { Foo: 1 }), 'Syntax errors in policy. Unknown field Foo.');
    rejects(doc({ ...ok, Bogus: 1 }), /Unknown field Bogus in statement 0/);
  });

  it('checks Version, Statement and Effect', () => {
    rejects(
      JSON.stringify({ Version: '2012-10-18', Statement: ok }),
      'The policy must contain a valid version string',
    );
    rejects(JSON.stringify({ Version: '2012-10-17' }), 'Missing required field Statement');
    rejects(doc([]), 'Missing required field Statement');
    rejects(doc({ Action: 's3:GetObject', Resource: '*' }), 'Missing required field Effect');
    rejects(doc({ ...ok, Effect: 'allow' }), 'Invalid effect: allow');
  });

  it('checks actions: vendor prefix, shape, and known names for s3/iam/sts', () => {
    rejects(
      doc({ ...ok, Action: 'GetObject' }),
      'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
    );
    rejects(doc({ ...ok, Action: 's3:GetObjectt' }), 'Invalid Action: s3:GetObjectt');
    rejects(doc({ ...ok, Action: 'iam:Nope*' }), 'Invalid Action: iam:Nope*');
    rejects(doc({ ...ok, Action: 's3:Get Object' }), 'Invalid Action: s3:Get Object');
    rejects(doc({ Effect: 'Allow', Resource: '*' }), 'Policy statement must contain actions.');
    rejects(doc({ ...ok, NotAction: 's3:PutObject' }), /both Action and NotAction/);
    rejects(doc({ ...ok, Action: [] }), /Action in statement 0 must not be empty/);
    // Case-insensitive names, wildcards matching a real action, other services by shape only.
    expect(() =>
      parsePolicy(
        doc({ ...ok, Action: ['S3:getobject', 's3:Get*', 'sts:AssumeRole', 'ec2:Whatever'] }),
        identity,
      ),
    ).not.toThrow();
  });

  it('checks resources are ARNs or *', () => {
    rejects(doc({ ...ok, Resource: 'bucket/key' }), 'Resource bucket/key must be in ARN format or "*".');
    rejects(doc({ ...ok, Resource: 'arn:aws:s3' }), 'Resource arn:aws:s3 must be in ARN format or "*".');
    rejects(doc({ Effect: 'Allow', Action: 's3:GetObject' }), 'Policy statement must contain resources.');
    expect(() =>
      parsePolicy(doc({ Effect: 'Allow', Action: 's3:GetObject' }), {
        kind: 'resource',
        requireResource: false,
      }),
    ).toThrow('Missing required field Principal');
    rejects(
      doc({ ...ok, Resource: 'arn:aws:s3:::b/${aws:username, default}' }),
      /must be quoted with single quotes/,
    );
  });

  it('forbids Principal in identity policies and requires it in resource policies', () => {
    rejects(doc({ ...ok, Principal: '*' }), 'Policy document should not specify a principal.');
    rejects(doc(ok), 'Missing required field Principal', resource);
    rejects(
      doc({ ...ok, Principal: { AWS: 'alice' } }),
      'Invalid principal in policy: "AWS":"alice"',
      resource,
    );
    rejects(doc({ ...ok, Principal: { Foo: 'x' } }), /unknown principal type "Foo"/, resource);
    const p = parsePolicy(
      doc({
        ...ok,
        Principal: {
          AWS: [
            '*',
            '123456789012',
            'arn:aws:iam::123456789012:root',
            'arn:aws:iam::123456789012:user/a',
            'arn:aws:sts::123456789012:assumed-role/r/s',
          ],
          Service: 'logging.s3.amazonaws.com',
          CanonicalUser: 'a'.repeat(64),
        },
      }),
      resource,
    );
    const pr = p.statements[0]?.principals;
    expect(pr?.wildcard).toBe(true);
    expect([...(pr?.accounts ?? [])]).toEqual(['123456789012']);
    expect(pr?.arns.size).toBe(2);
  });

  it('checks condition operators, keys and typed values', () => {
    const cond = (c: unknown): string => doc({ ...ok, Condition: c });
    rejects(cond({ StringEqualz: { 'aws:username': 'a' } }), 'Invalid Condition type : StringEqualz.');
    rejects(cond({ NullIfExists: { 'aws:username': 'true' } }), 'Invalid Condition type : NullIfExists.');
    rejects(
      cond({ 'ForSomeValues:StringEquals': { 'aws:username': 'a' } }),
      'Invalid Condition type : ForSomeValues:StringEquals.',
    );
    rejects(
      cond({ StringEquals: { username: 'a' } }),
      'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
    );
    rejects(
      cond({ NumericLessThan: { 's3:max-keys': 'ten' } }),
      /Invalid value "ten" for condition NumericLessThan on s3:max-keys: expected a number/,
    );
    rejects(cond({ DateLessThan: { 'aws:CurrentTime': 'tomorrow' } }), /expected a date/);
    rejects(cond({ IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } }), /expected an IP address or CIDR block/);
    rejects(cond({ Bool: { 'aws:SecureTransport': 'yes' } }), /expected true or false/);
    rejects(cond({ ArnLike: { 'aws:SourceArn': 'nope' } }), /expected an ARN/);
    rejects(cond({ StringEquals: { 'aws:username': [] } }), /has no values/);
    rejects(cond({ StringEquals: { 'aws:username': { a: 1 } } }), /not a string/);
    expect(() =>
      parsePolicy(
        cond({
          'ForAnyValue:StringLikeIfExists': { 'aws:TagKeys': ['a*'] },
          NumericLessThanEquals: { 's3:max-keys': 10 },
          Bool: { 'aws:SecureTransport': false },
          IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32', '::1'] },
          DateGreaterThan: { 'aws:CurrentTime': ['2024-01-01T00:00:00Z', '1700000000', '2024-01-01'] },
          Null: { 's3:x-amz-acl': 'true' },
          BinaryEquals: { 'aws:Foo': 'QmluYXJ5' },
        }),
        identity,
      ),
    ).not.toThrow();
  });

  it('checks Sid format and uniqueness in identity policies only', () => {
    rejects(doc({ ...ok, Sid: 'has space' }), /Statement IDs \(SID\) must be alpha-numeric/);
    rejects(
      doc([
        { ...ok, Sid: 'A' },
        { ...ok, Sid: 'A' },
      ]),
      'Statement IDs (SID) in a single policy must be unique.',
    );
    expect(() => parsePolicy(doc({ ...ok, Sid: 'public read', Principal: '*' }), resource)).not.toThrow();
  });
});
