// Condition operators, one family at a time, plus set operators, IfExists, Null and variables.
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { compilePolicy } from './parse.js';
import type { ConditionContext } from './types.js';

const ALICE = { arn: 'arn:aws:iam::111111111111:user/alice', account: '111111111111' };

/** Whether an Allow statement with this Condition block matches the context. */
function cond(
  condition: Record<string, unknown>,
  context: ConditionContext,
  version = '2012-10-17',
): boolean {
  const policy = compilePolicy(
    {
      Version: version,
      Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: condition },
    },
    { kind: 'identity' },
  );
  const d = evaluate({
    principal: ALICE,
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::b/k',
    context,
    identityPolicies: [{ id: 'p', policy }],
  });
  return d.effect === 'allow';
}

describe('string operators', () => {
  it('StringEquals is case-sensitive, values are ORed, keys case-insensitive', () => {
    expect(cond({ StringEquals: { 'aws:username': ['bob', 'alice'] } }, { 'AWS:UserName': 'alice' })).toBe(
      true,
    );
    expect(cond({ StringEquals: { 'aws:username': 'Alice' } }, { 'aws:username': 'alice' })).toBe(false);
    expect(cond({ StringEquals: { 'aws:username': 'a*' } }, { 'aws:username': 'alice' })).toBe(false);
  });
  it('StringNotEquals: true when no value equals, and when the key is missing', () => {
    expect(cond({ StringNotEquals: { 'aws:username': ['bob', 'carol'] } }, { 'aws:username': 'alice' })).toBe(
      true,
    );
    expect(cond({ StringNotEquals: { 'aws:username': ['bob', 'alice'] } }, { 'aws:username': 'alice' })).toBe(
      false,
    );
    expect(cond({ StringNotEquals: { 'aws:username': 'bob' } }, {})).toBe(true);
  });
  it('IgnoreCase variants', () => {
    expect(cond({ StringEqualsIgnoreCase: { 'aws:username': 'ALICE' } }, { 'aws:username': 'alice' })).toBe(
      true,
    );
    expect(
      cond({ StringNotEqualsIgnoreCase: { 'aws:username': 'ALICE' } }, { 'aws:username': 'alice' }),
    ).toBe(false);
  });
  it('StringLike / StringNotLike with * and ?', () => {
    expect(cond({ StringLike: { 's3:prefix': 'home/*' } }, { 's3:prefix': 'home/a/b' })).toBe(true);
    expect(cond({ StringLike: { 's3:prefix': 'h?me/' } }, { 's3:prefix': 'home/' })).toBe(true);
    expect(cond({ StringLike: { 's3:prefix': 'h?me/' } }, { 's3:prefix': 'hoome/' })).toBe(false);
    expect(cond({ StringLike: { 's3:prefix': 'Home/*' } }, { 's3:prefix': 'home/x' })).toBe(false);
    expect(cond({ StringNotLike: { 's3:prefix': ['home/*', 'pub*'] } }, { 's3:prefix': 'private/' })).toBe(
      true,
    );
    expect(cond({ StringNotLike: { 's3:prefix': ['home/*', 'pub*'] } }, { 's3:prefix': 'public/' })).toBe(
      false,
    );
  });
  it('multiple keys are ANDed, multiple operators are ANDed', () => {
    const c = {
      StringEquals: { 'aws:username': 'alice', 's3:prefix': 'x' },
      Bool: { 'aws:SecureTransport': 'true' },
    };
    expect(cond(c, { 'aws:username': 'alice', 's3:prefix': 'x', 'aws:SecureTransport': 'true' })).toBe(true);
    expect(cond(c, { 'aws:username': 'alice', 's3:prefix': 'y', 'aws:SecureTransport': 'true' })).toBe(false);
    expect(cond(c, { 'aws:username': 'alice', 's3:prefix': 'x', 'aws:SecureTransport': 'false' })).toBe(
      false,
    );
  });
});

describe('numeric, date, bool, binary, ip, arn', () => {
  it('Numeric comparisons, JSON numbers, and non-numbers fail both ways', () => {
    expect(cond({ NumericLessThanEquals: { 's3:max-keys': 10 } }, { 's3:max-keys': '10' })).toBe(true);
    expect(cond({ NumericLessThan: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' })).toBe(false);
    expect(cond({ NumericGreaterThan: { 's3:max-keys': '2.5' } }, { 's3:max-keys': '3' })).toBe(true);
    expect(cond({ NumericGreaterThanEquals: { 's3:max-keys': '3' } }, { 's3:max-keys': '3.0' })).toBe(true);
    expect(cond({ NumericEquals: { 's3:max-keys': ['1', '5'] } }, { 's3:max-keys': '5' })).toBe(true);
    expect(cond({ NumericNotEquals: { 's3:max-keys': ['1', '5'] } }, { 's3:max-keys': '5' })).toBe(false);
    expect(cond({ NumericNotEquals: { 's3:max-keys': '1' } }, { 's3:max-keys': 'abc' })).toBe(false);
    expect(cond({ NumericEquals: { 's3:max-keys': '1' } }, { 's3:max-keys': 'abc' })).toBe(false);
  });
  it('Date accepts ISO 8601 and epoch seconds', () => {
    expect(
      cond(
        { DateLessThan: { 'aws:CurrentTime': '2025-01-01T00:00:00Z' } },
        { 'aws:CurrentTime': '2024-06-01T12:00:00Z' },
      ),
    ).toBe(true);
    expect(
      cond(
        { DateGreaterThan: { 'aws:CurrentTime': '2025-01-01' } },
        { 'aws:CurrentTime': '2024-06-01T12:00:00Z' },
      ),
    ).toBe(false);
    expect(cond({ DateEquals: { 'aws:EpochTime': '1700000000' } }, { 'aws:EpochTime': '1700000000' })).toBe(
      true,
    );
    // Mixed formats compare as instants: 1704067200 s is 2024-01-01T00:00:00Z.
    expect(
      cond(
        { DateEquals: { 'aws:CurrentTime': '1704067200' } },
        { 'aws:CurrentTime': '2024-01-01T00:00:00Z' },
      ),
    ).toBe(true);
    expect(
      cond(
        { DateLessThanEquals: { 'aws:CurrentTime': '2024-01-01T00:00:00+01:00' } },
        { 'aws:CurrentTime': '2023-12-31T23:00:00Z' },
      ),
    ).toBe(true);
    expect(
      cond({ DateNotEquals: { 'aws:CurrentTime': '2024-01-01' } }, { 'aws:CurrentTime': 'garbage' }),
    ).toBe(false);
  });
  it('Bool compares true/false case-insensitively', () => {
    expect(cond({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'TRUE' })).toBe(true);
    expect(cond({ Bool: { 'aws:SecureTransport': false } }, { 'aws:SecureTransport': 'true' })).toBe(false);
    expect(cond({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'yes' })).toBe(false);
    expect(cond({ Bool: { 'aws:SecureTransport': 'false' } }, {})).toBe(false);
    expect(cond({ BoolIfExists: { 'aws:SecureTransport': 'false' } }, {})).toBe(true);
  });
  it('BinaryEquals compares the base64 text', () => {
    expect(cond({ BinaryEquals: { 'aws:Key': 'QmluYXJ5' } }, { 'aws:Key': 'QmluYXJ5' })).toBe(true);
    expect(cond({ BinaryEquals: { 'aws:Key': 'QmluYXJ5' } }, { 'aws:Key': 'qmluyxj5' })).toBe(false);
  });
  it('IpAddress / NotIpAddress with IPv4 and IPv6 CIDRs', () => {
    const blocks = ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'];
    expect(cond({ IpAddress: { 'aws:SourceIp': blocks } }, { 'aws:SourceIp': '10.200.1.1' })).toBe(true);
    expect(cond({ IpAddress: { 'aws:SourceIp': blocks } }, { 'aws:SourceIp': '2001:db8:ffff::1' })).toBe(
      true,
    );
    expect(cond({ IpAddress: { 'aws:SourceIp': blocks } }, { 'aws:SourceIp': '192.0.2.7' })).toBe(true);
    expect(cond({ IpAddress: { 'aws:SourceIp': blocks } }, { 'aws:SourceIp': '2001:db9::1' })).toBe(false);
    expect(cond({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }, { 'aws:SourceIp': '203.0.113.1' })).toBe(
      true,
    );
    expect(cond({ IpAddress: { 'aws:SourceIp': '::/0' } }, { 'aws:SourceIp': '10.0.0.1' })).toBe(false);
    expect(cond({ NotIpAddress: { 'aws:SourceIp': blocks } }, { 'aws:SourceIp': '11.0.0.1' })).toBe(true);
    expect(cond({ NotIpAddress: { 'aws:SourceIp': blocks } }, { 'aws:SourceIp': '10.0.0.1' })).toBe(false);
    expect(cond({ NotIpAddress: { 'aws:SourceIp': blocks } }, { 'aws:SourceIp': 'not-an-ip' })).toBe(false);
    expect(
      cond({ IpAddress: { 'aws:SourceIp': '::ffff:0:0/96' } }, { 'aws:SourceIp': '::ffff:10.0.0.1' }),
    ).toBe(true);
  });
  it('Arn operators match each ARN part with wildcards', () => {
    const arn = 'arn:aws:iam::111111111111:user/team/bob';
    expect(
      cond({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/team/*' } }, { 'aws:PrincipalArn': arn }),
    ).toBe(true);
    expect(cond({ ArnEquals: { 'aws:PrincipalArn': arn } }, { 'aws:PrincipalArn': arn })).toBe(true);
    // A wildcard in the account part does not swallow the colon-separated parts after it.
    expect(
      cond({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:*::*:user/team/bob' } }, { 'aws:PrincipalArn': arn }),
    ).toBe(true);
    expect(
      cond({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::1*:user/team/bo?' } }, { 'aws:PrincipalArn': arn }),
    ).toBe(true);
    expect(cond({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:*' } }, { 'aws:PrincipalArn': arn })).toBe(
      true,
    );
    expect(
      cond({ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/alice' } }, { 'aws:PrincipalArn': arn }),
    ).toBe(true);
    expect(cond({ ArnNotEquals: { 'aws:PrincipalArn': arn } }, { 'aws:PrincipalArn': 'not-an-arn' })).toBe(
      false,
    );
  });
});

describe('missing keys, IfExists, Null, set operators', () => {
  it('positive operators are false and IfExists operators true when the key is missing', () => {
    expect(cond({ StringEquals: { 'aws:username': 'a' } }, {})).toBe(false);
    expect(cond({ StringEqualsIfExists: { 'aws:username': 'a' } }, {})).toBe(true);
    expect(cond({ StringEqualsIfExists: { 'aws:username': 'a' } }, { 'aws:username': 'b' })).toBe(false);
    expect(cond({ NumericLessThanIfExists: { 's3:max-keys': '10' } }, {})).toBe(true);
  });
  it('Null tests presence', () => {
    expect(cond({ Null: { 'aws:TokenIssueTime': 'true' } }, {})).toBe(true);
    expect(cond({ Null: { 'aws:TokenIssueTime': 'true' } }, { 'aws:TokenIssueTime': 'x' })).toBe(false);
    expect(cond({ Null: { 'aws:TokenIssueTime': 'false' } }, { 'aws:TokenIssueTime': 'x' })).toBe(true);
    expect(cond({ Null: { 'aws:TagKeys': 'false' } }, { 'aws:TagKeys': [] })).toBe(true);
  });
  it('a single-valued operator never matches a multi-valued key', () => {
    expect(cond({ StringEquals: { 'aws:TagKeys': 'a' } }, { 'aws:TagKeys': ['a'] })).toBe(false);
    expect(cond({ StringNotEquals: { 'aws:TagKeys': 'a' } }, { 'aws:TagKeys': ['b'] })).toBe(false);
  });
  it('ForAnyValue: some request value matches; false when missing or empty', () => {
    const c = { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'team'] } };
    expect(cond(c, { 'aws:TagKeys': ['x', 'team'] })).toBe(true);
    expect(cond(c, { 'aws:TagKeys': ['x'] })).toBe(false);
    expect(cond(c, { 'aws:TagKeys': 'env' })).toBe(true);
    expect(cond(c, { 'aws:TagKeys': [] })).toBe(false);
    expect(cond(c, {})).toBe(false);
    expect(
      cond({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } }, { 'aws:TagKeys': ['env', 'x'] }),
    ).toBe(true);
  });
  it('ForAllValues: every request value matches; true when missing or empty', () => {
    const c = { 'ForAllValues:StringLike': { 'aws:TagKeys': ['env', 'team*'] } };
    expect(cond(c, { 'aws:TagKeys': ['env', 'team-a'] })).toBe(true);
    expect(cond(c, { 'aws:TagKeys': ['env', 'owner'] })).toBe(false);
    expect(cond(c, { 'aws:TagKeys': [] })).toBe(true);
    expect(cond(c, {})).toBe(true);
    expect(
      cond({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } }, { 'aws:TagKeys': ['a', 'b'] }),
    ).toBe(true);
    expect(
      cond(
        { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } },
        { 'aws:TagKeys': ['a', 'secret'] },
      ),
    ).toBe(false);
  });
});

describe('policy variables in conditions', () => {
  it('substitutes, applies defaults, and fails closed when the key is absent', () => {
    expect(
      cond(
        { StringLike: { 's3:prefix': 'home/${aws:username}/*' } },
        { 'aws:username': 'alice', 's3:prefix': 'home/alice/x' },
      ),
    ).toBe(true);
    expect(
      cond(
        { StringLike: { 's3:prefix': 'home/${aws:username}/*' } },
        { 'aws:username': 'bob', 's3:prefix': 'home/alice/x' },
      ),
    ).toBe(false);
    expect(cond({ StringLike: { 's3:prefix': 'home/${aws:username}/*' } }, { 's3:prefix': 'home//x' })).toBe(
      false,
    );
    expect(cond({ StringNotLike: { 's3:prefix': 'home/${aws:username}/*' } }, { 's3:prefix': 'other' })).toBe(
      false,
    );
    expect(
      cond({ StringEquals: { 's3:prefix': "${aws:username, 'guest'}" } }, { 's3:prefix': 'guest' }),
    ).toBe(true);
    expect(
      cond(
        { StringEquals: { 's3:prefix': '${aws:PrincipalTag/Team}' } },
        { 'aws:principaltag/team': 'red', 's3:prefix': 'red' },
      ),
    ).toBe(true);
  });
  it('substituted values are literal text, and ${*} ${?} ${$} are escapes', () => {
    expect(
      cond({ StringLike: { 's3:prefix': '${aws:username}' } }, { 'aws:username': 'a*', 's3:prefix': 'abc' }),
    ).toBe(false);
    expect(cond({ StringLike: { 's3:prefix': 'a${*}' } }, { 's3:prefix': 'a*' })).toBe(true);
    expect(cond({ StringLike: { 's3:prefix': 'a${*}' } }, { 's3:prefix': 'ab' })).toBe(false);
    expect(cond({ StringLike: { 's3:prefix': 'a${?}*' } }, { 's3:prefix': 'a?bc' })).toBe(true);
    expect(cond({ StringEquals: { 's3:prefix': '${$}x' } }, { 's3:prefix': '$x' })).toBe(true);
  });
  it('are literal text in 2008-10-17 policies', () => {
    expect(
      cond(
        { StringEquals: { 's3:prefix': '${aws:username}' } },
        { 'aws:username': 'a', 's3:prefix': '${aws:username}' },
        '2008-10-17',
      ),
    ).toBe(true);
  });
});
