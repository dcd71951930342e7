// s3:ExistingObjectTag/<key> in policies: the object's current tags are part of the condition
// context of object reads and tagging calls, and a tag change applies to the very next request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
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
