// Enforcement end to end: S3 requests made as IAM users with their own keys are allowed or denied by the
// policies in force (user, group, managed, inline, predefined, AWS managed, boundaries, service-account
// policies, conditions), and every IAM change takes effect on the very next request.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserPermissionsBoundaryCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachUserPolicyCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
  PutGroupPolicyCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  SetDefaultPolicyVersionCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketAccelerateConfigurationCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketRequestPaymentCommand,
  GetBucketWebsiteCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { iamQuery } from '../helpers/iam-query.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'policies');

let s: RunningServer;
let root: IAMClient;
let rootS3: S3Client;
let account = '';
const B = `enf-${Date.now().toString(36)}`;

const creds = (accessKeyId: string, secretAccessKey: string) => ({ accessKeyId, secretAccessKey });
const s3As = (k: Key): S3Client =>
  new S3Client({
    endpoint: s.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: creds(k.id, k.secret),
  });

interface Key {
  id: string;
  secret: string;
}
interface TestUser {
  name: string;
  key: Key;
  s3: S3Client;
}

const uniq = (() => {
  let n = 0;
  return (p: string) => `${p}${Date.now().toString(36)}${n++}`;
})();

const doc = (statements: object[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8').replaceAll('BUCKET', B);

async function newUser(prefix: string): Promise<TestUser> {
  const name = uniq(prefix);
  await root.send(new CreateUserCommand({ UserName: name }));
  const k = (await root.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  const key = { id: k.AccessKeyId!, secret: k.SecretAccessKey! };
  return { name, key, s3: s3As(key) };
}

/** 'ok' when the S3 call succeeds, else the S3 error code (name) of the refusal. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    return err.Code ?? err.name ?? `status ${err.$metadata?.httpStatusCode ?? '?'}`;
  }
}

async function headStatus(c: S3Client, key: string): Promise<number | undefined> {
  try {
    return (await c.send(new HeadObjectCommand({ Bucket: B, Key: key }))).$metadata.httpStatusCode;
  } catch (e) {
    return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  }
}
const get = (c: S3Client, key: string) =>
  outcome(c.send(new GetObjectCommand({ Bucket: B, Key: key })).then((r) => r.Body?.transformToString()));
const put = (c: S3Client, key: string) =>
  outcome(c.send(new PutObjectCommand({ Bucket: B, Key: key, Body: 'x' })));
const list = (c: S3Client, prefix?: string) =>
  outcome(
    c.send(new ListObjectsV2Command({ Bucket: B, ...(prefix === undefined ? {} : { Prefix: prefix }) })),
  );
/** A refused credential: the key is unknown/inactive or its user is disabled. */
const REFUSED = /^(AccessDenied|InvalidAccessKeyId|InvalidClientTokenId)$/;

// ---- raw signed IAM query calls (SeaweedFS extensions the SDK does not model)
async function rawIam(
  params: Record<string, string>,
): Promise<{ code?: string; body: Record<string, unknown> }> {
  const { code, body } = await iamQuery(s.endpoint, s, params);
  return { ...(code === undefined ? {} : { code }), body };
}

beforeAll(async () => {
  s = await startServer();
  root = new IAMClient({
    endpoint: s.endpoint,
    region: 'us-east-1',
    credentials: creds(s.accessKeyId, s.secretAccessKey),
  });
  rootS3 = s3As({ id: s.accessKeyId, secret: s.secretAccessKey });
  const me = await root.send(new GetUserCommand({}));
  account = /^arn:aws:iam::(\d{12}):root$/.exec(me.User?.Arn ?? '')?.[1] ?? '';
  await rootS3.send(new CreateBucketCommand({ Bucket: B }));
  for (const k of ['public/a.txt', 'secret/s.txt', 'alice/x.txt', 'bob/y.txt']) {
    await rootS3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: `body of ${k}` }));
  }
});
afterAll(async () => {
  await s?.stop();
});

describe('default deny and predefined policies', () => {
  it('a user with no policy can do nothing', async () => {
    const u = await newUser('nopol');
    expect(await outcome(u.s3.send(new ListBucketsCommand({})))).toBe('AccessDenied');
    expect(await list(u.s3)).toBe('AccessDenied');
    expect(await get(u.s3, 'public/a.txt')).toBe('AccessDenied');
    // HEAD replies carry no body: only the status tells.
    expect(await headStatus(u.s3, 'public/a.txt')).toBe(403);
    expect(await put(u.s3, 'public/new.txt')).toBe('AccessDenied');
    expect(await outcome(u.s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'public/a.txt' })))).toBe(
      'AccessDenied',
    );
    expect(await outcome(u.s3.send(new CreateBucketCommand({ Bucket: uniq('nopol-b') })))).toBe(
      'AccessDenied',
    );
    // Nothing was changed by the refused calls.
    expect(await get(rootS3, 'public/a.txt')).toBe('ok');
    expect(await get(rootS3, 'public/new.txt')).toBe('NoSuchKey');
  });

  it('readonly lists and reads but cannot write', async () => {
    const u = await newUser('ro');
    await root.send(
      new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    const buckets = await u.s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toContain(B);
    expect(await list(u.s3)).toBe('ok');
    const body = await u.s3.send(new GetObjectCommand({ Bucket: B, Key: 'public/a.txt' }));
    expect(await body.Body?.transformToString()).toBe('body of public/a.txt');
    expect(await outcome(u.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'public/a.txt' })))).toBe('ok');
    expect(await put(u.s3, 'public/ro.txt')).toBe('AccessDenied');
    // Bucket configuration reads need their own actions, which readonly does not grant.
    expect(await outcome(u.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B })))).toBe(
      'AccessDenied',
    );
    expect(await outcome(u.s3.send(new GetBucketOwnershipControlsCommand({ Bucket: B })))).toBe(
      'AccessDenied',
    );
    expect(await outcome(u.s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'public/a.txt' })))).toBe(
      'AccessDenied',
    );
  });

  it('writeonly uploads but cannot read; readwrite does both', async () => {
    const w = await newUser('wo');
    await root.send(
      new AttachUserPolicyCommand({ UserName: w.name, PolicyArn: 'arn:aws:iam:::policy/writeonly' }),
    );
    expect(await put(w.s3, 'public/wo.txt')).toBe('ok');
    expect(await get(w.s3, 'public/wo.txt')).toBe('AccessDenied');
    expect(await list(w.s3)).toBe('AccessDenied');
    const rw = await newUser('rw');
    await root.send(
      new AttachUserPolicyCommand({
        UserName: rw.name,
        PolicyArn: `arn:aws:iam::${account}:policy/readwrite`,
      }),
    );
    expect(await put(rw.s3, 'public/rw.txt')).toBe('ok');
    expect(await get(rw.s3, 'public/rw.txt')).toBe('ok');
    expect(await outcome(rw.s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'public/rw.txt' })))).toBe(
      'ok',
    );
  });

  it('AWS managed AmazonS3ReadOnlyAccess and AmazonS3FullAccess', async () => {
    const u = await newUser('awsro');
    await root.send(
      new AttachUserPolicyCommand({
        UserName: u.name,
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    expect(await put(u.s3, 'public/awsro.txt')).toBe('AccessDenied');
    // s3:Get* covers the configuration reads: the answer is the bucket's, not a refusal.
    expect(await outcome(u.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B })))).toBe(
      'NoSuchLifecycleConfiguration',
    );
    expect(await outcome(u.s3.send(new GetBucketRequestPaymentCommand({ Bucket: B })))).toBe('ok');
    await root.send(
      new AttachUserPolicyCommand({
        UserName: u.name,
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess',
      }),
    );
    expect(await put(u.s3, 'public/awsro.txt')).toBe('ok');
  });
});

describe('policy grammar at work', () => {
  it('${aws:username} scopes each user to its own prefix (objects and s3:prefix on ListBucket)', async () => {
    const pname = uniq('OwnPrefix');
    const arn = (
      await root.send(
        new CreatePolicyCommand({ PolicyName: pname, PolicyDocument: fixture('own-prefix.json') }),
      )
    ).Policy!.Arn!;
    const a = await newUser('alice');
    const b = await newUser('bob');
    for (const u of [a, b])
      await root.send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: arn }));
    expect(await put(a.s3, `${a.name}/file.txt`)).toBe('ok');
    expect(await get(a.s3, `${a.name}/file.txt`)).toBe('ok');
    expect(await list(a.s3, `${a.name}/`)).toBe('ok');
    expect(await get(b.s3, `${a.name}/file.txt`)).toBe('AccessDenied');
    expect(await put(b.s3, `${a.name}/intruder.txt`)).toBe('AccessDenied');
    expect(await list(b.s3, `${a.name}/`)).toBe('AccessDenied');
    expect(await list(a.s3)).toBe('AccessDenied');
    expect(await get(a.s3, 'public/a.txt')).toBe('AccessDenied');
    expect(await put(b.s3, `${b.name}/mine.txt`)).toBe('ok');
  });

  it('each bucket configuration read needs its own IAM action', async () => {
    const u = await newUser('conf');
    const reads: [string, (c: S3Client) => Promise<unknown>, string][] = [
      [
        's3:GetLifecycleConfiguration',
        (c) => c.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B })),
        'NoSuchLifecycleConfiguration',
      ],
      [
        's3:GetEncryptionConfiguration',
        (c) => c.send(new GetBucketEncryptionCommand({ Bucket: B })),
        'ServerSideEncryptionConfigurationNotFoundError',
      ],
      [
        's3:GetBucketWebsite',
        (c) => c.send(new GetBucketWebsiteCommand({ Bucket: B })),
        'NoSuchWebsiteConfiguration',
      ],
      [
        's3:GetBucketObjectLockConfiguration',
        (c) => c.send(new GetObjectLockConfigurationCommand({ Bucket: B })),
        'ObjectLockConfigurationNotFoundError',
      ],
      [
        's3:GetBucketPublicAccessBlock',
        (c) => c.send(new GetPublicAccessBlockCommand({ Bucket: B })),
        'NoSuchPublicAccessBlockConfiguration',
      ],
      [
        's3:GetBucketOwnershipControls',
        (c) => c.send(new GetBucketOwnershipControlsCommand({ Bucket: B })),
        'ok',
      ],
      ['s3:GetBucketLogging', (c) => c.send(new GetBucketLoggingCommand({ Bucket: B })), 'ok'],
      [
        's3:GetBucketNotification',
        (c) => c.send(new GetBucketNotificationConfigurationCommand({ Bucket: B })),
        'ok',
      ],
      [
        's3:GetAccelerateConfiguration',
        (c) => c.send(new GetBucketAccelerateConfigurationCommand({ Bucket: B })),
        'ok',
      ],
      ['s3:GetBucketRequestPayment', (c) => c.send(new GetBucketRequestPaymentCommand({ Bucket: B })), 'ok'],
    ];
    // Every other read is granted: each one's own action is what it needs.
    const granted = reads.filter((_, i) => i % 2 === 0);
    await root.send(
      new PutUserPolicyCommand({
        UserName: u.name,
        PolicyName: 'half-the-configurations',
        PolicyDocument: doc([
          { Effect: 'Allow', Action: granted.map(([action]) => action), Resource: `arn:aws:s3:::${B}` },
        ]),
      }),
    );
    const outcomes = await Promise.all(reads.map(([, read]) => outcome(read(u.s3))));
    expect(outcomes).toEqual(reads.map(([, , answer], i) => (i % 2 === 0 ? answer : 'AccessDenied')));
  });

  it('an explicit Deny beats an Allow from anywhere', async () => {
    const u = await newUser('deny');
    await root.send(
      new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam:::policy/readwrite' }),
    );
    expect(await get(u.s3, 'secret/s.txt')).toBe('ok');
    await root.send(
      new PutUserPolicyCommand({
        UserName: u.name,
        PolicyName: 'NoSecret',
        PolicyDocument: fixture('deny-secret.json'),
      }),
    );
    expect(await get(u.s3, 'secret/s.txt')).toBe('AccessDenied');
    expect(await put(u.s3, 'secret/new.txt')).toBe('AccessDenied');
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    await root.send(new DeleteUserPolicyCommand({ UserName: u.name, PolicyName: 'NoSecret' }));
    expect(await get(u.s3, 'secret/s.txt')).toBe('ok');
  });

  it('a missing key is NoSuchKey only to callers who may list the bucket, AccessDenied to others', async () => {
    const u = await newUser('nolist');
    await root.send(
      new PutUserPolicyCommand({
        UserName: u.name,
        PolicyName: 'ReadPublic',
        PolicyDocument: doc([
          { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/public/*` },
        ]),
      }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    // Without s3:ListBucket, a key that does not exist looks like one the caller may not read.
    expect(await get(u.s3, 'public/missing.txt')).toBe('AccessDenied');
    expect(await headStatus(u.s3, 'public/missing.txt')).toBe(403);
    await root.send(
      new PutUserPolicyCommand({
        UserName: u.name,
        PolicyName: 'List',
        PolicyDocument: doc([{ Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}` }]),
      }),
    );
    expect(await get(u.s3, 'public/missing.txt')).toBe('NoSuchKey');
    expect(await headStatus(u.s3, 'public/missing.txt')).toBe(404);
    expect(await get(rootS3, 'public/missing.txt')).toBe('NoSuchKey');
  });

  it('NotAction / NotResource', async () => {
    const u = await newUser('not');
    await root.send(
      new PutUserPolicyCommand({
        UserName: u.name,
        PolicyName: 'p',
        PolicyDocument: doc([
          {
            Effect: 'Allow',
            NotAction: ['s3:DeleteObject', 's3:PutObject'],
            Resource: `arn:aws:s3:::${B}/*`,
          },
          { Effect: 'Allow', Action: 's3:PutObject', NotResource: `arn:aws:s3:::${B}/secret/*` },
        ]),
      }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    expect(await put(u.s3, 'public/not.txt')).toBe('ok');
    expect(await put(u.s3, 'secret/not.txt')).toBe('AccessDenied');
    expect(await outcome(u.s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'public/not.txt' })))).toBe(
      'AccessDenied',
    );
  });

  it('conditions: aws:SourceIp', async () => {
    const u = await newUser('ip');
    const ipPolicy = (cidr: string) =>
      doc([
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${B}/*`,
          Condition: { IpAddress: { 'aws:SourceIp': cidr } },
        },
      ]);
    await root.send(
      new PutUserPolicyCommand({
        UserName: u.name,
        PolicyName: 'ip',
        PolicyDocument: ipPolicy('10.0.0.0/8'),
      }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('AccessDenied');
    await root.send(
      new PutUserPolicyCommand({
        UserName: u.name,
        PolicyName: 'ip',
        PolicyDocument: ipPolicy('127.0.0.0/8'),
      }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    await root.send(
      new PutUserPolicyCommand({
        UserName: u.name,
        PolicyName: 'deny-local',
        PolicyDocument: doc([
          {
            Effect: 'Deny',
            Action: 's3:*',
            Resource: '*',
            Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
          },
        ]),
      }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('AccessDenied');
  });

  it('conditions: s3:prefix and s3:max-keys on ListBucket', async () => {
    const u = await newUser('pfx');
    await root.send(
      new PutUserPolicyCommand({
        UserName: u.name,
        PolicyName: 'p',
        PolicyDocument: doc([
          {
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: `arn:aws:s3:::${B}`,
            Condition: { StringEquals: { 's3:prefix': ['public/', ''] } },
          },
          {
            Effect: 'Deny',
            Action: 's3:ListBucket',
            Resource: `arn:aws:s3:::${B}`,
            Condition: { NumericGreaterThan: { 's3:max-keys': '100' } },
          },
        ]),
      }),
    );
    expect(await list(u.s3, 'public/')).toBe('ok');
    expect(await list(u.s3, 'secret/')).toBe('AccessDenied');
    expect(
      await outcome(u.s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'public/', MaxKeys: 50 }))),
    ).toBe('ok');
    expect(
      await outcome(u.s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'public/', MaxKeys: 500 }))),
    ).toBe('AccessDenied');
  });

  it('managed policy versions: SetDefaultPolicyVersion switches the rights on the next request', async () => {
    const u = await newUser('ver');
    const getOnly = doc([{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*` }]);
    const putOnly = doc([{ Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${B}/*` }]);
    const arn = (
      await root.send(new CreatePolicyCommand({ PolicyName: uniq('Ver'), PolicyDocument: getOnly }))
    ).Policy!.Arn!;
    await root.send(new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: arn }));
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    expect(await put(u.s3, 'public/ver.txt')).toBe('AccessDenied');
    await root.send(
      new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: putOnly, SetAsDefault: true }),
    );
    expect(await put(u.s3, 'public/ver.txt')).toBe('ok');
    expect(await get(u.s3, 'public/a.txt')).toBe('AccessDenied');
    await root.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
  });
});

describe('groups', () => {
  it('group policies apply, and stop applying on RemoveUserFromGroup at the very next request', async () => {
    const u = await newUser('gm');
    const g = uniq('readers');
    await root.send(new CreateGroupCommand({ GroupName: g }));
    await root.send(
      new AttachGroupPolicyCommand({ GroupName: g, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('AccessDenied');
    await root.send(new AddUserToGroupCommand({ GroupName: g, UserName: u.name }));
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    await root.send(new RemoveUserFromGroupCommand({ GroupName: g, UserName: u.name }));
    expect(await get(u.s3, 'public/a.txt')).toBe('AccessDenied');
  });

  it('inline group policies and DetachGroupPolicy take effect at once', async () => {
    const u = await newUser('gi');
    const g = uniq('writers');
    await root.send(new CreateGroupCommand({ GroupName: g }));
    await root.send(new AddUserToGroupCommand({ GroupName: g, UserName: u.name }));
    await root.send(
      new PutGroupPolicyCommand({
        GroupName: g,
        PolicyName: 'w',
        PolicyDocument: doc([
          { Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${B}/public/*` },
        ]),
      }),
    );
    expect(await put(u.s3, 'public/g.txt')).toBe('ok');
    expect(await put(u.s3, 'secret/g.txt')).toBe('AccessDenied');
    await root.send(
      new AttachGroupPolicyCommand({ GroupName: g, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    expect(await get(u.s3, 'public/g.txt')).toBe('ok');
    await root.send(
      new DetachGroupPolicyCommand({ GroupName: g, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    expect(await get(u.s3, 'public/g.txt')).toBe('AccessDenied');
  });

  it('a disabled group (UpdateGroup Disabled=true, SeaweedFS extension) stops applying', async () => {
    const u = await newUser('gd');
    const g = uniq('dis');
    await root.send(new CreateGroupCommand({ GroupName: g }));
    await root.send(new AddUserToGroupCommand({ GroupName: g, UserName: u.name }));
    await root.send(
      new AttachGroupPolicyCommand({ GroupName: g, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    expect((await rawIam({ Action: 'UpdateGroup', GroupName: g, Disabled: 'true' })).code).toBeUndefined();
    expect(await get(u.s3, 'public/a.txt')).toBe('AccessDenied');
    expect((await rawIam({ Action: 'UpdateGroup', GroupName: g, Disabled: 'false' })).code).toBeUndefined();
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
  });
});

describe('changes take effect on the very next request', () => {
  it('DetachUserPolicy', async () => {
    const u = await newUser('det');
    await root.send(
      new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    await root.send(
      new DetachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('AccessDenied');
  });

  it('SetUserStatus Inactive refuses every key of the user; Active restores it', async () => {
    const u = await newUser('dis');
    await root.send(
      new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    expect(
      (await rawIam({ Action: 'SetUserStatus', UserName: u.name, Status: 'Inactive' })).code,
    ).toBeUndefined();
    expect(await get(u.s3, 'public/a.txt')).toMatch(REFUSED);
    expect(await outcome(u.s3.send(new ListBucketsCommand({})))).toMatch(REFUSED);
    expect(
      (await rawIam({ Action: 'SetUserStatus', UserName: u.name, Status: 'Active' })).code,
    ).toBeUndefined();
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
  });

  it('UpdateAccessKey Inactive / Active, then DeleteAccessKey', async () => {
    const u = await newUser('keyst');
    await root.send(
      new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    const k2 = (await root.send(new CreateAccessKeyCommand({ UserName: u.name }))).AccessKey!;
    const other = s3As({ id: k2.AccessKeyId!, secret: k2.SecretAccessKey! });
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    await root.send(
      new UpdateAccessKeyCommand({ UserName: u.name, AccessKeyId: u.key.id, Status: 'Inactive' }),
    );
    expect(await get(u.s3, 'public/a.txt')).toMatch(REFUSED);
    // Only that key: the user's other key still works.
    expect(await get(other, 'public/a.txt')).toBe('ok');
    await root.send(
      new UpdateAccessKeyCommand({ UserName: u.name, AccessKeyId: u.key.id, Status: 'Active' }),
    );
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    await root.send(new DeleteAccessKeyCommand({ UserName: u.name, AccessKeyId: u.key.id }));
    expect(await get(u.s3, 'public/a.txt')).toBe('InvalidAccessKeyId');
  });

  it('an inactive key is refused on the IAM API too, even for self-service', async () => {
    const u = await newUser('iamkey');
    const self = new IAMClient({
      endpoint: s.endpoint,
      region: 'us-east-1',
      credentials: creds(u.key.id, u.key.secret),
    });
    expect(await outcome(self.send(new CreateAccessKeyCommand({})))).toBe('ok');
    await root.send(
      new UpdateAccessKeyCommand({ UserName: u.name, AccessKeyId: u.key.id, Status: 'Inactive' }),
    );
    expect(await outcome(self.send(new CreateAccessKeyCommand({})))).toMatch(
      /^(AccessDenied|InvalidAccessKeyId|InvalidClientTokenId)$/,
    );
  });
});

describe('IAM condition keys: delegating IAM safely', () => {
  it('iam:PolicyARN, aws:TagKeys, iam:ResourceTag and iam:PermissionsBoundary are there for conditions', async () => {
    const admin = await newUser('deleg');
    const victim = await newUser('victim');
    await root.send(
      new TagUserCommand({ UserName: victim.name, Tags: [{ Key: 'protected', Value: 'yes' }] }),
    );
    const boundary = `arn:aws:iam::${account}:policy/readonly`;
    await root.send(
      new PutUserPolicyCommand({
        UserName: admin.name,
        PolicyName: 'Delegated',
        PolicyDocument: doc([
          {
            Effect: 'Allow',
            Action: ['iam:AttachUserPolicy', 'iam:TagUser', 'iam:PutUserPolicy', 'iam:CreateUser'],
            Resource: '*',
          },
          {
            Effect: 'Deny',
            Action: 'iam:AttachUserPolicy',
            Resource: '*',
            Condition: { ArnEquals: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/IAMFullAccess' } },
          },
          {
            Effect: 'Deny',
            Action: 'iam:TagUser',
            Resource: '*',
            Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['admin'] } },
          },
          {
            Effect: 'Deny',
            Action: 'iam:PutUserPolicy',
            Resource: '*',
            Condition: { StringEquals: { 'iam:ResourceTag/protected': 'yes' } },
          },
          {
            Effect: 'Deny',
            Action: 'iam:CreateUser',
            Resource: '*',
            Condition: { StringNotEquals: { 'iam:PermissionsBoundary': boundary } },
          },
        ]),
      }),
    );
    const as = new IAMClient({
      endpoint: s.endpoint,
      region: 'us-east-1',
      credentials: creds(admin.key.id, admin.key.secret),
    });
    const attempt = (p: Promise<unknown>) => outcome(p);
    // The escalation this closes: attaching IAMFullAccess to oneself.
    expect(
      await attempt(
        as.send(
          new AttachUserPolicyCommand({
            UserName: admin.name,
            PolicyArn: 'arn:aws:iam::aws:policy/IAMFullAccess',
          }),
        ),
      ),
    ).toBe('AccessDenied');
    expect(
      await attempt(
        as.send(
          new AttachUserPolicyCommand({ UserName: victim.name, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
        ),
      ),
    ).toBe('ok');
    expect(
      await attempt(
        as.send(new TagUserCommand({ UserName: admin.name, Tags: [{ Key: 'admin', Value: 'true' }] })),
      ),
    ).toBe('AccessDenied');
    expect(
      await attempt(
        as.send(new TagUserCommand({ UserName: admin.name, Tags: [{ Key: 'team', Value: 'a' }] })),
      ),
    ).toBe('ok');
    const inline = (UserName: string) =>
      as.send(
        new PutUserPolicyCommand({
          UserName,
          PolicyName: 'p',
          PolicyDocument: doc([{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }]),
        }),
      );
    expect(await attempt(inline(victim.name))).toBe('AccessDenied');
    expect(await attempt(inline(admin.name))).toBe('ok');
    expect(await attempt(as.send(new CreateUserCommand({ UserName: uniq('free') })))).toBe('AccessDenied');
    expect(
      await attempt(
        as.send(new CreateUserCommand({ UserName: uniq('bounded'), PermissionsBoundary: boundary })),
      ),
    ).toBe('ok');
  });
});

describe('narrowing: permissions boundaries and service accounts', () => {
  it('a permissions boundary narrows the user’s rights, and removing it restores them', async () => {
    const u = await newUser('pb');
    await root.send(
      new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam:::policy/readwrite' }),
    );
    expect(await put(u.s3, 'public/pb1.txt')).toBe('ok');
    await root.send(
      new PutUserPermissionsBoundaryCommand({
        UserName: u.name,
        PermissionsBoundary: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      }),
    );
    expect(await put(u.s3, 'public/pb2.txt')).toBe('AccessDenied');
    expect(await get(u.s3, 'public/pb1.txt')).toBe('ok');
    await root.send(new DeleteUserPermissionsBoundaryCommand({ UserName: u.name }));
    expect(await put(u.s3, 'public/pb2.txt')).toBe('ok');
    // A boundary alone grants nothing.
    const v = await newUser('pbonly');
    await root.send(
      new PutUserPermissionsBoundaryCommand({
        UserName: v.name,
        PermissionsBoundary: 'arn:aws:iam::aws:policy/AmazonS3FullAccess',
      }),
    );
    expect(await get(v.s3, 'public/a.txt')).toBe('AccessDenied');
    // Self-service (own keys without a grant) stays within the boundary: an S3-only boundary does
    // not let the user mint keys; without a boundary it may.
    const self = new IAMClient({
      endpoint: s.endpoint,
      region: 'us-east-1',
      credentials: creds(v.key.id, v.key.secret),
    });
    expect(await outcome(self.send(new CreateAccessKeyCommand({})))).toBe('AccessDenied');
    await root.send(new DeleteUserPermissionsBoundaryCommand({ UserName: v.name }));
    expect(await outcome(self.send(new CreateAccessKeyCommand({})))).toBe('ok');
  });

  it('a service account gets its parent’s rights, narrowed by its own policy (parent ∩ policy)', async () => {
    const parent = await newUser('saparent');
    await root.send(
      new AttachUserPolicyCommand({ UserName: parent.name, PolicyArn: 'arn:aws:iam:::policy/readwrite' }),
    );
    const full = await rawIam({ Action: 'CreateServiceAccount', ParentUser: parent.name });
    expect(full.code).toBeUndefined();
    const fullSa = full.body.ServiceAccount as Record<string, string>;
    const fullS3 = s3As({ id: fullSa.AccessKeyId!, secret: fullSa.SecretAccessKey! });
    expect(await put(fullS3, 'public/sa-full.txt')).toBe('ok');

    const policy = doc([
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/public/*`],
      },
    ]);
    const r = await rawIam({ Action: 'CreateServiceAccount', ParentUser: parent.name, Policy: policy });
    expect(r.code).toBeUndefined();
    const sa = r.body.ServiceAccount as Record<string, string>;
    const saS3 = s3As({ id: sa.AccessKeyId!, secret: sa.SecretAccessKey! });
    expect(await get(saS3, 'public/a.txt')).toBe('ok');
    expect(await get(saS3, 'secret/s.txt')).toBe('AccessDenied');
    expect(await put(saS3, 'public/sa.txt')).toBe('AccessDenied');

    // The policy cannot widen: parent loses write → a PutObject-allowing service account cannot write either.
    const ro = await newUser('saro');
    await root.send(
      new AttachUserPolicyCommand({ UserName: ro.name, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    const wide = await rawIam({
      Action: 'CreateServiceAccount',
      ParentUser: ro.name,
      Policy: doc([{ Effect: 'Allow', Action: 's3:*', Resource: '*' }]),
    });
    const wideSa = wide.body.ServiceAccount as Record<string, string>;
    const wideS3 = s3As({ id: wideSa.AccessKeyId!, secret: wideSa.SecretAccessKey! });
    expect(await get(wideS3, 'public/a.txt')).toBe('ok');
    expect(await put(wideS3, 'public/wide.txt')).toBe('AccessDenied');

    // Status of the service account, and of its parent, apply at once.
    expect(
      (
        await rawIam({
          Action: 'UpdateServiceAccount',
          ServiceAccountId: sa.ServiceAccountId!,
          Status: 'Inactive',
        })
      ).code,
    ).toBeUndefined();
    expect(await get(saS3, 'public/a.txt')).toMatch(REFUSED);
    expect(
      (
        await rawIam({
          Action: 'UpdateServiceAccount',
          ServiceAccountId: sa.ServiceAccountId!,
          Status: 'Active',
        })
      ).code,
    ).toBeUndefined();
    expect(await get(saS3, 'public/a.txt')).toBe('ok');
    expect(
      (await rawIam({ Action: 'SetUserStatus', UserName: parent.name, Status: 'Inactive' })).code,
    ).toBeUndefined();
    expect(await get(saS3, 'public/a.txt')).toMatch(REFUSED);
    expect(await get(fullS3, 'public/a.txt')).toMatch(REFUSED);
    expect(
      (await rawIam({ Action: 'SetUserStatus', UserName: parent.name, Status: 'Active' })).code,
    ).toBeUndefined();
    expect(
      (await rawIam({ Action: 'DeleteServiceAccount', ServiceAccountId: sa.ServiceAccountId! })).code,
    ).toBeUndefined();
    expect(await get(saS3, 'public/a.txt')).toBe('InvalidAccessKeyId');
  });

  it('an expired service account is refused', async () => {
    const parent = await newUser('saexp');
    await root.send(
      new AttachUserPolicyCommand({ UserName: parent.name, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    const expiration = String(Math.floor(Date.now() / 1000) + 3);
    const r = await rawIam({
      Action: 'CreateServiceAccount',
      ParentUser: parent.name,
      Expiration: expiration,
    });
    expect(r.code).toBeUndefined();
    const sa = r.body.ServiceAccount as Record<string, string>;
    const saS3 = s3As({ id: sa.AccessKeyId!, secret: sa.SecretAccessKey! });
    expect(await get(saS3, 'public/a.txt')).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect(await get(saS3, 'public/a.txt')).toMatch(REFUSED);
    expect(await get(parent.s3, 'public/a.txt')).toBe('ok');
  });

  it('S3 rights do not reach the IAM API: readwrite cannot administer users', async () => {
    const u = await newUser('s3only');
    await root.send(
      new AttachUserPolicyCommand({ UserName: u.name, PolicyArn: 'arn:aws:iam:::policy/readwrite' }),
    );
    const c = new IAMClient({
      endpoint: s.endpoint,
      region: 'us-east-1',
      credentials: creds(u.key.id, u.key.secret),
    });
    expect(await outcome(c.send(new CreateUserCommand({ UserName: uniq('x') })))).toBe('AccessDenied');
    expect(
      await outcome(
        c.send(
          new AttachUserPolicyCommand({
            UserName: u.name,
            PolicyArn: 'arn:aws:iam::aws:policy/IAMFullAccess',
          }),
        ),
      ),
    ).toBe('AccessDenied');
  });
});

describe('roles (Reader, Writer, SuperUser) via the SetUserRole extension', () => {
  it('a role is a built-in policy: Reader reads, Writer writes, SuperUser administers, None revokes', async () => {
    const u = await newUser('role');
    const iamAs = new IAMClient({
      endpoint: s.endpoint,
      region: 'us-east-1',
      credentials: creds(u.key.id, u.key.secret),
    });
    const bucket = uniq('rolebkt');
    expect(await get(u.s3, 'public/a.txt')).toBe('AccessDenied');

    expect((await rawIam({ Action: 'SetUserRole', UserName: u.name, Role: 'Reader' })).code).toBeUndefined();
    expect(await get(u.s3, 'public/a.txt')).toBe('ok');
    expect(await list(u.s3)).toBe('ok');
    expect(await put(u.s3, 'role/x.txt')).toBe('AccessDenied');
    expect(await outcome(u.s3.send(new CreateBucketCommand({ Bucket: bucket })))).toBe('AccessDenied');

    expect((await rawIam({ Action: 'SetUserRole', UserName: u.name, Role: 'Writer' })).code).toBeUndefined();
    expect(await put(u.s3, 'role/x.txt')).toBe('ok');
    expect(await outcome(u.s3.send(new CreateBucketCommand({ Bucket: bucket })))).toBe('ok');
    expect(await outcome(u.s3.send(new DeleteBucketCommand({ Bucket: bucket })))).toBe('ok');
    expect(await outcome(iamAs.send(new ListUsersCommand({})))).toBe('AccessDenied');

    expect(
      (await rawIam({ Action: 'SetUserRole', UserName: u.name, Role: 'SuperUser' })).code,
    ).toBeUndefined();
    expect(await outcome(iamAs.send(new ListUsersCommand({})))).toBe('ok');

    expect((await rawIam({ Action: 'SetUserRole', UserName: u.name, Role: 'None' })).code).toBeUndefined();
    expect(await get(u.s3, 'public/a.txt')).toBe('AccessDenied');
    expect((await rawIam({ Action: 'SetUserRole', UserName: u.name, Role: 'Admin' })).code).toBe(
      'ValidationError',
    );
  });
});
