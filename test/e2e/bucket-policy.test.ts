// Bucket policies end to end against the real server with the AWS SDK: Put/Get/DeleteBucketPolicy,
// MalformedPolicy refusals, anonymous public read over a plain URL, a Deny beating identity Allows,
// a policy granting a user of the account with no identity policy, conditions, and root's way out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startServer, type RunningServer } from '../helpers/server.js';

let s: RunningServer;
let iam: IAMClient;
let rootS3: S3Client;
let account = '';
const B = `bp-${Date.now().toString(36)}`;

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
}
const s3As = (c: Creds) =>
  new S3Client({ endpoint: s.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: c });

/** 'ok', or the S3 error code of the refusal. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    const err = e as { Code?: string; name?: string };
    return err.Code ?? err.name ?? 'unknown error';
  }
}

const doc = (statements: object[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
const putPolicy = (policy: string, c: S3Client = rootS3) =>
  outcome(c.send(new PutBucketPolicyCommand({ Bucket: B, Policy: policy })));
const get = (c: S3Client, key: string) =>
  outcome(c.send(new GetObjectCommand({ Bucket: B, Key: key })).then((r) => r.Body?.transformToString()));
const put = (c: S3Client, key: string) =>
  outcome(c.send(new PutObjectCommand({ Bucket: B, Key: key, Body: 'x' })));
const list = (c: S3Client, prefix?: string) =>
  outcome(
    c.send(new ListObjectsV2Command({ Bucket: B, ...(prefix === undefined ? {} : { Prefix: prefix }) })),
  );
/** An unsigned request for a plain URL, as a browser or curl would make it. */
const anonymous = (key: string) => fetch(`${s.endpoint}/${B}/${key}`);

async function newUser(name: string, identityPolicy?: string): Promise<S3Client> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  if (identityPolicy !== undefined) {
    await iam.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: identityPolicy }),
    );
  }
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return s3As({ accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! });
}

beforeAll(async () => {
  s = await startServer();
  const rootCreds = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
  iam = new IAMClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: rootCreds });
  rootS3 = s3As(rootCreds);
  await rootS3.send(new CreateBucketCommand({ Bucket: B }));
  for (const key of ['public/a.txt', 'private/b.txt', 'secret/c.txt']) {
    await rootS3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: `body of ${key}` }));
  }
  // The default tenant's account id (src/main.ts DEFAULT_ACCOUNT_ID).
  account = '000000000000';
});
afterAll(async () => {
  await s?.stop();
});

describe('PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy', () => {
  it('round-trips the document; NoSuchBucketPolicy before and after', async () => {
    expect(await outcome(rootS3.send(new GetBucketPolicyCommand({ Bucket: B })))).toBe('NoSuchBucketPolicy');
    const policy = doc([
      {
        Sid: 'Read',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${B}/public/*`,
      },
    ]);
    expect(await putPolicy(policy)).toBe('ok');
    const got = await rootS3.send(new GetBucketPolicyCommand({ Bucket: B }));
    expect(JSON.parse(got.Policy ?? '')).toEqual(JSON.parse(policy));
    const del = await rootS3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect(await outcome(rootS3.send(new GetBucketPolicyCommand({ Bucket: B })))).toBe('NoSuchBucketPolicy');
    // Deleting again is fine (S3 answers 204 either way).
    expect(await outcome(rootS3.send(new DeleteBucketPolicyCommand({ Bucket: B })))).toBe('ok');
  });

  it.each([
    ['not JSON', '{"Version": "2012-10-17", "Statement": ['],
    ['"*" as resource', doc([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }])],
    [
      'another bucket',
      doc([
        { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::elsewhere/*' },
      ]),
    ],
    ['no Principal', doc([{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*` }])],
    [
      'an unknown action',
      doc([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObjectt', Resource: `arn:aws:s3:::${B}/*` }]),
    ],
  ])('refuses a policy with %s: MalformedPolicy 400', async (_, policy) => {
    try {
      await rootS3.send(new PutBucketPolicyCommand({ Bucket: B, Policy: policy }));
      expect.unreachable('accepted');
    } catch (e) {
      const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['MalformedPolicy', 400]);
      expect(err.message).not.toBe('');
    }
    expect(await outcome(rootS3.send(new GetBucketPolicyCommand({ Bucket: B })))).toBe('NoSuchBucketPolicy');
  });

  it('names the invalid resource as S3 does', async () => {
    try {
      await rootS3.send(
        new PutBucketPolicyCommand({
          Bucket: B,
          Policy: doc([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }]),
        }),
      );
      expect.unreachable('accepted');
    } catch (e) {
      expect((e as Error).message).toBe('Policy has invalid resource');
    }
  });

  it('is refused to a user without s3:PutBucketPolicy', async () => {
    const reader = await newUser(
      'bp-reader',
      doc([{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }]),
    );
    const policy = doc([
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*` },
    ]);
    expect(await putPolicy(policy, reader)).toBe('AccessDenied');
  });
});

describe('decisions with a bucket policy', () => {
  it('public read: anonymous GET of a plain URL works where the policy says, nowhere else', async () => {
    expect((await anonymous('public/a.txt')).status).toBe(403);
    await putPolicy(
      doc([
        {
          Sid: 'PublicRead',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${B}/public/*`,
        },
      ]),
    );
    const ok = await anonymous('public/a.txt');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('body of public/a.txt');
    // response-* overrides need a signed request (else anyone could serve the object as HTML), on
    // GET and HEAD alike; a signed caller may use them on both.
    const html = await anonymous('public/a.txt?response-content-type=text%2Fhtml');
    expect([html.status, await html.text()]).toEqual([
      400,
      expect.stringContaining('<Code>InvalidRequest</Code>'),
    ]);
    const headHtml = await fetch(`${s.endpoint}/${B}/public/a.txt?response-content-type=text%2Fhtml`, {
      method: 'HEAD',
    });
    expect(headHtml.status).toBe(400);
    const signed = await rootS3.send(
      new HeadObjectCommand({ Bucket: B, Key: 'public/a.txt', ResponseContentType: 'text/html' }),
    );
    expect(signed.ContentType).toBe('text/html');
    // Anyone may read public/*, but not list: a key that is not there is AccessDenied, not NoSuchKey.
    const missing = await anonymous('public/missing.txt');
    expect([missing.status, await missing.text()]).toEqual([
      403,
      expect.stringContaining('<Code>AccessDenied</Code>'),
    ]);
    const priv = await anonymous('private/b.txt');
    expect(priv.status).toBe(403);
    expect(await priv.text()).toContain('<Code>AccessDenied</Code>');
    // Listing and writing are not granted to anyone.
    expect((await fetch(`${s.endpoint}/${B}`)).status).toBe(403);
    expect((await fetch(`${s.endpoint}/${B}/public/new.txt`, { method: 'PUT', body: 'x' })).status).toBe(403);
    // Removing the policy closes the bucket on the next request.
    await rootS3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    expect((await anonymous('public/a.txt')).status).toBe(403);
  });

  it('an explicit Deny in the bucket policy beats a user’s identity Allow', async () => {
    const alice = await newUser('bp-alice', doc([{ Effect: 'Allow', Action: 's3:*', Resource: '*' }]));
    expect(await get(alice, 'secret/c.txt')).toBe('ok');
    await putPolicy(
      doc([
        {
          Sid: 'NoSecrets',
          Effect: 'Deny',
          Principal: { AWS: `arn:aws:iam::${account}:user/bp-alice` },
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${B}/secret/*`,
        },
      ]),
    );
    expect(await get(alice, 'secret/c.txt')).toBe('AccessDenied');
    expect(await get(alice, 'private/b.txt')).toBe('ok');
    expect(await put(alice, 'secret/new.txt')).toBe('ok');
    await rootS3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    expect(await get(alice, 'secret/c.txt')).toBe('ok');
  });

  it('a policy naming a user of the account grants it without any identity policy', async () => {
    const nopol = await newUser('bp-nopol');
    expect(await get(nopol, 'private/b.txt')).toBe('AccessDenied');
    await putPolicy(
      doc([
        {
          Sid: 'NoPol',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:user/bp-nopol` },
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${B}/*`,
        },
      ]),
    );
    expect(await get(nopol, 'private/b.txt')).toBe('ok');
    expect(await put(nopol, 'private/b.txt')).toBe('AccessDenied');
    expect(await list(nopol)).toBe('AccessDenied');
    await rootS3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    expect(await get(nopol, 'private/b.txt')).toBe('AccessDenied');
  });

  it('conditions: s3:prefix on ListBucket, aws:SourceIp on GetObject', async () => {
    const lister = await newUser('bp-lister');
    await putPolicy(
      doc([
        {
          Sid: 'ListPublicOnly',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:user/bp-lister` },
          Action: 's3:ListBucket',
          Resource: `arn:aws:s3:::${B}`,
          Condition: { StringEquals: { 's3:prefix': 'public/' } },
        },
        {
          Sid: 'FromTheLan',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${B}/public/*`,
          Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
        },
        {
          Sid: 'FromHere',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${B}/private/*`,
          Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } },
        },
      ]),
    );
    expect(await list(lister, 'public/')).toBe('ok');
    expect(await list(lister, 'private/')).toBe('AccessDenied');
    expect(await list(lister)).toBe('AccessDenied');
    // The test talks to 127.0.0.1: outside 10/8, inside 127/8.
    expect((await anonymous('public/a.txt')).status).toBe(403);
    expect((await anonymous('private/b.txt')).status).toBe(200);
    await rootS3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
  });

  it('a Deny applies to the account root too, which can still manage the policy', async () => {
    await putPolicy(
      doc([
        {
          Sid: 'LockOut',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`],
        },
      ]),
    );
    expect(await get(rootS3, 'public/a.txt')).toBe('AccessDenied');
    expect(await list(rootS3)).toBe('AccessDenied');
    expect(await outcome(rootS3.send(new GetBucketPolicyCommand({ Bucket: B })))).toBe('ok');
    expect(await outcome(rootS3.send(new DeleteBucketPolicyCommand({ Bucket: B })))).toBe('ok');
    expect(await get(rootS3, 'public/a.txt')).toBe('ok');
  });

  it('only identities of the owner’s account read or change the bucket policy, whatever it grants', async () => {
    const wideOpen = doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`],
      },
    ]);
    await putPolicy(wideOpen);
    const takeover = doc([
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/x` },
    ]);
    const url = `${s.endpoint}/${B}?policy`;
    expect((await fetch(url, { method: 'PUT', body: takeover })).status).toBe(403);
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(403);
    // What the policy grants to anyone still holds, and the policy is the owner's as it was.
    expect((await anonymous('public/a.txt')).status).toBe(200);
    expect((await rootS3.send(new GetBucketPolicyCommand({ Bucket: B }))).Policy).toBe(wideOpen);
    await rootS3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
  });

  it('s3:signatureAge caps how old a signature (a presigned URL) may be', async () => {
    await putPolicy(
      doc([
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${B}/*`,
          Condition: { NumericGreaterThan: { 's3:signatureAge': '600000' } },
        },
      ]),
    );
    const presign = (signingDate: Date) =>
      getSignedUrl(rootS3, new GetObjectCommand({ Bucket: B, Key: 'public/a.txt' }), {
        expiresIn: 3600,
        signingDate,
      });
    expect((await fetch(await presign(new Date()))).status).toBe(200);
    expect((await fetch(await presign(new Date(Date.now() - 11 * 60_000)))).status).toBe(403);
    await rootS3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    expect((await fetch(await presign(new Date(Date.now() - 11 * 60_000)))).status).toBe(200);
  });
});
