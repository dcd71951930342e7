// In-process integration test of the S3 surface: a node:http server around createS3Surface with the
// real SQLite index and file blob store, driven by @aws-sdk/client-s3 (default checksum behaviour,
// path style) and by raw HTTP for hostile requests, authenticated by the real SigV4 verifier (so the
// aws-chunked trailer checksum path is exercised); unsigned raw requests are anonymous.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  DeleteObjectsCommand,
  GetBucketAclCommand,
  GetBucketCorsCommand,
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectAclCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  DeletePublicAccessBlockCommand,
  GetBucketAccelerateConfigurationCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketRequestPaymentCommand,
  GetBucketWebsiteCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootOnlyAuthorizer } from '../../auth/authorize.js';
import { createRequestContext, type RequestContext } from '../../kernel/request-context.js';
import { openSqliteMeta } from '../../meta/sqlite/store.js';
import type { MetaStore } from '../../meta/ports.js';
import { indexDbPath, openFsBlobStore } from '../../storage/fs/store.js';
import { authenticateAsRoot, TEST_ROOT_CREDENTIALS, testConfig } from './surface-fixture.js';
import { createS3Surface, type CompletionEvent } from './surface.js';
import type { LogEvent } from './types.js';

let dir: string;
let meta: MetaStore;
let server: http.Server;
let endpoint: string;
let s3: S3Client;
const logged: LogEvent[] = [];
const completed: CompletionEvent[] = [];

const contextOf = (req: http.IncomingMessage, res: http.ServerResponse, n: number): RequestContext =>
  createRequestContext(req, res, `REQ${n}`);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-s3-'));
  const blobs = openFsBlobStore({ dataDir: dir });
  meta = openSqliteMeta({ path: indexDbPath(dir) });
  const surface = createS3Surface({
    config: testConfig(dir),
    meta,
    blobs,
    authenticate: authenticateAsRoot,
    authorize: rootOnlyAuthorizer,
    log: (e) => logged.push(e),
    onComplete: (e) => completed.push(e),
  });
  let n = 0;
  server = http.createServer((req, res) => void surface(contextOf(req, res, ++n)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: TEST_ROOT_CREDENTIALS,
  });
});

afterAll(async () => {
  s3?.destroy();
  await new Promise<void>((r) => server?.close(() => r()));
  await meta?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sdkError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return { name: e.name, status: e.$metadata.httpStatusCode };
    throw e;
  }
  throw new Error('expected an error');
}

/** A node-crypto hash in the shape @smithy/signature-v4 expects (HMAC when given a secret). */
class NodeSha256 {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.h.digest());
  }
}
const signer = new SignatureV4({
  service: 's3',
  region: 'us-east-1',
  credentials: TEST_ROOT_CREDENTIALS,
  sha256: NodeSha256,
  uriEscapePath: false,
});

/** Raw HTTP, SigV4-signed as root with UNSIGNED-PAYLOAD unless `anonymous` (then no credentials at all). */
async function raw(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Buffer; anonymous?: boolean } = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  let headers = init.headers ?? {};
  if (!init.anonymous) {
    const url = new URL(endpoint + path);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const signed = await signer.sign({
      method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers },
    });
    headers = signed.headers;
  }
  const res = await fetch(endpoint + path, { method, headers, body: init.body ?? null });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const md5b64 = (b: Buffer | string): string => createHash('md5').update(b).digest('base64');

describe('buckets', () => {
  it('creates, lists, heads and locates buckets', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'alpha' }));
    const again = await sdkError(s3.send(new CreateBucketCommand({ Bucket: 'alpha' })));
    expect(again).toEqual({ name: 'BucketAlreadyOwnedByYou', status: 409 });
    expect((await sdkError(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).name).toBe(
      'InvalidBucketName',
    );
    const wrongRegion = await sdkError(
      s3.send(
        new CreateBucketCommand({
          Bucket: 'beta',
          CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
        }),
      ),
    );
    expect(wrongRegion.name).toBe('InvalidLocationConstraint');
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(['alpha']);
    const head = await s3.send(new HeadBucketCommand({ Bucket: 'alpha' }));
    expect(head.BucketRegion).toBe('us-east-1');
    expect(await sdkError(s3.send(new HeadBucketCommand({ Bucket: 'nope' })))).toEqual({
      name: 'NotFound',
      status: 404,
    });
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: 'alpha' }));
    expect(loc.LocationConstraint ?? '').toBe('');
    const ver = await s3.send(new GetBucketVersioningCommand({ Bucket: 'alpha' }));
    expect(ver.Status).toBeUndefined();
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: 'alpha' }));
    expect(acl.Grants?.[0]?.Permission).toBe('FULL_CONTROL');
    expect(
      (
        await sdkError(
          s3.send(
            new PutBucketVersioningCommand({
              Bucket: 'alpha',
              VersioningConfiguration: { Status: 'Enabled' },
            }),
          ),
        )
      ).name,
    ).toBe('NotImplemented');
  });

  it('tags buckets', async () => {
    expect((await sdkError(s3.send(new GetBucketTaggingCommand({ Bucket: 'alpha' })))).name).toBe(
      'NoSuchTagSet',
    );
    await s3.send(
      new PutBucketTaggingCommand({ Bucket: 'alpha', Tagging: { TagSet: [{ Key: 'team', Value: 'a&b' }] } }),
    );
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: 'alpha' }))).TagSet).toEqual([
      { Key: 'team', Value: 'a&b' },
    ]);
    await s3.send(new DeleteBucketTaggingCommand({ Bucket: 'alpha' }));
    expect((await sdkError(s3.send(new GetBucketTaggingCommand({ Bucket: 'alpha' })))).name).toBe(
      'NoSuchTagSet',
    );
  });

  it('reads the bucket configurations Coffer has no setting for as S3 reads a bucket without them', async () => {
    const B = { Bucket: 'alpha' };
    // [SDK call, sub-resource, code, message]
    const missing: [() => Promise<unknown>, string, string, string][] = [
      [
        () => s3.send(new GetBucketLifecycleConfigurationCommand(B)),
        'lifecycle',
        'NoSuchLifecycleConfiguration',
        'The lifecycle configuration does not exist',
      ],
      [
        () => s3.send(new GetBucketEncryptionCommand(B)),
        'encryption',
        'ServerSideEncryptionConfigurationNotFoundError',
        'The server side encryption configuration was not found',
      ],
      [
        () => s3.send(new GetBucketWebsiteCommand(B)),
        'website',
        'NoSuchWebsiteConfiguration',
        'The specified bucket does not have a website configuration',
      ],
      [
        () => s3.send(new GetObjectLockConfigurationCommand(B)),
        'object-lock',
        'ObjectLockConfigurationNotFoundError',
        'Object Lock configuration does not exist for this bucket',
      ],
      [
        () => s3.send(new GetPublicAccessBlockCommand(B)),
        'publicAccessBlock',
        'NoSuchPublicAccessBlockConfiguration',
        'The public access block configuration was not found',
      ],
    ];
    for (const [call, sub, name, message] of missing) {
      expect(await sdkError(call())).toEqual({ name, status: 404 });
      const r = await raw('GET', `/alpha?${sub}`);
      expect([r.status, r.text]).toEqual([
        404,
        expect.stringContaining(
          `<Code>${name}</Code><Message>${message}</Message><BucketName>alpha</BucketName>`,
        ),
      ]);
    }

    const ownership = await s3.send(new GetBucketOwnershipControlsCommand(B));
    expect(ownership.OwnershipControls?.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect((await s3.send(new GetBucketLoggingCommand(B))).LoggingEnabled).toBeUndefined();
    const notification = await s3.send(new GetBucketNotificationConfigurationCommand(B));
    expect([notification.TopicConfigurations, notification.QueueConfigurations]).toEqual([
      undefined,
      undefined,
    ]);
    expect((await s3.send(new GetBucketAccelerateConfigurationCommand(B))).Status).toBeUndefined();
    expect((await s3.send(new GetBucketRequestPaymentCommand(B))).Payer).toBe('BucketOwner');
    const ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
    const bodies = await Promise.all(
      ['ownershipControls', 'logging', 'notification', 'accelerate', 'requestPayment'].map(async (sub) => {
        const r = await raw('GET', `/alpha?${sub}`);
        return [r.status, r.headers.get('content-type'), r.text];
      }),
    );
    const xml = (body: string) => [200, 'application/xml', `<?xml version="1.0" encoding="UTF-8"?>\n${body}`];
    expect(bodies).toEqual([
      xml(
        `<OwnershipControls ${ns}><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`,
      ),
      xml(`<BucketLoggingStatus ${ns}/>`),
      xml(`<NotificationConfiguration ${ns}/>`),
      xml(`<AccelerateConfiguration ${ns}/>`),
      xml(`<RequestPaymentConfiguration ${ns}><Payer>BucketOwner</Payer></RequestPaymentConfiguration>`),
    ]);

    // A missing bucket is NoSuchBucket, for the 404 reads and the fixed ones alike.
    const nope = { Bucket: 'nope' };
    expect(await sdkError(s3.send(new GetBucketLifecycleConfigurationCommand(nope)))).toEqual({
      name: 'NoSuchBucket',
      status: 404,
    });
    expect(await sdkError(s3.send(new GetBucketRequestPaymentCommand(nope)))).toEqual({
      name: 'NoSuchBucket',
      status: 404,
    });
    // Authenticated and authorised like any other read: an anonymous caller is refused.
    for (const sub of ['lifecycle', 'ownershipControls', 'logging']) {
      const r = await raw('GET', `/alpha?${sub}`, { anonymous: true });
      expect([sub, r.status, r.text.includes('<Code>AccessDenied</Code>')]).toEqual([sub, 403, true]);
    }
    // The writes are still not implemented.
    expect(
      await sdkError(
        s3.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: 'alpha',
            LifecycleConfiguration: {
              Rules: [{ ID: 'r', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }],
            },
          }),
        ),
      ),
    ).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await sdkError(s3.send(new DeletePublicAccessBlockCommand(B)))).toEqual({
      name: 'NotImplemented',
      status: 501,
    });
  });

  it('stores CORS rules, answers preflight and decorates matching requests', async () => {
    expect((await sdkError(s3.send(new GetBucketCorsCommand({ Bucket: 'alpha' })))).name).toBe(
      'NoSuchCORSConfiguration',
    );
    const pre0 = await raw('OPTIONS', '/alpha/k', {
      headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' },
    });
    expect(pre0.status).toBe(403);
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: 'alpha',
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: ['https://*.example'],
              AllowedMethods: ['GET', 'PUT'],
              AllowedHeaders: ['*'],
              ExposeHeaders: ['ETag'],
              MaxAgeSeconds: 60,
            },
          ],
        },
      }),
    );
    const cors = await s3.send(new GetBucketCorsCommand({ Bucket: 'alpha' }));
    expect(cors.CORSRules?.[0]?.AllowedMethods).toEqual(['GET', 'PUT']);
    const pre = await raw('OPTIONS', '/alpha/k', {
      headers: {
        origin: 'https://a.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://a.example');
    expect(pre.headers.get('access-control-max-age')).toBe('60');
    const denied = await raw('OPTIONS', '/alpha/k', {
      headers: { origin: 'https://evil.org', 'access-control-request-method': 'PUT' },
    });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain('<Code>AccessForbidden</Code>');
    const actual = await raw('GET', '/alpha?list-type=2', { headers: { origin: 'https://b.example' } });
    expect(actual.status).toBe(200);
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://b.example');
    expect(actual.headers.get('access-control-expose-headers')).toBe('ETag');
    await s3.send(new DeleteBucketCorsCommand({ Bucket: 'alpha' }));
    expect((await sdkError(s3.send(new GetBucketCorsCommand({ Bucket: 'alpha' })))).name).toBe(
      'NoSuchCORSConfiguration',
    );
  });
});

describe('objects', () => {
  it('puts and gets with metadata, content headers, tagging and checksums', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'alpha',
        Key: 'docs/hello world.txt',
        Body: Buffer.from('hello world'),
        ContentType: 'text/plain',
        CacheControl: 'max-age=60',
        Metadata: { color: 'blue' },
        Tagging: 'a=1&b=2',
      }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update('hello world').digest('hex')}"`);
    expect(put.ChecksumCRC32).toBeDefined();
    const got = await s3.send(
      new GetObjectCommand({ Bucket: 'alpha', Key: 'docs/hello world.txt', ChecksumMode: 'ENABLED' }),
    );
    expect(await got.Body?.transformToString()).toBe('hello world');
    expect(got.ContentType).toBe('text/plain');
    expect(got.CacheControl).toBe('max-age=60');
    expect(got.Metadata).toEqual({ color: 'blue' });
    expect(got.TagCount).toBe(2);
    expect(got.ContentLength).toBe(11);
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
    expect(got.AcceptRanges).toBe('bytes');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'docs/hello world.txt' }));
    expect(head.ContentLength).toBe(11);
    expect(head.ETag).toBe(put.ETag);
    expect(head.LastModified).toBeInstanceOf(Date);
  });

  it('accepts an aws-chunked streaming body with a trailing checksum', async () => {
    const body = Readable.from([Buffer.from('hello '), Buffer.from('stream')]);
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'streamed', Body: body, ContentLength: 12 }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'streamed' }));
    expect(await got.Body?.transformToString()).toBe('hello stream');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32('hello stream') >>> 0);
    const bad = await raw('PUT', '/alpha/trailer-bad', {
      headers: {
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': '12',
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
      body: 'c\r\nhello stream\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('<Code>BadDigest</Code>');
    expect(
      (await sdkError(s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'trailer-bad' })))).status,
    ).toBe(404);
    const good = await raw('PUT', '/alpha/trailer-good', {
      headers: {
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': '12',
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
      body: `c\r\nhello stream\r\n0\r\nx-amz-checksum-crc32:${crc.toString('base64')}\r\n\r\n`,
    });
    expect(good.status).toBe(200);
    expect(good.headers.get('x-amz-checksum-crc32')).toBe(crc.toString('base64'));
  });

  it('verifies Content-MD5 and checksum headers, leaving nothing behind', async () => {
    const bad = await raw('PUT', '/alpha/md5', {
      headers: { 'content-md5': md5b64('other') },
      body: 'payload',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('<Code>BadDigest</Code>');
    expect(bad.text).toContain('<RequestId>');
    const malformed = await raw('PUT', '/alpha/md5', { headers: { 'content-md5': 'xyz' }, body: 'payload' });
    expect(malformed.text).toContain('<Code>InvalidDigest</Code>');
    const crc = await raw('PUT', '/alpha/md5', {
      headers: { 'x-amz-checksum-crc32': 'AAAAAA==' },
      body: 'payload',
    });
    expect(crc.text).toContain('<Code>BadDigest</Code>');
    const invalid = await raw('PUT', '/alpha/md5', {
      headers: { 'x-amz-checksum-crc32': 'AAAA' },
      body: 'payload',
    });
    expect(invalid.text).toContain('Value for x-amz-checksum-crc32 header is invalid.');
    expect((await sdkError(s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'md5' })))).status).toBe(
      404,
    );
    const ok = await raw('PUT', '/alpha/md5', {
      headers: { 'content-md5': md5b64('payload') },
      body: 'payload',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-amz-request-id')).toMatch(/^REQ/);
  });

  it('refuses oversized metadata and honours If-None-Match: * on PUT', async () => {
    const big = await sdkError(
      s3.send(
        new PutObjectCommand({
          Bucket: 'alpha',
          Key: 'meta',
          Body: 'x',
          Metadata: { big: 'v'.repeat(2100) },
        }),
      ),
    );
    expect(big.name).toBe('MetadataTooLarge');
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    const second = await sdkError(
      s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'once', Body: 'second', IfNoneMatch: '*' })),
    );
    expect(second.status).toBe(412);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'once' }));
    expect(await got.Body?.transformToString()).toBe('first');
  });

  it('serves large objects whole and in ranges, byte for byte, to concurrent readers', async () => {
    // Several chunks of the reader's reused buffers: distinct bytes per position catch any reuse
    // of a buffer before the socket is done with it.
    const body = Buffer.alloc(3 * 1024 * 1024 + 777);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 12)) % 253;
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'large', Body: body }));
    const md5 = (b: Uint8Array | undefined): string =>
      createHash('md5')
        .update(b ?? Buffer.alloc(0))
        .digest('hex');
    const get = async (Range?: string): Promise<string> => {
      const r = await s3.send(
        new GetObjectCommand({ Bucket: 'alpha', Key: 'large', ...(Range ? { Range } : {}) }),
      );
      return md5(await r.Body?.transformToByteArray());
    };
    const got = await Promise.all([get(), get('bytes=300000-2900000'), get(), get('bytes=-1500000'), get()]);
    expect(got).toEqual([
      md5(body),
      md5(body.subarray(300_000, 2_900_001)),
      md5(body),
      md5(body.subarray(body.length - 1_500_000)),
      md5(body),
    ]);
  });

  it('serves ranges, conditionals and response overrides', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'digits', Body: '0123456789' }));
    const get = async (Range: string) => {
      const r = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'digits', Range }));
      return [await r.Body?.transformToString(), r.ContentRange, r.ContentLength];
    };
    expect(await get('bytes=2-4')).toEqual(['234', 'bytes 2-4/10', 3]);
    expect(await get('bytes=7-')).toEqual(['789', 'bytes 7-9/10', 3]);
    expect(await get('bytes=-2')).toEqual(['89', 'bytes 8-9/10', 2]);
    const r416 = await raw('GET', '/alpha/digits', { headers: { range: 'bytes=20-' } });
    expect(r416.status).toBe(416);
    expect(r416.headers.get('content-range')).toBe('bytes */10');
    expect(r416.text).toContain('<Code>InvalidRange</Code>');
    const multi = await raw('GET', '/alpha/digits', { headers: { range: 'bytes=0-1,3-4' } });
    expect([multi.status, multi.text]).toEqual([200, '0123456789']);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'digits' }));
    const etag = head.ETag ?? '';
    const r304 = await raw('GET', '/alpha/digits', { headers: { 'if-none-match': etag } });
    expect([r304.status, r304.text, r304.headers.get('etag')]).toEqual([304, '', etag]);
    const r412 = await raw('GET', '/alpha/digits', { headers: { 'if-match': '"nope"' } });
    expect(r412.status).toBe(412);
    const since = await raw('GET', '/alpha/digits', {
      headers: { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() },
    });
    expect(since.status).toBe(304);
    const h412 = await raw('HEAD', '/alpha/digits', {
      headers: { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' },
    });
    expect([h412.status, h412.text]).toEqual([412, '']);
    const over = await s3.send(
      new GetObjectCommand({
        Bucket: 'alpha',
        Key: 'digits',
        ResponseContentType: 'text/csv',
        ResponseContentDisposition: 'attachment',
      }),
    );
    expect([over.ContentType, over.ContentDisposition]).toEqual(['text/csv', 'attachment']);
    await over.Body?.transformToString();
  });

  it('answers NoSuchKey with a body on GET and without one on HEAD', async () => {
    const g = await raw('GET', '/alpha/missing');
    expect(g.status).toBe(404);
    expect(g.text).toContain('<Code>NoSuchKey</Code>');
    expect(g.text).toContain('<Key>missing</Key>');
    expect(g.text).toContain('<Resource>/alpha/missing</Resource>');
    const h = await raw('HEAD', '/alpha/missing');
    expect([h.status, h.text]).toEqual([404, '']);
    expect(h.headers.get('x-amz-request-id')).toBeTruthy();
    const nb = await raw('GET', '/nobucket/k');
    expect(nb.text).toContain('<Code>NoSuchBucket</Code>');
  });

  it('copies with COPY/REPLACE directives, source conditions, and in-place metadata replace', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'alpha',
        Key: 'src',
        Body: 'copy me',
        ContentType: 'text/x-a',
        Metadata: { m: '1' },
      }),
    );
    const c1 = await s3.send(new CopyObjectCommand({ Bucket: 'alpha', Key: 'dst', CopySource: 'alpha/src' }));
    expect(c1.CopyObjectResult?.ETag).toBe(`"${createHash('md5').update('copy me').digest('hex')}"`);
    const h1 = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'dst' }));
    expect([h1.ContentType, h1.Metadata]).toEqual(['text/x-a', { m: '1' }]);
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'alpha',
        Key: 'dst2',
        CopySource: '/alpha/src',
        MetadataDirective: 'REPLACE',
        ContentType: 'text/x-b',
        Metadata: { n: '2' },
      }),
    );
    const h2 = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'dst2' }));
    expect([h2.ContentType, h2.Metadata]).toEqual(['text/x-b', { n: '2' }]);
    const self = await sdkError(
      s3.send(new CopyObjectCommand({ Bucket: 'alpha', Key: 'src', CopySource: 'alpha/src' })),
    );
    expect(self.name).toBe('InvalidRequest');
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'alpha',
        Key: 'src',
        CopySource: 'alpha/src',
        MetadataDirective: 'REPLACE',
        Metadata: { z: '9' },
      }),
    );
    const h3 = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'src' }));
    expect(h3.Metadata).toEqual({ z: '9' });
    const pre = await sdkError(
      s3.send(
        new CopyObjectCommand({
          Bucket: 'alpha',
          Key: 'dst3',
          CopySource: 'alpha/src',
          CopySourceIfMatch: '"nope"',
        }),
      ),
    );
    expect(pre.status).toBe(412);
    const missing = await sdkError(
      s3.send(new CopyObjectCommand({ Bucket: 'alpha', Key: 'dst3', CopySource: 'alpha/none' })),
    );
    expect(missing.name).toBe('NoSuchKey');
  });

  it('tags objects and reports attributes and the ACL', async () => {
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: 'alpha',
        Key: 'src',
        Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] },
      }),
    );
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'alpha', Key: 'src' }))).TagSet).toEqual([
      { Key: 'k', Value: 'v' },
    ]);
    const tooMany = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(
      (
        await sdkError(
          s3.send(new PutObjectTaggingCommand({ Bucket: 'alpha', Key: 'src', Tagging: { TagSet: tooMany } })),
        )
      ).name,
    ).toBe('InvalidTag');
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: 'alpha', Key: 'src' }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'alpha', Key: 'src' }))).TagSet).toEqual([]);
    const attrs = await s3.send(
      new GetObjectAttributesCommand({
        Bucket: 'alpha',
        Key: 'src',
        ObjectAttributes: ['ETag', 'ObjectSize', 'StorageClass', 'Checksum'],
      }),
    );
    expect([attrs.ObjectSize, attrs.StorageClass, attrs.ETag]).toEqual([
      7,
      'STANDARD',
      createHash('md5').update('copy me').digest('hex'),
    ]);
    const acl = await s3.send(new GetObjectAclCommand({ Bucket: 'alpha', Key: 'src' }));
    expect(acl.Grants?.[0]?.Permission).toBe('FULL_CONTROL');
  });

  it('deletes single objects and batches (quiet mode, per-key errors)', async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: 'alpha', Key: 'never-existed' }));
    for (const k of ['d/1', 'd/2', 'd/3'])
      await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: k, Body: k }));
    const res = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'alpha',
        Delete: { Objects: [{ Key: 'd/1' }, { Key: 'd/2' }, { Key: 'd/x', VersionId: 'v9' }] },
      }),
    );
    expect(res.Deleted?.map((d) => d.Key)).toEqual(['d/1', 'd/2']);
    expect(res.Errors?.map((e) => [e.Key, e.Code])).toEqual([['d/x', 'NoSuchVersion']]);
    const quiet = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'alpha', Delete: { Quiet: true, Objects: [{ Key: 'd/3' }] } }),
    );
    expect(quiet.Deleted ?? []).toEqual([]);
    expect((await sdkError(s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'd/3' })))).status).toBe(
      404,
    );
  });

  it('leaves no temp file behind when a write is refused because a file and a directory clash', async () => {
    const tmpFiles = (): string[] => readdirSync(join(dir, '.coffer', 'tmp'));
    const small = Buffer.from('clash');
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'clash', Body: small }));
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'clashdir/child', Body: small }));
    const refused = (p: Promise<unknown>) =>
      expect(sdkError(p)).resolves.toEqual({ name: 'ObjectNameConflict', status: 409 });
    // A small body, a streamed one (no length given up front), a copy and a multipart completion.
    await refused(s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'clash/under', Body: small })));
    await refused(
      s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'clashdir', Body: Buffer.alloc(256 * 1024, 1) })),
    );
    await refused(
      s3.send(
        new CopyObjectCommand({ Bucket: 'alpha', Key: 'clash/copy', CopySource: 'alpha/clashdir/child' }),
      ),
    );
    // Multipart: CreateMultipartUpload refuses a clash it can see; one that appears while the parts
    // are uploaded is refused at completion.
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'clashlater' }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'clashlater/child', Body: small }));
    const part = await s3.send(
      new UploadPartCommand({ Bucket: 'alpha', Key: 'clashlater', UploadId, PartNumber: 1, Body: small }),
    );
    await refused(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'alpha',
          Key: 'clashlater',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] },
        }),
      ),
    );
    expect(tmpFiles()).toEqual([]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'alpha', Key: 'clashlater', UploadId }));
  });

  it('reports the body bytes of each reply in its completion event', async () => {
    const body = Buffer.alloc(4096, 'b');
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'sized', Body: body }));
    const bytesOf = async (path: string, method = 'GET'): Promise<[number, number | undefined]> => {
      const r = await raw(method, path);
      const id = r.headers.get('x-amz-request-id');
      return [Buffer.byteLength(r.text), completed.find((e) => e.requestId === id)?.bytesOut];
    };
    expect(await bytesOf('/alpha/sized')).toEqual([4096, 4096]);
    expect(await bytesOf('/alpha/sized', 'HEAD')).toEqual([0, 0]);
    const [errorLength, errorBytes] = await bytesOf('/alpha/no-such-key');
    expect(errorLength).toBeGreaterThan(0);
    expect(errorBytes).toBe(errorLength);
    expect(await bytesOf('/alpha/no-such-key', 'HEAD')).toEqual([0, 0]);
    expect(await bytesOf('/alpha/sized', 'DELETE')).toEqual([0, 0]);
  });

  it('notices files changed or removed through POSIX', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'posix.txt', Body: 'short' }));
    writeFileSync(join(dir, 'alpha', 'posix.txt'), 'a longer body');
    utimesSync(join(dir, 'alpha', 'posix.txt'), new Date(), new Date(Date.now() + 5000));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'posix.txt' }));
    expect(got.ContentLength).toBe(13);
    expect(got.ETag).toBe(`"${createHash('md5').update('a longer body').digest('hex')}"`);
    expect(await got.Body?.transformToString()).toBe('a longer body');
    rmSync(join(dir, 'alpha', 'posix.txt'));
    expect((await sdkError(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'posix.txt' })))).name).toBe(
      'NoSuchKey',
    );
    const list = await s3.send(new ListObjectsV2Command({ Bucket: 'alpha', Prefix: 'posix' }));
    expect(list.KeyCount).toBe(0);
  });
});

describe('object record cache', () => {
  // Every read below follows a read that cached the record: each write path must drop it.
  const B = 'cached';
  const head = (Key: string) => s3.send(new HeadObjectCommand({ Bucket: B, Key }));
  const missing = async (Key: string) => (await sdkError(head(Key))).name;

  it('a write through each path is visible on the next read', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'k', Body: 'one', Metadata: { v: '1' } }));
    expect((await head('k')).Metadata).toEqual({ v: '1' });

    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'k', Body: 'two', Metadata: { v: '2' } }));
    expect((await head('k')).Metadata).toEqual({ v: '2' });

    // In-place metadata replace: the file is not touched, only the index row.
    await s3.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'k',
        CopySource: `${B}/k`,
        MetadataDirective: 'REPLACE',
        Metadata: { v: '3' },
      }),
    );
    expect((await head('k')).Metadata).toEqual({ v: '3' });

    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'src', Body: 'copied', Metadata: { v: 'src' } }));
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'k', CopySource: `${B}/src` }));
    const copied = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'k' }));
    expect([copied.Metadata, await copied.Body?.transformToString()]).toEqual([{ v: 'src' }, 'copied']);

    await s3.send(
      new PutObjectTaggingCommand({ Bucket: B, Key: 'k', Tagging: { TagSet: [{ Key: 't', Value: 'v' }] } }),
    );
    expect((await head('k')).TagCount).toBe(1);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: B, Key: 'k' }));
    expect((await head('k')).TagCount).toBeUndefined();

    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'k' }));
    expect(await missing('k')).toBe('NotFound');

    await head('src');
    await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'src' }] } }));
    expect(await missing('src')).toBe('NotFound');

    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'mp', Body: 'small' }));
    expect((await head('mp')).ContentLength).toBe(5);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mp' }));
    const part = await s3.send(
      new UploadPartCommand({ Bucket: B, Key: 'mp', UploadId, PartNumber: 1, Body: 'assembled' }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'mp',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    const mp = await head('mp');
    expect([mp.ContentLength, mp.ETag?.endsWith('-1"')]).toEqual([9, true]);

    // A change through POSIX after the record was cached.
    writeFileSync(join(dir, B, 'mp'), 'rewritten through POSIX');
    const posix = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'mp' }));
    expect(await posix.Body?.transformToString()).toBe('rewritten through POSIX');
    expect(posix.ETag).toBe(`"${createHash('md5').update('rewritten through POSIX').digest('hex')}"`);

    // A deleted and re-created bucket starts with nothing cached.
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'mp' }));
    await s3.send(new DeleteBucketCommand({ Bucket: B }));
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    expect(await missing('mp')).toBe('NotFound');
    await s3.send(new DeleteBucketCommand({ Bucket: B }));
  });
});

describe('multipart', () => {
  const MiB = 1024 * 1024;
  const part1 = Buffer.alloc(5 * MiB, 'a');
  const part2 = Buffer.from('tail');

  it('uploads, lists, completes and serves parts', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: 'alpha',
        Key: 'big',
        ContentType: 'application/x-big',
        Metadata: { p: 'q' },
      }),
    );
    expect(UploadId).toMatch(/^[A-Za-z0-9_-]+$/);
    const p1 = await s3.send(
      new UploadPartCommand({ Bucket: 'alpha', Key: 'big', UploadId, PartNumber: 1, Body: part1 }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({ Bucket: 'alpha', Key: 'big', UploadId, PartNumber: 2, Body: part2 }),
    );
    expect(p1.ETag).toBe(`"${createHash('md5').update(part1).digest('hex')}"`);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'alpha' }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['big', UploadId]]);
    const parts = await s3.send(new ListPartsCommand({ Bucket: 'alpha', Key: 'big', UploadId, MaxParts: 1 }));
    expect([parts.Parts?.length, parts.IsTruncated, parts.NextPartNumberMarker]).toEqual([1, true, '1']);
    const rest = await s3.send(
      new ListPartsCommand({ Bucket: 'alpha', Key: 'big', UploadId, PartNumberMarker: '1' }),
    );
    expect(rest.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[2, 4]]);

    const order = await sdkError(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'alpha',
          Key: 'big',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 2, ETag: p2.ETag },
              { PartNumber: 1, ETag: p1.ETag },
            ],
          },
        }),
      ),
    );
    expect(order.name).toBe('InvalidPartOrder');
    const wrong = await sdkError(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'alpha',
          Key: 'big',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00"' }] },
        }),
      ),
    );
    expect(wrong.name).toBe('InvalidPart');
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'alpha',
        Key: 'big',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    const md5s = Buffer.concat([
      createHash('md5').update(part1).digest(),
      createHash('md5').update(part2).digest(),
    ]);
    expect(done.ETag).toBe(`"${createHash('md5').update(md5s).digest('hex')}-2"`);
    expect(done.Location).toContain('/alpha/big');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'big' }));
    expect([head.ContentLength, head.ContentType, head.Metadata]).toEqual([
      5 * MiB + 4,
      'application/x-big',
      { p: 'q' },
    ]);
    const second = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'big', PartNumber: 2 }));
    expect([await second.Body?.transformToString(), second.PartsCount, second.ContentRange]).toEqual([
      'tail',
      2,
      `bytes ${5 * MiB}-${5 * MiB + 3}/${5 * MiB + 4}`,
    ]);
    const attrs = await s3.send(
      new GetObjectAttributesCommand({ Bucket: 'alpha', Key: 'big', ObjectAttributes: ['ObjectParts'] }),
    );
    expect(attrs.ObjectParts?.TotalPartsCount).toBe(2);
    expect(
      (await sdkError(s3.send(new ListPartsCommand({ Bucket: 'alpha', Key: 'big', UploadId })))).name,
    ).toBe('NoSuchUpload');
  });

  it('builds a composite CRC32 checksum when the upload names an algorithm', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'summed', ChecksumAlgorithm: 'CRC32' }),
    );
    const p1 = await s3.send(
      new UploadPartCommand({
        Bucket: 'alpha',
        Key: 'summed',
        UploadId,
        PartNumber: 1,
        Body: part1,
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({
        Bucket: 'alpha',
        Key: 'summed',
        UploadId,
        PartNumber: 2,
        Body: part2,
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    expect(p1.ChecksumCRC32).toBeDefined();
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'alpha',
        Key: 'summed',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag, ChecksumCRC32: p1.ChecksumCRC32 },
            { PartNumber: 2, ETag: p2.ETag, ChecksumCRC32: p2.ChecksumCRC32 },
          ],
        },
      }),
    );
    const sums = Buffer.concat([
      Buffer.from(p1.ChecksumCRC32 ?? '', 'base64'),
      Buffer.from(p2.ChecksumCRC32 ?? '', 'base64'),
    ]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc32(sums) >>> 0);
    expect(done.ChecksumCRC32).toBe(`${c.toString('base64')}-2`);
    const got = await s3.send(
      new GetObjectCommand({ Bucket: 'alpha', Key: 'summed', ChecksumMode: 'ENABLED' }),
    );
    expect(got.ChecksumCRC32).toBe(`${c.toString('base64')}-2`);
    expect((await got.Body?.transformToByteArray())?.length).toBe(5 * MiB + 4);
    const part = await s3.send(
      new GetObjectCommand({ Bucket: 'alpha', Key: 'summed', PartNumber: 2, ChecksumMode: 'ENABLED' }),
    );
    expect(await part.Body?.transformToString()).toBe('tail');
  });

  it('holds parts to the upload’s checksum algorithm, and Complete to naming each part’s checksum', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'sha-parts', ChecksumAlgorithm: 'SHA256' }),
    );
    const part = (ChecksumAlgorithm: 'CRC32' | 'SHA256') =>
      s3.send(
        new UploadPartCommand({
          Bucket: 'alpha',
          Key: 'sha-parts',
          UploadId,
          PartNumber: 1,
          Body: 'x',
          ChecksumAlgorithm,
        }),
      );
    expect(await sdkError(part('CRC32'))).toEqual({ name: 'InvalidRequest', status: 400 });
    // A client that sends no checksum at all (only what is required): a COMPOSITE upload needs one.
    const noSum = await raw('PUT', `/alpha/sha-parts?partNumber=1&uploadId=${UploadId}`, { body: 'x' });
    expect([noSum.status, noSum.text]).toEqual([
      400,
      expect.stringContaining('expected checksum Type: sha256, actual checksum Type: null'),
    ]);
    const ok = await part('SHA256');
    const complete = (withSum: boolean) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'alpha',
          Key: 'sha-parts',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: ok.ETag, ...(withSum ? { ChecksumSHA256: ok.ChecksumSHA256 } : {}) },
            ],
          },
        }),
      );
    expect(await sdkError(complete(false))).toEqual({ name: 'InvalidRequest', status: 400 });
    expect((await complete(true)).ChecksumSHA256).toMatch(/-1$/);
  });

  it('refuses small non-final parts, copies part ranges and aborts', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'small' }));
    const a = await s3.send(
      new UploadPartCommand({ Bucket: 'alpha', Key: 'small', UploadId, PartNumber: 1, Body: 'abc' }),
    );
    const b = await s3.send(
      new UploadPartCopyCommand({
        Bucket: 'alpha',
        Key: 'small',
        UploadId,
        PartNumber: 2,
        CopySource: 'alpha/digits',
        CopySourceRange: 'bytes=2-5',
      }),
    );
    expect(b.CopyPartResult?.ETag).toBe(`"${createHash('md5').update('2345').digest('hex')}"`);
    const small = await sdkError(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'alpha',
          Key: 'small',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: a.ETag },
              { PartNumber: 2, ETag: b.CopyPartResult?.ETag },
            ],
          },
        }),
      ),
    );
    expect(small.name).toBe('EntityTooSmall');
    const single = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'alpha',
        Key: 'small',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 2, ETag: b.CopyPartResult?.ETag }] },
      }),
    );
    expect(single.ETag).toMatch(/-1"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'small' }));
    expect(await got.Body?.transformToString()).toBe('2345');
    const up2 = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'aborted' }));
    await s3.send(
      new UploadPartCommand({
        Bucket: 'alpha',
        Key: 'aborted',
        UploadId: up2.UploadId,
        PartNumber: 1,
        Body: 'x',
      }),
    );
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: 'alpha', Key: 'aborted', UploadId: up2.UploadId }),
    );
    expect(
      (
        await sdkError(
          s3.send(
            new AbortMultipartUploadCommand({ Bucket: 'alpha', Key: 'aborted', UploadId: up2.UploadId }),
          ),
        )
      ).name,
    ).toBe('NoSuchUpload');
    const badPart = await sdkError(
      s3.send(
        new UploadPartCommand({
          Bucket: 'alpha',
          Key: 'aborted',
          UploadId: 'nope',
          PartNumber: 1,
          Body: 'x',
        }),
      ),
    );
    expect(badPart.name).toBe('NoSuchUpload');
  });
});

describe('listing', () => {
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'list' }));
    const keys = ['a/1', 'a/2', 'b/1', 'c', 'd e+f', 'z/x/y'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'list', Key, Body: Key }));
  });

  it('ListObjectsV2 with delimiter, pagination, start-after and url encoding', async () => {
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'list' }));
    expect(all.Contents?.map((c) => c.Key)).toEqual(['a/1', 'a/2', 'b/1', 'c', 'd e+f', 'z/x/y']);
    expect(all.KeyCount).toBe(6);
    const delim = await s3.send(new ListObjectsV2Command({ Bucket: 'list', Delimiter: '/' }));
    expect(delim.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/', 'z/']);
    expect(delim.Contents?.map((c) => c.Key)).toEqual(['c', 'd e+f']);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'list', MaxKeys: 2, Delimiter: '/', ContinuationToken: token }),
      );
      keys.push(
        ...(page.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
        ...(page.Contents ?? []).map((c) => c.Key ?? ''),
      );
      token = page.NextContinuationToken;
    } while (token !== undefined);
    expect(keys.sort()).toEqual(['a/', 'b/', 'c', 'd e+f', 'z/']);
    const after = await s3.send(
      new ListObjectsV2Command({ Bucket: 'list', StartAfter: 'c', FetchOwner: true }),
    );
    expect(after.Contents?.map((c) => c.Key)).toEqual(['d e+f', 'z/x/y']);
    expect(after.Contents?.[0]?.Owner?.ID).toBe('000000000000');
    const enc = await raw('GET', '/list?list-type=2&encoding-type=url&prefix=d');
    expect(enc.text).toContain('<Key>d%20e%2Bf</Key>');
    const sdkEnc = await s3.send(
      new ListObjectsV2Command({ Bucket: 'list', Prefix: 'd', EncodingType: 'url' }),
    );
    expect(sdkEnc.Contents?.length).toBe(1);
    expect((await raw('GET', '/list?list-type=2&encoding-type=xml')).text).toContain('InvalidArgument');
  });

  it('ListObjects v1 with marker and NextMarker', async () => {
    const p1 = await s3.send(new ListObjectsCommand({ Bucket: 'list', MaxKeys: 2, Delimiter: '/' }));
    expect(p1.IsTruncated).toBe(true);
    expect(p1.NextMarker).toBe('b/');
    const p2 = await s3.send(
      new ListObjectsCommand({ Bucket: 'list', Marker: p1.NextMarker, Delimiter: '/' }),
    );
    expect(p2.Contents?.map((c) => c.Key)).toEqual(['c', 'd e+f']);
    expect(p2.CommonPrefixes?.map((c) => c.Prefix)).toEqual(['z/']);
    const noDelim = await s3.send(new ListObjectsCommand({ Bucket: 'list', MaxKeys: 1 }));
    expect([noDelim.IsTruncated, noDelim.NextMarker]).toEqual([true, undefined]);
  });

  it('ListObjectVersions lists current objects as version null, paginated', async () => {
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      const page = await s3.send(
        new ListObjectVersionsCommand({
          Bucket: 'list',
          MaxKeys: 4,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      for (const v of page.Versions ?? []) {
        expect([v.VersionId, v.IsLatest]).toEqual(['null', true]);
        seen.push(v.Key ?? '');
      }
      if (page.IsTruncated !== true) break;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
    expect(seen).toEqual(['a/1', 'a/2', 'b/1', 'c', 'd e+f', 'z/x/y']);
  });

  it('refuses to delete a non-empty bucket, then deletes it', async () => {
    expect((await sdkError(s3.send(new DeleteBucketCommand({ Bucket: 'list' })))).name).toBe(
      'BucketNotEmpty',
    );
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'list' }));
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'list',
        Delete: { Objects: (all.Contents ?? []).map((c) => ({ Key: c.Key })) },
      }),
    );
    await s3.send(new DeleteBucketCommand({ Bucket: 'list' }));
    expect((await sdkError(s3.send(new HeadBucketCommand({ Bucket: 'list' })))).status).toBe(404);
  });
});

describe('request integrity', () => {
  /** Signed as `raw` signs, then `unsigned` added: headers the signature does not cover. */
  async function withUnsigned(
    method: string,
    path: string,
    unsigned: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; text: string }> {
    const url = new URL(endpoint + path);
    const signed = await signer.sign({
      method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const res = await fetch(endpoint + path, {
      method,
      headers: { ...signed.headers, ...unsigned },
      body: body ?? null,
    });
    return { status: res.status, text: await res.text() };
  }

  it('refuses x-amz-* headers the signature does not cover, header-signed or presigned', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'secret-src', Body: 'SECRET' }));
    const tagged = await withUnsigned('PUT', '/alpha/unsigned-1', { 'x-amz-tagging': 'evil=1' }, 'x');
    expect(tagged.status).toBe(403);
    expect(tagged.text).toContain('<Code>AccessDenied</Code>');
    expect(tagged.text).toContain('<HeadersNotSigned>x-amz-tagging</HeadersNotSigned>');
    // A URL presigned for an upload cannot be turned into a copy of something else.
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'alpha', Key: 'unsigned-2' }), {
      expiresIn: 300,
    });
    const copy = await fetch(url, {
      method: 'PUT',
      headers: { 'x-amz-copy-source': '/alpha/secret-src', 'x-amz-meta-evil': '1' },
      body: '',
    });
    const copyText = await copy.text();
    expect(copy.status).toBe(403);
    expect(copyText).toContain('<HeadersNotSigned>x-amz-copy-source, x-amz-meta-evil</HeadersNotSigned>');
    for (const key of ['unsigned-1', 'unsigned-2']) {
      expect(await sdkError(s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: key })))).toEqual({
        name: 'NotFound',
        status: 404,
      });
    }
    // The same URL as the presigner meant it still works (its default checksum binds it to an empty
    // body); x-amz-content-sha256 may travel unsigned.
    const plain = await fetch(url, {
      method: 'PUT',
      body: '',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(plain.status).toBe(200);
  });

  it('refuses ACLs other than the one in force (ACLs disabled), accepts the ones that describe it', async () => {
    const publicRead = await raw('PUT', '/alpha/acl-1', {
      headers: { 'x-amz-acl': 'public-read' },
      body: 'x',
    });
    expect([
      publicRead.status,
      publicRead.text.includes('<Code>AccessControlListNotSupported</Code>'),
    ]).toEqual([400, true]);
    const grant = await raw('PUT', '/alpha/acl-2', {
      headers: { 'x-amz-grant-read': 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' },
      body: 'x',
    });
    expect(grant.status).toBe(400);
    expect(
      await sdkError(
        s3.send(
          new CopyObjectCommand({
            Bucket: 'alpha',
            Key: 'acl-3',
            CopySource: 'alpha/digits',
            ACL: 'public-read',
          }),
        ),
      ),
    ).toEqual({ name: 'AccessControlListNotSupported', status: 400 });
    expect(
      await sdkError(
        s3.send(
          new CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'acl-4', ACL: 'authenticated-read' }),
        ),
      ),
    ).toEqual({ name: 'AccessControlListNotSupported', status: 400 });
    expect(
      await sdkError(s3.send(new CreateBucketCommand({ Bucket: 'acl-public', ACL: 'public-read' }))),
    ).toEqual({
      name: 'InvalidBucketAclWithObjectOwnership',
      status: 400,
    });
    // What rclone sends by default, and what S3 accepts with ACLs disabled: true of every object here.
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'acl-5', Body: 'x', ACL: 'private' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'alpha', Key: 'acl-6', Body: 'x', ACL: 'bucket-owner-full-control' }),
    );
    await s3.send(new CreateBucketCommand({ Bucket: 'acl-private', ACL: 'private' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'acl-private' }));
    for (const key of ['acl-1', 'acl-2', 'acl-3', 'acl-4']) {
      expect((await sdkError(s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: key })))).status).toBe(
        404,
      );
    }
  });

  it('refuses response-* overrides that cannot be headers with 400, not 500', async () => {
    const r = await raw('GET', '/alpha/digits?response-content-type=text%2Fhtml%0D%0AX-Evil%3A%201');
    expect([r.status, r.text.includes('<Code>InvalidArgument</Code>')]).toEqual([400, true]);
    expect(r.headers.get('x-evil')).toBeNull();
  });

  it('refuses a multipart upload whose key clashes with a file or a directory when it is created', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'clash-file', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'clash-dir/inner', Body: 'x' }));
    for (const Key of ['clash-file/below', 'clash-dir']) {
      expect(await sdkError(s3.send(new CreateMultipartUploadCommand({ Bucket: 'alpha', Key })))).toEqual({
        name: 'ObjectNameConflict',
        status: 409,
      });
    }
    const ok = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'clash-dir/new/deep' }),
    );
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: 'alpha', Key: 'clash-dir/new/deep', UploadId: ok.UploadId }),
    );
  });

  it('refuses a signature made for another service', async () => {
    const ec2 = new SignatureV4({
      service: 'ec2',
      region: 'us-east-1',
      credentials: TEST_ROOT_CREDENTIALS,
      sha256: NodeSha256,
      uriEscapePath: false,
    });
    const url = new URL(`${endpoint}/alpha`);
    const signed = await ec2.sign({
      method: 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const res = await fetch(url, { headers: signed.headers });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).toContain('<Code>AuthorizationHeaderMalformed</Code>');
    expect(text).toContain('incorrect service &quot;ec2&quot;');
  });

  it('refuses an upload of unknown length with 411 MissingContentLength', async () => {
    const { hostname, port } = new URL(endpoint);
    const signed = await signer.sign({
      method: 'PUT',
      protocol: 'http:',
      hostname,
      port: Number(port),
      path: '/alpha/no-length',
      query: {},
      headers: { host: `${hostname}:${port}`, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        { hostname, port, path: '/alpha/no-length', method: 'PUT', headers: signed.headers },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write('streamed without a length'); // node sends Transfer-Encoding: chunked
      req.end();
    });
    expect(reply.status).toBe(411);
    expect(reply.text).toContain('<Code>MissingContentLength</Code>');
  });

  it('copies: conditions hold on an in-place copy, the class is STANDARD unless named, a missing source bucket is NoSuchBucket', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: 'alpha', Key: 'cold', Body: 'brr', StorageClass: 'GLACIER_IR' }),
    );
    const inPlace = await raw('PUT', '/alpha/cold', {
      headers: {
        'x-amz-copy-source': '/alpha/cold',
        'x-amz-metadata-directive': 'REPLACE',
        'if-match': '"not-the-etag"',
      },
    });
    expect([inPlace.status, inPlace.text.includes('<Code>PreconditionFailed</Code>')]).toEqual([412, true]);
    const exists = await raw('PUT', '/alpha/cold', {
      headers: {
        'x-amz-copy-source': '/alpha/cold',
        'x-amz-metadata-directive': 'REPLACE',
        'if-none-match': '*',
      },
    });
    expect(exists.status).toBe(412);
    await s3.send(new CopyObjectCommand({ Bucket: 'alpha', Key: 'cold-copy', CopySource: 'alpha/cold' }));
    const copied = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'cold-copy' }));
    expect(copied.StorageClass).toBeUndefined(); // STANDARD is not sent
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'cold' }))).StorageClass).toBe(
      'GLACIER_IR',
    );
    expect(
      await sdkError(
        s3.send(new CopyObjectCommand({ Bucket: 'alpha', Key: 'x', CopySource: 'no-such-bucket-zz/x' })),
      ),
    ).toEqual({ name: 'NoSuchBucket', status: 404 });
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'alpha', Key: 'mp-copy' }));
    expect(
      await sdkError(
        s3.send(
          new UploadPartCopyCommand({
            Bucket: 'alpha',
            Key: 'mp-copy',
            UploadId: upload.UploadId,
            PartNumber: 1,
            CopySource: 'no-such-bucket-zz/x',
          }),
        ),
      ),
    ).toEqual({ name: 'NoSuchBucket', status: 404 });
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: 'alpha', Key: 'mp-copy', UploadId: upload.UploadId }),
    );
  });
});

describe('hostile and unsupported requests', () => {
  it('answers malformed XML, unknown operations and oversized bodies cleanly', async () => {
    const bad = await raw('PUT', '/alpha?tagging', { body: '<Tagging><TagSet>' });
    expect([bad.status, bad.text.includes('<Code>MalformedXML</Code>')]).toEqual([400, true]);
    const del = await raw('POST', '/alpha?delete', { body: 'not xml' });
    expect(del.text).toContain('<Code>MalformedXML</Code>');
    const replication = await raw('GET', '/alpha?replication');
    expect([replication.status, replication.text.includes('<Code>NotImplemented</Code>')]).toEqual([
      501,
      true,
    ]);
    const policy = await raw('GET', '/alpha?policy');
    expect([policy.status, policy.text.includes('<Code>NoSuchBucketPolicy</Code>')]).toEqual([404, true]);
    const method = await raw('POST', '/alpha/k');
    expect([method.status, method.headers.get('allow')]).toEqual([405, 'GET, HEAD, PUT, DELETE, OPTIONS']);
    expect(method.text).toContain('<Code>MethodNotAllowed</Code><Message>');
    const huge = await raw('PUT', '/alpha?cors', { body: 'x'.repeat(1024 * 1024 + 10) });
    expect(huge.text).toContain('<Code>MaxMessageLengthExceeded</Code>');
    const uri = await raw('GET', '/alpha/%E2%82');
    expect(uri.text).toContain('<Code>InvalidURI</Code>');
    // fetch normalises dot segments, so send this one with node:http.
    const { hostname, port } = new URL(endpoint);
    const signedPut = await signer.sign({
      method: 'PUT',
      protocol: 'http:',
      hostname,
      port: Number(port),
      path: '/alpha/a/../b',
      query: {},
      headers: { host: `${hostname}:${port}`, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const traversal = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { hostname, port, path: '/alpha/a/../b', method: 'PUT', headers: signedPut.headers },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('x');
    });
    expect(traversal).toBe(400);
  });

  it('says in an Allow header which methods a 405 resource takes', async () => {
    const head = await raw('HEAD', '/alpha?location');
    expect([head.status, head.headers.get('allow'), head.text]).toEqual([405, 'GET', '']);
    const get = await raw('GET', '/alpha?delete');
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect(get.text).toContain('<Method>GET</Method><ResourceType>delete</ResourceType>');
    const post = await raw('POST', '/alpha?lifecycle');
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, PUT, DELETE']);
    // Other errors carry no Allow header.
    expect((await raw('GET', '/alpha/no-such-key')).headers.get('allow')).toBeNull();
  });

  it('stamps x-amz-id-2 on every reply, and as HostId in error bodies', async () => {
    const base64 = /^[A-Za-z0-9+/]{40,}={0,2}$/;
    const ok = await raw('GET', '/alpha?location');
    const missing = await raw('GET', '/alpha/no-such-key');
    const head = await raw('HEAD', '/alpha/no-such-key');
    const notAllowed = await raw('HEAD', '/alpha?location');
    const ids = [ok, missing, head, notAllowed].map((r) => r.headers.get('x-amz-id-2') ?? '');
    for (const id of ids) expect(id).toMatch(base64);
    expect(new Set(ids).size).toBe(4);
    expect(missing.text).toContain(
      `<RequestId>${missing.headers.get('x-amz-request-id') ?? ''}</RequestId><HostId>${ids[1]}</HostId></Error>`,
    );
    // The SDK reads it as the extended request id, on success and on error.
    const located = await s3.send(new GetBucketLocationCommand({ Bucket: 'alpha' }));
    expect(located.$metadata.extendedRequestId).toMatch(base64);
    try {
      await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'no-such-key' }));
      expect.unreachable();
    } catch (e) {
      expect((e as S3ServiceException).$metadata.extendedRequestId).toMatch(base64);
    }
  });

  it('denies an anonymous caller through the authoriser', async () => {
    const r = await raw('GET', '/alpha/digits', { anonymous: true });
    expect([r.status, r.text.includes('<Code>AccessDenied</Code>')]).toEqual([403, true]);
    const del = await raw('POST', '/alpha?delete', {
      anonymous: true,
      body: '<Delete><Object><Key>digits</Key></Object></Delete>',
    });
    expect(del.status).toBe(200);
    expect(del.text).toContain('<Code>AccessDenied</Code>');
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'digits' }))).ContentLength).toBe(10);
  });

  it('logged no internal errors', () => {
    expect(logged.filter((e) => e.level === 'error')).toEqual([]);
  });
});
