// Tenant isolation on S3 end to end: a second tenant (CreateTenant, docs/iam.md) — its root and its
// users, even with s3:* on *, cannot reach the default tenant's buckets unless that bucket's policy
// names them (cross-account: both sides must allow); ListBuckets shows only one's own; bucket names
// stay one global namespace; IAM entities of one tenant are invisible to the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
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
let rootA: Creds;
let rootB: Creds;
let accountB = '';
const stamp = Date.now().toString(36);
const BUCKET_A = `ten-a-${stamp}`;
const BUCKET_B = `ten-b-${stamp}`;

const iamAs = (c: Creds) => new IAMClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: c });
const s3As = (c: Creds) =>
  new S3Client({ endpoint: s.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: c });

/** 'ok', or the error code of the refusal. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    const err = e as { Code?: string; name?: string; $metadata?: { httpStatusCode?: number } };
    return (
      err.Code ??
      (err.name === 'Unknown' || err.name === undefined
        ? `status ${err.$metadata?.httpStatusCode}`
        : err.name)
    );
  }
}

const doc = (statements: object[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
const ALL_S3 = doc([{ Effect: 'Allow', Action: 's3:*', Resource: '*' }]);

const get = (c: S3Client, bucket: string, key: string) =>
  outcome(
    c.send(new GetObjectCommand({ Bucket: bucket, Key: key })).then((r) => r.Body?.transformToString()),
  );
const put = (c: S3Client, bucket: string, key: string) =>
  outcome(c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' })));
const list = (c: S3Client, bucket: string) => outcome(c.send(new ListObjectsV2Command({ Bucket: bucket })));
const bucketNames = async (c: S3Client): Promise<string[]> =>
  ((await c.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? '');

// ---- CreateTenant is a Coffer extension the SDK does not model: a raw SigV4-signed query call.
async function createTenant(name: string): Promise<{ account: string; creds: Creds }> {
  const { status, text, body } = await iamQuery(s.endpoint, rootA, {
    Action: 'CreateTenant',
    TenantName: name,
  });
  expect(status, text).toBe(200);
  const r = body as Record<string, Record<string, string> | undefined>;
  const t = r?.Tenant;
  const key = r?.AccessKey;
  if (!t?.AccountId || !key?.AccessKeyId || !key.SecretAccessKey) throw new Error(`unexpected reply ${text}`);
  return {
    account: t.AccountId,
    creds: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey },
  };
}

async function newUser(c: Creds, name: string, policy?: string): Promise<S3Client> {
  const iam = iamAs(c);
  await iam.send(new CreateUserCommand({ UserName: name }));
  if (policy !== undefined) {
    await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: policy }));
  }
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return s3As({ accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! });
}

let a: S3Client;
let b: S3Client;
let bob: S3Client;
let carol: S3Client;

beforeAll(async () => {
  s = await startServer();
  rootA = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
  const t = await createTenant(`other-${stamp}`);
  rootB = t.creds;
  accountB = t.account;
  a = s3As(rootA);
  b = s3As(rootB);
  await a.send(new CreateBucketCommand({ Bucket: BUCKET_A }));
  await a.send(new PutObjectCommand({ Bucket: BUCKET_A, Key: 'doc.txt', Body: 'tenant A data' }));
  await b.send(new CreateBucketCommand({ Bucket: BUCKET_B }));
  // bob: s3:* on * in tenant B; carol: tenant B, no identity policy.
  bob = await newUser(rootB, 'bob', ALL_S3);
  carol = await newUser(rootB, 'carol');
});
afterAll(async () => {
  await s?.stop();
});

describe('tenant isolation on S3', () => {
  it('tenant B’s root cannot list, read, write or delete in tenant A’s bucket', async () => {
    expect(await list(b, BUCKET_A)).toBe('AccessDenied');
    expect(await get(b, BUCKET_A, 'doc.txt')).toBe('AccessDenied');
    expect(await put(b, BUCKET_A, 'planted.txt')).toBe('AccessDenied');
    expect(await outcome(b.send(new DeleteObjectCommand({ Bucket: BUCKET_A, Key: 'doc.txt' })))).toBe(
      'AccessDenied',
    );
    expect(await outcome(b.send(new HeadBucketCommand({ Bucket: BUCKET_A })))).not.toBe('ok');
    expect(
      await outcome(
        b.send(
          new PutBucketPolicyCommand({
            Bucket: BUCKET_A,
            Policy: doc([
              {
                Effect: 'Allow',
                Principal: '*',
                Action: 's3:GetObject',
                Resource: `arn:aws:s3:::${BUCKET_A}/*`,
              },
            ]),
          }),
        ),
      ),
    ).toBe('AccessDenied');
    expect(await get(a, BUCKET_A, 'doc.txt')).toBe('ok');
  });

  it('a user of tenant B with s3:* on * is denied there too, copies included', async () => {
    expect(await list(bob, BUCKET_A)).toBe('AccessDenied');
    expect(await get(bob, BUCKET_A, 'doc.txt')).toBe('AccessDenied');
    expect(await put(bob, BUCKET_A, 'planted.txt')).toBe('AccessDenied');
    // Reading A's object through a copy into B's own bucket is the same read.
    const copy = bob.send(
      new CopyObjectCommand({ Bucket: BUCKET_B, Key: 'stolen.txt', CopySource: `${BUCKET_A}/doc.txt` }),
    );
    expect(await outcome(copy)).toBe('AccessDenied');
    // In its own tenant it may do everything.
    expect(await put(bob, BUCKET_B, 'mine.txt')).toBe('ok');
    expect(await get(bob, BUCKET_B, 'mine.txt')).toBe('ok');
    // And tenant A's root has no business in tenant B's bucket either.
    expect(await get(a, BUCKET_B, 'mine.txt')).toBe('AccessDenied');
  });

  it('ListBuckets shows only the caller’s tenant’s buckets', async () => {
    const seenByA = await bucketNames(a);
    const seenByB = await bucketNames(b);
    expect(seenByA).toContain(BUCKET_A);
    expect(seenByA).not.toContain(BUCKET_B);
    expect(seenByB).toEqual([BUCKET_B]);
    expect(await bucketNames(bob)).toEqual([BUCKET_B]);
  });

  it('bucket names are one namespace: BucketAlreadyExists for another tenant, BucketAlreadyOwnedByYou for the owner', async () => {
    expect(await outcome(b.send(new CreateBucketCommand({ Bucket: BUCKET_A })))).toBe('BucketAlreadyExists');
    expect(await outcome(bob.send(new CreateBucketCommand({ Bucket: BUCKET_A })))).toBe(
      'BucketAlreadyExists',
    );
    expect(await outcome(a.send(new CreateBucketCommand({ Bucket: BUCKET_A })))).toBe(
      'BucketAlreadyOwnedByYou',
    );
  });

  it('a bucket policy naming account B plus B’s identity policy lets B’s user read; either alone does not', async () => {
    const policy = doc([
      {
        Sid: 'AccountBReads',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountB}:root` },
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${BUCKET_A}`, `arn:aws:s3:::${BUCKET_A}/*`],
      },
    ]);
    await a.send(new PutBucketPolicyCommand({ Bucket: BUCKET_A, Policy: policy }));
    expect(await get(bob, BUCKET_A, 'doc.txt')).toBe('ok');
    expect(await list(bob, BUCKET_A)).toBe('ok');
    expect(await put(bob, BUCKET_A, 'planted.txt')).toBe('AccessDenied'); // not granted by A
    expect(await get(carol, BUCKET_A, 'doc.txt')).toBe('AccessDenied'); // not granted by B
    expect(await get(b, BUCKET_A, 'doc.txt')).toBe('ok'); // B's root: its account is named
    const copy = bob.send(
      new CopyObjectCommand({ Bucket: BUCKET_B, Key: 'copied.txt', CopySource: `${BUCKET_A}/doc.txt` }),
    );
    expect(await outcome(copy)).toBe('ok');
    expect(await get(bob, BUCKET_B, 'copied.txt')).toBe('ok');

    await a.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET_A }));
    expect(await get(bob, BUCKET_A, 'doc.txt')).toBe('AccessDenied');
  });
});

describe('tenant isolation in IAM', () => {
  it('users of one tenant are invisible to the other', async () => {
    await iamAs(rootA).send(new CreateUserCommand({ UserName: `alice-${stamp}` }));
    const usersB = (await iamAs(rootB).send(new ListUsersCommand({}))).Users?.map((u) => u.UserName) ?? [];
    expect(usersB.sort()).toEqual(['bob', 'carol']);
    const usersA = (await iamAs(rootA).send(new ListUsersCommand({}))).Users?.map((u) => u.UserName) ?? [];
    expect(usersA).toContain(`alice-${stamp}`);
    expect(usersA).not.toContain('bob');
    expect(await outcome(iamAs(rootB).send(new GetUserCommand({ UserName: `alice-${stamp}` })))).toBe(
      'NoSuchEntity',
    );
    expect(await outcome(iamAs(rootA).send(new GetUserCommand({ UserName: 'bob' })))).toBe('NoSuchEntity');
    // B's root is its own account's root.
    const me = await iamAs(rootB).send(new GetUserCommand({}));
    expect(me.User?.Arn).toBe(`arn:aws:iam::${accountB}:root`);
  });
});
