// Evaluation logic: deny precedence, NotAction/NotResource/NotPrincipal, wildcards, variables in
// resources, boundaries, session policies, same- and cross-account resource policies, anonymous
// callers, the deciding statement, and the cost of a decision.
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { compilePolicy } from './parse.js';
import type { EvalPrincipal, EvalRequest, PolicyRef } from './types.js';

const A = '111111111111';
const B = '222222222222';
const alice: EvalPrincipal = { arn: `arn:aws:iam::${A}:user/alice`, account: A };
const carol: EvalPrincipal = { arn: `arn:aws:iam::${B}:user/carol`, account: B };
const session: EvalPrincipal = {
  arn: `arn:aws:sts::${A}:assumed-role/app/s1`,
  account: A,
  roleArn: `arn:aws:iam::${A}:role/app`,
};
const anon: EvalPrincipal = { arn: '*', account: '', anonymous: true };

const idp = (id: string, ...Statement: unknown[]): PolicyRef => ({
  id,
  version: 'v1',
  policy: compilePolicy({ Version: '2012-10-17', Statement }, { kind: 'identity' }),
});
const rp = (...Statement: unknown[]): PolicyRef => ({
  id: 'bucket-policy',
  policy: compilePolicy({ Version: '2012-10-17', Statement }, { kind: 'resource' }),
});
const allow = (Action: unknown, Resource: unknown = '*', extra: object = {}): object => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...extra,
});
const deny = (Action: unknown, Resource: unknown = '*', extra: object = {}): object => ({
  Effect: 'Deny',
  Action,
  Resource,
  ...extra,
});

const req = (over: Partial<EvalRequest>): EvalRequest => ({
  principal: alice,
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::photos/a.png',
  context: { 'aws:username': 'alice' },
  identityPolicies: [],
  ...over,
});
const effect = (over: Partial<EvalRequest>): string => evaluate(req(over)).effect;

describe('identity policies', () => {
  it('default deny, allow, explicit deny wins over allow', () => {
    expect(effect({})).toBe('implicitDeny');
    expect(effect({ identityPolicies: [idp('p', allow('s3:GetObject'))] })).toBe('allow');
    expect(
      effect({
        identityPolicies: [idp('p', allow('s3:*')), idp('q', deny('s3:Get*', 'arn:aws:s3:::photos/*'))],
      }),
    ).toBe('explicitDeny');
  });
  it('actions match case-insensitively with * and ?', () => {
    expect(effect({ action: 's3:getobject', identityPolicies: [idp('p', allow('S3:GetObj?ct'))] })).toBe(
      'allow',
    );
    expect(effect({ identityPolicies: [idp('p', allow('s3:Put*'))] })).toBe('implicitDeny');
    expect(effect({ identityPolicies: [idp('p', allow('*'))] })).toBe('allow');
  });
  it('resources match case-sensitively, wildcards within the resource part', () => {
    expect(effect({ identityPolicies: [idp('p', allow('s3:GetObject', 'arn:aws:s3:::Photos/*'))] })).toBe(
      'implicitDeny',
    );
    expect(effect({ identityPolicies: [idp('p', allow('s3:GetObject', 'arn:aws:s3:::ph?tos/*.png'))] })).toBe(
      'allow',
    );
    expect(effect({ identityPolicies: [idp('p', allow('s3:GetObject', 'arn:aws:s3:::photos'))] })).toBe(
      'implicitDeny',
    );
    expect(effect({ identityPolicies: [idp('p', allow('s3:GetObject', 'arn:*:s3:::*'))] })).toBe('allow');
    expect(effect({ identityPolicies: [idp('p', allow('s3:GetObject', 'arn:aws:iam:::*'))] })).toBe(
      'implicitDeny',
    );
  });
  it('NotAction and NotResource', () => {
    expect(
      effect({ identityPolicies: [idp('p', { Effect: 'Allow', NotAction: 's3:Delete*', Resource: '*' })] }),
    ).toBe('allow');
    expect(
      effect({ identityPolicies: [idp('p', { Effect: 'Allow', NotAction: 's3:Get*', Resource: '*' })] }),
    ).toBe('implicitDeny');
    expect(
      effect({
        identityPolicies: [idp('p', { Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::logs/*' })],
      }),
    ).toBe('allow');
    expect(
      effect({
        identityPolicies: [
          idp('p', allow('s3:*'), { Effect: 'Deny', Action: 's3:*', NotResource: 'arn:aws:s3:::photos/*' }),
        ],
      }),
    ).toBe('allow');
    expect(
      effect({
        identityPolicies: [
          idp('p', allow('s3:*'), { Effect: 'Deny', Action: 's3:*', NotResource: 'arn:aws:s3:::logs/*' }),
        ],
      }),
    ).toBe('explicitDeny');
  });
  it('resource variables: substituted, defaulted, or no match when absent', () => {
    const home = idp('p', allow('s3:GetObject', 'arn:aws:s3:::photos/home/${aws:username}/*'));
    expect(effect({ resource: 'arn:aws:s3:::photos/home/alice/x', identityPolicies: [home] })).toBe('allow');
    expect(effect({ resource: 'arn:aws:s3:::photos/home/bob/x', identityPolicies: [home] })).toBe(
      'implicitDeny',
    );
    expect(
      effect({ resource: 'arn:aws:s3:::photos/home/alice/x', context: {}, identityPolicies: [home] }),
    ).toBe('implicitDeny');
    const def = idp('p', allow('s3:GetObject', "arn:aws:s3:::photos/${aws:PrincipalTag/team, 'shared'}/*"));
    expect(effect({ resource: 'arn:aws:s3:::photos/shared/x', identityPolicies: [def] })).toBe('allow');
    expect(
      effect({
        resource: 'arn:aws:s3:::photos/red/x',
        context: { 'aws:PrincipalTag/Team': 'red' },
        identityPolicies: [def],
      }),
    ).toBe('allow');
    // An unresolvable variable in NotResource keeps the statement from applying.
    const nr = idp('p', allow('s3:*'), {
      Effect: 'Deny',
      Action: 's3:*',
      NotResource: 'arn:aws:s3:::${aws:username}/*',
    });
    expect(effect({ context: {}, identityPolicies: [nr] })).toBe('allow');
    expect(effect({ identityPolicies: [nr] })).toBe('explicitDeny');
  });
});

describe('the deciding statement', () => {
  it('names the first matching Deny, else the first matching Allow', () => {
    const p1 = idp('arn:aws:iam::111111111111:policy/one', allow('s3:List*'), {
      ...allow('s3:Get*'),
      Sid: 'ReadAll',
    });
    const p2 = idp(
      'two',
      deny('s3:PutObject'),
      { ...deny('s3:GetObject'), Sid: 'NoGet' },
      { ...deny('s3:*'), Sid: 'NoS3' },
    );
    const d1 = evaluate(req({ identityPolicies: [p1] }));
    expect(d1).toMatchObject({
      effect: 'allow',
      statement: { policy: 'arn:aws:iam::111111111111:policy/one', version: 'v1', sid: 'ReadAll', index: 1 },
    });
    expect(d1.reason).toContain('ReadAll');
    const d2 = evaluate(req({ identityPolicies: [p1, p2] }));
    expect(d2).toMatchObject({
      effect: 'explicitDeny',
      statement: { policy: 'two', sid: 'NoGet', index: 1 },
    });
    const d3 = evaluate(req({ identityPolicies: [idp('x', allow('s3:PutObject'))] }));
    expect(d3.statement).toBeUndefined();
    expect(d3.reason).toMatch(/no policy allows s3:GetObject/);
  });
});

describe('permissions boundaries and session policies', () => {
  const full = idp('p', allow('s3:*'));
  it('a boundary narrows identity allows and its denies are explicit', () => {
    expect(effect({ identityPolicies: [full], permissionsBoundary: idp('b', allow('s3:Get*')) })).toBe(
      'allow',
    );
    expect(
      effect({
        action: 's3:PutObject',
        identityPolicies: [full],
        permissionsBoundary: idp('b', allow('s3:Get*')),
      }),
    ).toBe('implicitDeny');
    expect(
      effect({
        identityPolicies: [full],
        permissionsBoundary: idp('b', allow('s3:*'), deny('s3:GetObject')),
      }),
    ).toBe('explicitDeny');
    // A boundary grants nothing by itself.
    expect(effect({ permissionsBoundary: idp('b', allow('*')) })).toBe('implicitDeny');
  });
  it('a resource policy naming the user directly is not limited by the boundary; naming the account is', () => {
    const boundary = idp('b', allow('s3:List*'));
    expect(
      effect({
        identityPolicies: [full],
        permissionsBoundary: boundary,
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: alice.arn } })),
      }),
    ).toBe('allow');
    expect(
      effect({
        identityPolicies: [full],
        permissionsBoundary: boundary,
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: A } })),
      }),
    ).toBe('implicitDeny');
    // For a session, naming the role (not the session) does not bypass the boundary.
    expect(
      effect({
        principal: session,
        identityPolicies: [full],
        permissionsBoundary: boundary,
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: session.roleArn } })),
      }),
    ).toBe('implicitDeny');
    expect(
      effect({
        principal: session,
        identityPolicies: [full],
        permissionsBoundary: boundary,
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: session.arn } })),
      }),
    ).toBe('allow');
  });
  it('session and service-account policies must each allow', () => {
    expect(
      effect({
        principal: session,
        identityPolicies: [full],
        sessionPolicies: [idp('s', allow('s3:GetObject'))],
      }),
    ).toBe('allow');
    expect(
      effect({
        principal: session,
        identityPolicies: [full],
        sessionPolicies: [idp('s', allow('s3:GetObject')), idp('sa', allow('s3:List*'))],
      }),
    ).toBe('implicitDeny');
    expect(
      effect({
        principal: session,
        identityPolicies: [full],
        sessionPolicies: [idp('s', allow('s3:*'), deny('s3:GetObject'))],
      }),
    ).toBe('explicitDeny');
    expect(effect({ principal: session, sessionPolicies: [idp('s', allow('*'))] })).toBe('implicitDeny');
  });
});

describe('resource policies', () => {
  it('same account: naming the principal (or its role) suffices; naming the account delegates to identity policies', () => {
    expect(
      effect({ resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: alice.arn } })) }),
    ).toBe('allow');
    expect(effect({ resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: '*' })) })).toBe('allow');
    expect(
      effect({
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: `arn:aws:iam::${A}:root` } })),
      }),
    ).toBe('implicitDeny');
    expect(
      effect({
        principal: session,
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: session.roleArn } })),
      }),
    ).toBe('allow');
    expect(
      effect({
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: `arn:aws:iam::${A}:user/bob` } })),
      }),
    ).toBe('implicitDeny');
  });
  it('cross account: identity and resource policy must both allow', () => {
    const id = idp('p', allow('s3:GetObject'));
    const base = { principal: carol, resourceAccount: A, context: {} };
    expect(effect({ ...base, identityPolicies: [id] })).toBe('implicitDeny');
    expect(
      effect({ ...base, resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: carol.arn } })) }),
    ).toBe('implicitDeny');
    expect(
      effect({
        ...base,
        identityPolicies: [id],
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: carol.arn } })),
      }),
    ).toBe('allow');
    expect(
      effect({
        ...base,
        identityPolicies: [id],
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: B } })),
      }),
    ).toBe('allow');
    expect(
      effect({
        ...base,
        identityPolicies: [id],
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: A } })),
      }),
    ).toBe('implicitDeny');
  });
  it('a resource-policy Deny for the principal or its account is explicit', () => {
    const id = idp('p', allow('s3:*'));
    expect(
      effect({
        identityPolicies: [id],
        resourcePolicy: rp(deny('s3:GetObject', '*', { Principal: { AWS: A } })),
      }),
    ).toBe('explicitDeny');
    expect(
      effect({
        identityPolicies: [id],
        resourcePolicy: rp(deny('s3:GetObject', '*', { Principal: { AWS: carol.arn } })),
      }),
    ).toBe('allow');
  });
  it('NotPrincipal applies to everyone not listed; a Deny with NotPrincipal hits principals with a boundary', () => {
    const id = idp('p', allow('s3:*'));
    const np = rp(deny('s3:*', '*', { NotPrincipal: { AWS: alice.arn } }));
    expect(effect({ identityPolicies: [id], resourcePolicy: np })).toBe('allow');
    expect(
      effect({
        principal: { arn: `arn:aws:iam::${A}:user/bob`, account: A },
        identityPolicies: [id],
        resourcePolicy: np,
      }),
    ).toBe('explicitDeny');
    expect(
      effect({ identityPolicies: [id], resourcePolicy: np, permissionsBoundary: idp('b', allow('*')) }),
    ).toBe('explicitDeny');
  });
  it('anonymous callers: only a resource policy granting everyone allows; identity policies are ignored', () => {
    const pub = rp(allow('s3:GetObject', 'arn:aws:s3:::photos/*', { Principal: '*' }));
    expect(effect({ principal: anon, context: {}, resourcePolicy: pub })).toBe('allow');
    expect(
      effect({
        principal: anon,
        context: {},
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: '*' } })),
      }),
    ).toBe('allow');
    expect(
      effect({
        principal: anon,
        context: {},
        resourcePolicy: rp(allow('s3:GetObject', '*', { Principal: { AWS: A } })),
      }),
    ).toBe('implicitDeny');
    expect(effect({ principal: anon, context: {}, identityPolicies: [idp('p', allow('*'))] })).toBe(
      'implicitDeny',
    );
    expect(
      effect({
        principal: anon,
        context: {},
        resourcePolicy: rp(
          allow('s3:*', '*', { Principal: '*' }),
          deny('s3:GetObject', '*', { Principal: '*' }),
        ),
      }),
    ).toBe('explicitDeny');
  });
  it('service principals', () => {
    const svc: EvalPrincipal = {
      arn: 'logging.s3.amazonaws.com',
      account: '',
      service: 'logging.s3.amazonaws.com',
    };
    expect(
      effect({
        principal: svc,
        context: {},
        resourcePolicy: rp(
          allow('s3:PutObject', '*', { Principal: { Service: 'logging.s3.amazonaws.com' } }),
        ),
        action: 's3:PutObject',
      }),
    ).toBe('allow');
    expect(
      effect({
        principal: svc,
        context: {},
        resourcePolicy: rp(allow('s3:PutObject', '*', { Principal: { AWS: A } })),
        action: 's3:PutObject',
      }),
    ).toBe('implicitDeny');
  });
});

describe('performance', () => {
  it('decides a typical request in a few microseconds', () => {
    const policies = [
      idp('p1', allow(['s3:GetObject', 's3:ListBucket'], ['arn:aws:s3:::photos', 'arn:aws:s3:::photos/*'])),
      idp('p2', {
        ...allow('s3:*', 'arn:aws:s3:::photos/home/${aws:username}/*'),
        Condition: { Bool: { 'aws:SecureTransport': 'true' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      }),
      idp('p3', deny('s3:DeleteBucket'), deny('iam:*')),
    ];
    const r = req({
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::photos/home/alice/x.png',
      context: {
        'aws:username': 'alice',
        'aws:SecureTransport': 'true',
        'aws:SourceIp': '10.1.2.3',
        'aws:UserAgent': 'aws-cli',
      },
      identityPolicies: policies,
      resourcePolicy: rp(allow('s3:GetObject', 'arn:aws:s3:::photos/public/*', { Principal: '*' })),
    });
    expect(evaluate(r).effect).toBe('allow');
    const n = 20000;
    for (let i = 0; i < 2000; i++) evaluate(r);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) evaluate(r);
    const usPerDecision = ((performance.now() - t0) * 1000) / n;
    // Generous bound for noisy shared CI machines; typical is well under 5 µs here.
    expect(usPerDecision, `${usPerDecision.toFixed(2)} µs per decision`).toBeLessThan(50);
  });
});
