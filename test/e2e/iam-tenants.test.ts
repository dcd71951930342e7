// Tenants as AWS accounts (Coffer extension, docs/iam.md): CreateTenant / ListTenants / DeleteTenant by
// the default tenant, each tenant's root acting as its account root, and isolation between tenants in
// IAM (names, ARNs, listings) and S3 (buckets reached only through a bucket policy).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetUserCommand,
  IAMClient,
  ListPoliciesCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { iamQuery } from '../helpers/iam-query.js';
import { startServer, type RunningServer } from '../helpers/server.js';

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
}

let s: RunningServer;
let rootCreds: Creds;
let root: IAMClient;

const iamAs = (c: Creds) => new IAMClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: c });
const s3As = (c: Creds) =>
  new S3Client({ endpoint: s.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: c });

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as { Code?: string; name?: string };
    return (err.Code ?? err.name ?? '').replace(/Exception$/, '');
  }
  return 'no error';
}

const uniq = (() => {
  let n = 0;
  return (p: string) => `${p}${Date.now().toString(36)}${n++}`;
})();

// ---- raw signed IAM query calls (the tenant actions are Coffer extensions the SDK does not model)
async function rawIam(
  params: Record<string, string>,
  c: Creds = rootCreds,
): Promise<{ code?: string; body: Record<string, unknown> }> {
  const { code, body } = await iamQuery(s.endpoint, c, params);
  return { ...(code === undefined ? {} : { code }), body };
}

async function createTenant(name: string): Promise<{ account: string; creds: Creds }> {
  const r = await rawIam({ Action: 'CreateTenant', TenantName: name });
  expect(r.code).toBeUndefined();
  const t = r.body.Tenant as Record<string, string>;
  const k = r.body.AccessKey as Record<string, string>;
  expect(t.TenantName).toBe(name);
  expect(t.AccountId).toMatch(/^\d{12}$/);
  expect(k.AccessKeyId).toMatch(/^[A-Z0-9]{20}$/);
  return {
    account: t.AccountId!,
    creds: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! },
  };
}

beforeAll(async () => {
  s = await startServer();
  rootCreds = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
  root = iamAs(rootCreds);
});
afterAll(async () => {
  await s?.stop();
});

describe('tenants', () => {
  it('CreateTenant gives an account with its own root; ListTenants shows it', async () => {
    const name = uniq('acme');
    const t = await createTenant(name);
    const tRoot = iamAs(t.creds);
    const me = await tRoot.send(new GetUserCommand({}));
    expect(me.User?.Arn).toBe(`arn:aws:iam::${t.account}:root`);
    const defaultMe = await root.send(new GetUserCommand({}));
    expect(defaultMe.User?.Arn).not.toBe(me.User?.Arn);
    const summary = await tRoot.send(new GetAccountSummaryCommand({}));
    expect(summary.SummaryMap?.Users).toBe(0);
    const list = await rawIam({ Action: 'ListTenants' });
    expect(list.code).toBeUndefined();
    expect(JSON.stringify(list.body)).toContain(name);
    expect((await rawIam({ Action: 'CreateTenant', TenantName: name })).code).toBe('EntityAlreadyExists');
  });

  it('names are per tenant and nothing of one tenant is visible to another', async () => {
    const a = await createTenant(uniq('ta'));
    const b = await createTenant(uniq('tb'));
    const ia = iamAs(a.creds);
    const ib = iamAs(b.creds);
    const shared = uniq('alice');
    const ua = await ia.send(new CreateUserCommand({ UserName: shared }));
    const ub = await ib.send(new CreateUserCommand({ UserName: shared }));
    expect(ua.User?.Arn).toBe(`arn:aws:iam::${a.account}:user/${shared}`);
    expect(ub.User?.Arn).toBe(`arn:aws:iam::${b.account}:user/${shared}`);
    expect(ua.User?.UserId).not.toBe(ub.User?.UserId);
    const onlyA = uniq('onlya');
    await ia.send(new CreateUserCommand({ UserName: onlyA }));
    expect(await errorCode(ib.send(new GetUserCommand({ UserName: onlyA })))).toBe('NoSuchEntity');
    expect(await errorCode(root.send(new GetUserCommand({ UserName: onlyA })))).toBe('NoSuchEntity');
    expect((await ib.send(new ListUsersCommand({}))).Users?.map((u) => u.UserName)).toEqual([shared]);
    expect((await root.send(new ListUsersCommand({}))).Users?.map((u) => u.UserName)).not.toContain(onlyA);

    // Policies: another account's ARN is not reachable; the predefined ones exist in every tenant.
    const p = await ia.send(
      new CreatePolicyCommand({
        PolicyName: uniq('P'),
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
        }),
      }),
    );
    expect(await errorCode(ib.send(new GetPolicyCommand({ PolicyArn: p.Policy!.Arn! })))).toBe(
      'NoSuchEntity',
    );
    expect(
      await errorCode(ib.send(new AttachUserPolicyCommand({ UserName: shared, PolicyArn: p.Policy!.Arn! }))),
    ).toBe('NoSuchEntity');
    expect(
      (await ib.send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies?.map((x) => x.PolicyName),
    ).not.toContain(p.Policy?.PolicyName);
    const ro = await ib.send(
      new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${b.account}:policy/readonly` }),
    );
    expect(ro.Policy?.Arn).toBe(`arn:aws:iam::${b.account}:policy/readonly`);
    await ib.send(
      new AttachUserPolicyCommand({ UserName: shared, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );

    // A key of tenant A cannot be managed from tenant B.
    const ka = (await ia.send(new CreateAccessKeyCommand({ UserName: shared }))).AccessKey!;
    expect(
      await errorCode(ib.send(new DeleteAccessKeyCommand({ UserName: shared, AccessKeyId: ka.AccessKeyId }))),
    ).toBe('NoSuchEntity');
  });

  it('only the default tenant manages tenants', async () => {
    const t = await createTenant(uniq('tc'));
    expect((await rawIam({ Action: 'CreateTenant', TenantName: uniq('nested') }, t.creds)).code).toBe(
      'AccessDenied',
    );
    expect((await rawIam({ Action: 'ListTenants' }, t.creds)).code).toBe('AccessDenied');
    // A default-tenant user without iam:CreateTenant cannot either.
    const u = uniq('plain');
    await root.send(new CreateUserCommand({ UserName: u }));
    const k = (await root.send(new CreateAccessKeyCommand({ UserName: u }))).AccessKey!;
    const uc = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    expect((await rawIam({ Action: 'CreateTenant', TenantName: uniq('nope') }, uc)).code).toBe(
      'AccessDenied',
    );
  });

  it('DeleteTenant: DeleteConflict while it has users; its root key stops working once deleted', async () => {
    const name = uniq('td');
    const t = await createTenant(name);
    const u = uniq('u');
    await iamAs(t.creds).send(new CreateUserCommand({ UserName: u }));
    expect((await rawIam({ Action: 'DeleteTenant', TenantName: name })).code).toBe('DeleteConflict');
    await iamAs(t.creds).send(new DeleteUserCommand({ UserName: u }));
    expect((await rawIam({ Action: 'DeleteTenant', TenantName: name })).code).toBeUndefined();
    expect(await errorCode(s3As(t.creds).send(new ListBucketsCommand({})))).toBe('InvalidAccessKeyId');
    expect((await rawIam({ Action: 'DeleteTenant', TenantName: 'default' })).code).toBeDefined();
  });

  it('buckets: one global namespace; another tenant gets in only through the bucket policy', async () => {
    const t = await createTenant(uniq('te'));
    const mine = s3As(rootCreds);
    const theirs = s3As(t.creds);
    // A user of that tenant with readwrite (s3:* on arn:aws:s3:::*) in its own account.
    const tu = uniq('rw');
    const ti = iamAs(t.creds);
    await ti.send(new CreateUserCommand({ UserName: tu }));
    await ti.send(new AttachUserPolicyCommand({ UserName: tu, PolicyArn: 'arn:aws:iam:::policy/readwrite' }));
    const tk = (await ti.send(new CreateAccessKeyCommand({ UserName: tu }))).AccessKey!;
    const theirUser = s3As({ accessKeyId: tk.AccessKeyId!, secretAccessKey: tk.SecretAccessKey! });
    const bucket = uniq('shared-b');
    await mine.send(new CreateBucketCommand({ Bucket: bucket }));
    await mine.send(new PutObjectCommand({ Bucket: bucket, Key: 'k.txt', Body: 'default tenant data' }));
    expect
      .soft(await errorCode(theirs.send(new CreateBucketCommand({ Bucket: bucket }))))
      .toBe('BucketAlreadyExists');
    expect
      .soft((await theirs.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name) ?? [])
      .not.toContain(bucket);
    expect
      .soft(await errorCode(theirs.send(new GetObjectCommand({ Bucket: bucket, Key: 'k.txt' }))))
      .toBe('AccessDenied');
    expect
      .soft(await errorCode(theirs.send(new PutObjectCommand({ Bucket: bucket, Key: 'x.txt', Body: 'x' }))))
      .toBe('AccessDenied');
    expect
      .soft(await errorCode(theirUser.send(new GetObjectCommand({ Bucket: bucket, Key: 'k.txt' }))))
      .toBe('AccessDenied');
    expect
      .soft(
        await errorCode(theirUser.send(new PutObjectCommand({ Bucket: bucket, Key: 'y.txt', Body: 'y' }))),
      )
      .toBe('AccessDenied');
    await mine.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${t.account}:root` },
              Action: 's3:GetObject',
              Resource: `arn:aws:s3:::${bucket}/*`,
            },
          ],
        }),
      }),
    );
    const got = await theirs.send(new GetObjectCommand({ Bucket: bucket, Key: 'k.txt' }));
    expect.soft(await got.Body?.transformToString()).toBe('default tenant data');
    expect
      .soft(await errorCode(theirs.send(new PutObjectCommand({ Bucket: bucket, Key: 'x.txt', Body: 'x' }))))
      .toBe('AccessDenied');
  });
});
