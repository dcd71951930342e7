// Tests of the identity authorizer's resource side: tenant isolation (the bucket's tenant is the
// resource account), bucket policies for users, roots and anonymous callers, and root's way out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../auth/principal.js';
import { parsePolicy, type PolicyRef } from '../policy/index.js';
import { createIdentity, type Identity } from './setup.js';
import { createIdentityAuthorizer, type ResourceAuthorizer } from './authorizer.js';

const A = { tenantId: 'default', accountId: '000000000000' };
let B = { tenantId: '', accountId: '' };
let dir: string;
let id: Identity;
let authz: ResourceAuthorizer;

const bucketPolicy = (doc: object): PolicyRef => ({
  id: 'bucket-policy',
  policy: parsePolicy(JSON.stringify(doc), { kind: 'resource' }),
});

function principal(
  kind: 'root' | 'user',
  scope: { tenantId: string; accountId: string },
  name = '',
): Principal {
  if (kind === 'root') {
    return { kind, ...scope, accessKeyId: 'X', arn: `arn:aws:iam::${scope.accountId}:root` };
  }
  const u = id.cache.user(scope.tenantId, name);
  if (!u) throw new Error(`no user ${name}`);
  return {
    kind,
    ...scope,
    accessKeyId: 'X',
    userId: u.id,
    userName: u.name,
    arn: `arn:aws:iam::${scope.accountId}:user/${u.name}`,
  };
}

const ask = (
  p: Principal,
  action: string,
  resource: string,
  side?: { tenantId: string; policy?: PolicyRef },
) => authz({ principal: p, action, resource, context: { 'aws:SourceIp': '10.0.0.1' } }, side);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-authz-'));
  id = await createIdentity({
    config: { dataDir: dir },
    db: join(dir, 'index.db'),
    root: { accessKeyId: 'ROOTKEY1', secretAccessKey: 'rootsecret1' },
  });
  authz = createIdentityAuthorizer(id.cache);
  const t = await id.iam.createTenant({ tenantName: 'other', accountId: '111122223333' });
  B = { tenantId: t.tenant.id, accountId: t.tenant.accountId };
  const all = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}';
  await id.iam.createUser(A, { userName: 'alice' });
  await id.iam.putInlinePolicy(A, 'user', 'alice', 'all', all);
  await id.iam.createUser(A, { userName: 'nopol' });
  await id.iam.createUser(B, { userName: 'bob' });
  await id.iam.putInlinePolicy(B, 'user', 'bob', 'all', all);
});

afterAll(async () => {
  await id.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tenant isolation', () => {
  it('a user with s3:* on * is denied on another tenant’s bucket without a bucket policy', () => {
    const bob = principal('user', B, 'bob');
    expect(ask(bob, 's3:GetObject', 'arn:aws:s3:::a/k', { tenantId: A.tenantId }).effect).toBe(
      'implicitDeny',
    );
    expect(ask(bob, 's3:GetObject', 'arn:aws:s3:::b/k', { tenantId: B.tenantId }).effect).toBe('allow');
  });

  it('a root is the root of its own account only', () => {
    const rootB = principal('root', B);
    expect(ask(rootB, 's3:ListBucket', 'arn:aws:s3:::a', { tenantId: A.tenantId }).effect).toBe(
      'implicitDeny',
    );
    expect(ask(rootB, 's3:ListBucket', 'arn:aws:s3:::b', { tenantId: B.tenantId }).effect).toBe('allow');
    expect(ask(rootB, 's3:ListAllMyBuckets', 'arn:aws:s3:::*').effect).toBe('allow');
  });

  it('cross-account needs the bucket policy and the caller’s identity policy', () => {
    const policy = bucketPolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'B',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${B.accountId}:root` },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::a/*',
        },
      ],
    });
    const d = ask(principal('user', B, 'bob'), 's3:GetObject', 'arn:aws:s3:::a/k', {
      tenantId: A.tenantId,
      policy,
    });
    expect(d.effect).toBe('allow');
    expect(
      ask(principal('root', B), 's3:GetObject', 'arn:aws:s3:::a/k', { tenantId: A.tenantId, policy }).effect,
    ).toBe('allow');
    // Not for actions the bucket policy does not grant.
    expect(
      ask(principal('user', B, 'bob'), 's3:PutObject', 'arn:aws:s3:::a/k', { tenantId: A.tenantId, policy })
        .effect,
    ).toBe('implicitDeny');
  });

  it('an unknown owning tenant is never the caller’s account', () => {
    expect(ask(principal('root', A), 's3:GetObject', 'arn:aws:s3:::z/k', { tenantId: 'gone' }).effect).toBe(
      'implicitDeny',
    );
  });
});

describe('bucket policies', () => {
  const publicRead = bucketPolicy({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Public',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::a/*',
      },
    ],
  });
  const denyAll = bucketPolicy({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'NoOne', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::a/*' },
    ],
  });

  it('anonymous callers are decided by the bucket policy alone, naming its statement', () => {
    const anon: Principal = { kind: 'anonymous' };
    const d = ask(anon, 's3:GetObject', 'arn:aws:s3:::a/k', { tenantId: A.tenantId, policy: publicRead });
    expect(d.effect).toBe('allow');
    expect(d.statement).toMatchObject({ policy: 'bucket-policy', sid: 'Public' });
    expect(
      ask(anon, 's3:PutObject', 'arn:aws:s3:::a/k', { tenantId: A.tenantId, policy: publicRead }).effect,
    ).toBe('implicitDeny');
    expect(ask(anon, 's3:GetObject', 'arn:aws:s3:::a/k', { tenantId: A.tenantId }).effect).toBe(
      'implicitDeny',
    );
  });

  it('a bucket policy naming a user of the same account is enough without identity policies', () => {
    const policy = bucketPolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${A.accountId}:user/nopol` },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::a/*',
        },
      ],
    });
    const nopol = principal('user', A, 'nopol');
    expect(ask(nopol, 's3:GetObject', 'arn:aws:s3:::a/k', { tenantId: A.tenantId, policy }).effect).toBe(
      'allow',
    );
    expect(ask(nopol, 's3:GetObject', 'arn:aws:s3:::a/k', { tenantId: A.tenantId }).effect).toBe(
      'implicitDeny',
    );
  });

  it('an explicit Deny beats identity Allows, the root’s included, except root managing the policy', () => {
    const side = { tenantId: A.tenantId, policy: denyAll };
    const alice = principal('user', A, 'alice');
    const d = ask(alice, 's3:GetObject', 'arn:aws:s3:::a/k', side);
    expect(d.effect).toBe('explicitDeny');
    expect(d.statement?.sid).toBe('NoOne');
    expect(ask(principal('root', A), 's3:GetObject', 'arn:aws:s3:::a/k', side).effect).toBe('explicitDeny');

    const lockout = bucketPolicy({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::a', 'arn:aws:s3:::a/*'] },
      ],
    });
    const locked = { tenantId: A.tenantId, policy: lockout };
    expect(ask(principal('root', A), 's3:DeleteBucketPolicy', 'arn:aws:s3:::a', locked).effect).toBe('allow');
    expect(ask(alice, 's3:DeleteBucketPolicy', 'arn:aws:s3:::a', locked).effect).toBe('explicitDeny');
    // Root of another account gets no such exception: nobody outside the owner's account reads or
    // changes a bucket policy, even one that grants it.
    expect(ask(principal('root', B), 's3:DeleteBucketPolicy', 'arn:aws:s3:::a', locked).effect).toBe(
      'implicitDeny',
    );
    const open = bucketPolicy({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::a', 'arn:aws:s3:::a/*'] },
      ],
    });
    const wide = { tenantId: A.tenantId, policy: open };
    expect(ask(principal('root', B), 's3:PutBucketPolicy', 'arn:aws:s3:::a', wide).effect).toBe(
      'implicitDeny',
    );
    expect(ask(principal('root', B), 's3:GetObject', 'arn:aws:s3:::a/k', wide).effect).toBe('allow');
  });

  it('conditions in the bucket policy see the request context and aws:ResourceAccount', () => {
    const policy = bucketPolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::a/*',
          Condition: {
            IpAddress: { 'aws:SourceIp': '10.0.0.0/8' },
            StringEquals: { 'aws:ResourceAccount': A.accountId },
          },
        },
      ],
    });
    const anon: Principal = { kind: 'anonymous' };
    expect(ask(anon, 's3:GetObject', 'arn:aws:s3:::a/k', { tenantId: A.tenantId, policy }).effect).toBe(
      'allow',
    );
    const far = authz(
      {
        principal: anon,
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::a/k',
        context: { 'aws:SourceIp': '192.0.2.1' },
      },
      { tenantId: A.tenantId, policy },
    );
    expect(far.effect).toBe('implicitDeny');
  });
});
