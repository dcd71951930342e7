// Unit tests of the pure resolver: path-style and virtual-hosted addressing, key decoding, the
// operation table's sub-resources and headers, and the errors for what is not served.
import { describe, expect, it } from 'vitest';
import { bucketFromHost, parseCopySource, resolve, type ResolveInput } from './resolve.js';

const r = (
  method: string,
  url: string,
  headers: ResolveInput['headers'] = {},
  host = 'localhost:9000',
  domain?: string,
) => {
  const q = url.indexOf('?');
  const input: ResolveInput = {
    method,
    rawPath: q === -1 ? url : url.slice(0, q),
    query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
    headers,
    host,
  };
  if (domain !== undefined) input.domain = domain;
  return resolve(input);
};
const op = (...args: Parameters<typeof r>): string => r(...args).op.name;
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
};

describe('resolve', () => {
  it('recognises service, bucket and object levels path-style', () => {
    expect(op('GET', '/')).toBe('ListBuckets');
    expect(op('GET', '/b')).toBe('ListObjects');
    expect(op('GET', '/b/')).toBe('ListObjects');
    expect(op('PUT', '/b/')).toBe('CreateBucket');
    expect(r('GET', '/b/k').key).toBe('k');
    expect(r('GET', '/b/dir/').key).toBe('dir/');
    expect(r('GET', '/b/a//b').key).toBe('a//b');
    expect(r('GET', '/b/k').bucket).toBe('b');
  });

  it('decodes the key exactly once and keeps + literal', () => {
    expect(r('GET', '/b/a%2Fb%20c+d%2525').key).toBe('a/b c+d%25');
    expect(r('GET', '/b/%E2%82%AC').key).toBe('€');
    expect(code(() => r('GET', '/b/%E2%82'))).toBe('InvalidURI');
  });

  it('does not normalise dot segments', () => {
    expect(r('GET', '/b/./x/../y').key).toBe('./x/../y');
  });

  it('maps bucket sub-resources', () => {
    expect(op('GET', '/b?list-type=2&prefix=x')).toBe('ListObjectsV2');
    expect(op('GET', '/b?versions')).toBe('ListObjectVersions');
    expect(op('GET', '/b?uploads')).toBe('ListMultipartUploads');
    expect(op('GET', '/b?location')).toBe('GetBucketLocation');
    expect(op('GET', '/b?tagging')).toBe('GetBucketTagging');
    expect(op('PUT', '/b?tagging')).toBe('PutBucketTagging');
    expect(op('DELETE', '/b?tagging')).toBe('DeleteBucketTagging');
    expect(op('GET', '/b?cors')).toBe('GetBucketCors');
    expect(op('PUT', '/b?cors')).toBe('PutBucketCors');
    expect(op('DELETE', '/b?cors')).toBe('DeleteBucketCors');
    expect(op('GET', '/b?versioning')).toBe('GetBucketVersioning');
    expect(op('GET', '/b?acl')).toBe('GetBucketAcl');
    expect(op('POST', '/b?delete')).toBe('DeleteObjects');
    expect(op('HEAD', '/b')).toBe('HeadBucket');
    expect(op('DELETE', '/b')).toBe('DeleteBucket');
    expect(op('OPTIONS', '/b')).toBe('OptionsObject');
  });

  it('maps object operations, sub-resources and headers', () => {
    expect(op('GET', '/b/k')).toBe('GetObject');
    expect(op('GET', '/b/k?partNumber=2')).toBe('GetObject');
    expect(op('GET', '/b/k?x-id=GetObject')).toBe('GetObject');
    expect(op('HEAD', '/b/k')).toBe('HeadObject');
    expect(op('PUT', '/b/k')).toBe('PutObject');
    expect(op('PUT', '/b/k', { 'x-amz-copy-source': '/s/k' })).toBe('CopyObject');
    expect(op('PUT', '/b/k?partNumber=1&uploadId=u')).toBe('UploadPart');
    expect(op('PUT', '/b/k?partNumber=1&uploadId=u', { 'x-amz-copy-source': 's/k' })).toBe('UploadPartCopy');
    expect(op('POST', '/b/k?uploads')).toBe('CreateMultipartUpload');
    expect(op('POST', '/b/k?uploadId=u')).toBe('CompleteMultipartUpload');
    expect(op('DELETE', '/b/k?uploadId=u')).toBe('AbortMultipartUpload');
    expect(op('GET', '/b/k?uploadId=u')).toBe('ListParts');
    expect(op('DELETE', '/b/k')).toBe('DeleteObject');
    expect(op('GET', '/b/k?tagging')).toBe('GetObjectTagging');
    expect(op('PUT', '/b/k?tagging')).toBe('PutObjectTagging');
    expect(op('DELETE', '/b/k?tagging')).toBe('DeleteObjectTagging');
    expect(op('GET', '/b/k?attributes')).toBe('GetObjectAttributes');
    expect(op('GET', '/b/k?acl')).toBe('GetObjectAcl');
    expect(op('OPTIONS', '/b/k')).toBe('OptionsObject');
    expect(op('GET', '/b?policy')).toBe('GetBucketPolicy');
    expect(op('PUT', '/b?policy')).toBe('PutBucketPolicy');
    expect(op('DELETE', '/b?policy')).toBe('DeleteBucketPolicy');
  });

  it('maps the reads of bucket configurations Coffer has no setting for', () => {
    expect(op('GET', '/b?lifecycle')).toBe('GetBucketLifecycleConfiguration');
    expect(op('GET', '/b?encryption')).toBe('GetBucketEncryption');
    expect(op('GET', '/b?website')).toBe('GetBucketWebsite');
    expect(op('GET', '/b?object-lock')).toBe('GetObjectLockConfiguration');
    expect(op('GET', '/b?publicAccessBlock')).toBe('GetPublicAccessBlock');
    expect(op('GET', '/b?ownershipControls')).toBe('GetBucketOwnershipControls');
    expect(op('GET', '/b?logging')).toBe('GetBucketLogging');
    expect(op('GET', '/b?notification')).toBe('GetBucketNotificationConfiguration');
    expect(op('GET', '/b?accelerate')).toBe('GetBucketAccelerateConfiguration');
    expect(op('GET', '/b?requestPayment')).toBe('GetBucketRequestPayment');
  });

  it('answers NotImplemented for known unsupported sub-resources and operations', () => {
    expect(code(() => r('PUT', '/b?lifecycle'))).toBe('NotImplemented');
    expect(code(() => r('DELETE', '/b?lifecycle'))).toBe('NotImplemented');
    expect(code(() => r('PUT', '/b?encryption'))).toBe('NotImplemented');
    expect(code(() => r('DELETE', '/b?website'))).toBe('NotImplemented');
    expect(code(() => r('PUT', '/b?object-lock'))).toBe('NotImplemented');
    expect(code(() => r('PUT', '/b?requestPayment'))).toBe('NotImplemented');
    expect(code(() => r('GET', '/b?replication'))).toBe('NotImplemented');
    expect(code(() => r('PUT', '/b?replication'))).toBe('NotImplemented');
    expect(code(() => r('PUT', '/b?versioning'))).toBe('NotImplemented');
    expect(code(() => r('PUT', '/b/k?acl'))).toBe('NotImplemented');
    expect(code(() => r('GET', '/b/k?retention'))).toBe('NotImplemented');
    expect(code(() => r('PATCH', '/b/k'))).toBe('NotImplemented');
  });

  it('answers MethodNotAllowed for a method the resource does not take', () => {
    expect(code(() => r('PUT', '/'))).toBe('MethodNotAllowed');
    expect(code(() => r('POST', '/b/k'))).toBe('MethodNotAllowed');
    expect(code(() => r('GET', '/b?delete'))).toBe('MethodNotAllowed');
  });

  it('lists the methods the addressed resource takes in the Allow header of a 405', () => {
    const allow = (method: string, url: string): string | undefined => {
      try {
        r(method, url);
      } catch (e) {
        const err = e as { code: string; headers: Record<string, string> };
        if (err.code === 'MethodNotAllowed') return err.headers.Allow;
      }
      return undefined;
    };
    expect(allow('HEAD', '/b?location')).toBe('GET');
    expect(allow('POST', '/b?lifecycle')).toBe('GET, PUT, DELETE');
    expect(allow('DELETE', '/b?object-lock')).toBe('GET, PUT');
    expect(allow('GET', '/b?delete')).toBe('POST');
    expect(allow('PUT', '/b?uploads')).toBe('GET');
    expect(allow('POST', '/b/k')).toBe('GET, HEAD, PUT, DELETE, OPTIONS');
    expect(allow('PUT', '/b/k?uploads')).toBe('POST');
    expect(allow('POST', '/b/k?tagging')).toBe('GET, PUT, DELETE');
    expect(allow('HEAD', '/b/k?uploadId=u')).toBe('GET, POST, DELETE');
    expect(allow('HEAD', '/b/k?uploadId=u&partNumber=1')).toBe('GET, PUT, POST, DELETE');
    expect(allow('PUT', '/')).toBe('GET');
    // A bucket-only sub-resource on an object URL: no method serves it there.
    expect(allow('GET', '/b/k?lifecycle')).toBe('');
  });

  it('refuses keys over 1024 bytes', () => {
    expect(code(() => r('GET', '/b/' + 'a'.repeat(1025)))).toBe('KeyTooLongError');
    expect(r('GET', '/b/' + 'a'.repeat(1024)).key).toHaveLength(1024);
  });

  it('resolves virtual-hosted style when the host ends with the domain', () => {
    const v = r('GET', '/k/x', {}, 'my.bucket.s3.example.com:9000', 's3.example.com');
    expect([v.bucket, v.key, v.virtualHosted]).toEqual(['my.bucket', 'k/x', true]);
    expect(op('GET', '/', {}, 'b.s3.example.com', 's3.example.com')).toBe('ListObjects');
    expect(op('GET', '/', {}, 's3.example.com', 's3.example.com')).toBe('ListBuckets');
    const p = r('GET', '/b/k', {}, '127.0.0.1:9000', 's3.example.com');
    expect([p.bucket, p.key, p.virtualHosted]).toEqual(['b', 'k', false]);
    expect(bucketFromHost('xs3.example.com', 's3.example.com')).toBeUndefined();
    expect(bucketFromHost('B.S3.Example.com', 's3.example.com')).toBe('b');
  });

  it('parses x-amz-copy-source', () => {
    expect(parseCopySource('/src/a%20b/c')).toEqual({ bucket: 'src', key: 'a b/c' });
    expect(parseCopySource('src/k?versionId=null')).toEqual({ bucket: 'src', key: 'k', versionId: 'null' });
    expect(parseCopySource('src/a%3Fb')).toEqual({ bucket: 'src', key: 'a?b' });
    expect(code(() => parseCopySource('src'))).toBe('InvalidArgument');
    expect(code(() => parseCopySource('src/'))).toBe('InvalidArgument');
    expect(r('PUT', '/b/k', { 'x-amz-copy-source': 's/x%2By' }).copySource).toEqual({
      bucket: 's',
      key: 'x+y',
    });
  });
});
