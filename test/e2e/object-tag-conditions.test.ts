// s3:ExistingObjectTag/<key> in policies: the object's current tags are part of the condition
// context of object reads and tagging calls, and a tag change applies to the very next request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketPolicyCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutObjectCommand,
  PutBucketPolicyCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { startServer, type RunningServer } from '../helpers/server.js';

let s: RunningServer;
let root: S3Client;
let user: S3Client;
const B = 'tagged-objects';

const outcome = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return (e as { name?: string }).name ?? 'error';
  }
};

beforeAll(async () => {
  s = await startServer();
  const cfg = { endpoint: s.endpoint, region: 'us-east-1' };
  const rootCreds = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
  root = new S3Client({ ...cfg, forcePathStyle: true, credentials: rootCreds });
  const iam = new IAMClient({ ...cfg, credentials: rootCreds });
  await iam.send(new CreateUserCommand({ UserName: 'tagreader' }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'tagreader' }))).AccessKey!;
  const policy = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'public-tagged-only',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:GetObjectTagging'],
            Resource: `arn:aws:s3:::${B}/*`,
            Condition: { StringEquals: { 's3:ExistingObjectTag/classification': 'public' } },
          },
        ],
      }),
    }),
  );
  await iam.send(new AttachUserPolicyCommand({ UserName: 'tagreader', PolicyArn: policy.Policy!.Arn! }));
  user = new S3Client({
    ...cfg,
    forcePathStyle: true,
    credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! },
  });
  await root.send(new CreateBucketCommand({ Bucket: B }));
  await root.send(
    new PutObjectCommand({ Bucket: B, Key: 'open.txt', Body: 'a', Tagging: 'classification=public' }),
  );
  await root.send(
    new PutObjectCommand({ Bucket: B, Key: 'closed.txt', Body: 'b', Tagging: 'classification=secret' }),
  );
  await root.send(new PutObjectCommand({ Bucket: B, Key: 'untagged.txt', Body: 'c' }));
});

afterAll(async () => {
  await s.stop();
});

describe('s3:ExistingObjectTag', () => {
  it('allows reads of objects carrying the tag and denies the others', async () => {
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: B, Key: 'open.txt' })))).toBe('ok');
    expect(await outcome(user.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'open.txt' })))).toBe('ok');
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: B, Key: 'closed.txt' })))).toBe(
      'AccessDenied',
    );
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: B, Key: 'untagged.txt' })))).toBe(
      'AccessDenied',
    );
  });

  it('a tag change applies to the very next request', async () => {
    await root.send(
      new PutObjectTaggingCommand({
        Bucket: B,
        Key: 'closed.txt',
        Tagging: { TagSet: [{ Key: 'classification', Value: 'public' }] },
      }),
    );
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: B, Key: 'closed.txt' })))).toBe('ok');
    await root.send(
      new PutObjectTaggingCommand({
        Bucket: B,
        Key: 'open.txt',
        Tagging: { TagSet: [{ Key: 'classification', Value: 'internal' }] },
      }),
    );
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: B, Key: 'open.txt' })))).toBe(
      'AccessDenied',
    );
  });
});

describe('tags that policies rely on cannot be bypassed', () => {
  let writer: S3Client;
  beforeAll(async () => {
    const cfg = { endpoint: s.endpoint, region: 'us-east-1' };
    const iam = new IAMClient({
      ...cfg,
      credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    });
    await iam.send(new CreateUserCommand({ UserName: 'tagwriter' }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'tagwriter' }))).AccessKey!;
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'tagwriter',
        PolicyName: 'rw-but-not-secrets',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `arn:aws:s3:::${B}/*` },
            {
              Effect: 'Deny',
              Action: 's3:GetObject',
              Resource: `arn:aws:s3:::${B}/*`,
              Condition: { StringEquals: { 's3:ExistingObjectTag/classification': 'secret' } },
            },
            { Effect: 'Deny', Action: 's3:PutObjectTagging', Resource: `arn:aws:s3:::${B}/*` },
          ],
        }),
      }),
    );
    writer = new S3Client({
      ...cfg,
      forcePathStyle: true,
      credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! },
    });
    await root.send(
      new PutObjectCommand({ Bucket: B, Key: 'vault.txt', Body: 'SECRET', Tagging: 'classification=secret' }),
    );
  });

  it('a copy reads its source under the source’s tags (CopyObject and UploadPartCopy)', async () => {
    expect(await outcome(writer.send(new GetObjectCommand({ Bucket: B, Key: 'vault.txt' })))).toBe(
      'AccessDenied',
    );
    expect(
      await outcome(
        writer.send(
          new CopyObjectCommand({
            Bucket: B,
            Key: 'leak.txt',
            CopySource: `${B}/vault.txt`,
            TaggingDirective: 'REPLACE',
          }),
        ),
      ),
    ).toBe('AccessDenied');
    const upload = await writer.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'leak2.txt' }));
    expect(
      await outcome(
        writer.send(
          new UploadPartCopyCommand({
            Bucket: B,
            Key: 'leak2.txt',
            UploadId: upload.UploadId,
            PartNumber: 1,
            CopySource: `${B}/vault.txt`,
          }),
        ),
      ),
    ).toBe('AccessDenied');
    // An untagged source copies as before.
    expect(
      await outcome(
        writer.send(new CopyObjectCommand({ Bucket: B, Key: 'copy.txt', CopySource: `${B}/untagged.txt` })),
      ),
    ).toBe('ok');
  });

  it('tags given with a write need s3:PutObjectTagging too', async () => {
    expect(
      await outcome(
        writer.send(
          new PutObjectCommand({ Bucket: B, Key: 'vault.txt', Body: 'x', Tagging: 'classification=public' }),
        ),
      ),
    ).toBe('AccessDenied');
    expect(
      await outcome(
        writer.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mp.txt', Tagging: 'a=b' })),
      ),
    ).toBe('AccessDenied');
    expect(await outcome(writer.send(new PutObjectCommand({ Bucket: B, Key: 'plain.txt', Body: 'x' })))).toBe(
      'ok',
    );
    // The secret object kept its tags, so the Deny still holds.
    expect(await outcome(writer.send(new GetObjectCommand({ Bucket: B, Key: 'vault.txt' })))).toBe(
      'AccessDenied',
    );
  });

  it('a tag-conditioned Deny in the bucket policy applies to the account root too', async () => {
    await root.send(
      new PutBucketPolicyCommand({
        Bucket: B,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:GetObject',
              Resource: `arn:aws:s3:::${B}/*`,
              Condition: { StringEquals: { 's3:ExistingObjectTag/classification': 'secret' } },
            },
          ],
        }),
      }),
    );
    expect(await outcome(root.send(new GetObjectCommand({ Bucket: B, Key: 'vault.txt' })))).toBe(
      'AccessDenied',
    );
    expect(await outcome(root.send(new GetObjectCommand({ Bucket: B, Key: 'untagged.txt' })))).toBe('ok');
    await root.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    expect(await outcome(root.send(new GetObjectCommand({ Bucket: B, Key: 'vault.txt' })))).toBe('ok');
  });
});
