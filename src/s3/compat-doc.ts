// Renders docs/s3-compatibility.md from the operation table, so the document cannot drift from
// what routing and authorisation actually do (a test compares the file with this output).
import {
  globalConditionKeys,
  operations,
  unsupportedSubresources,
  type OperationSpec,
} from './operations.js';

function recognition(o: OperationSpec): string {
  const level = o.level === 'service' ? '/' : o.level === 'bucket' ? '/{bucket}' : '/{bucket}/{key}';
  let q = '';
  if (o.subresource !== undefined) {
    q = `?${o.subresource}${o.subresourceValue === undefined ? '' : `=${o.subresourceValue}`}`;
    if (o.also !== undefined) q += `&${o.also}`;
  }
  const h = o.header === undefined ? '' : ` + \`${o.header}\``;
  return `\`${o.method} ${level}${q}\`${h}`;
}

function actions(o: OperationSpec): string {
  if (o.actions.length === 0) return '— (no authentication)';
  return o.actions
    .map((a) => {
      const on =
        a.resource === 'all'
          ? '`arn:aws:s3:::*`'
          : a.resource === 'bucket'
            ? '`arn:aws:s3:::{bucket}`'
            : a.resource === 'object'
              ? '`arn:aws:s3:::{bucket}/{key}`'
              : a.resource === 'copySource'
                ? 'the copy source object'
                : 'each key';
      return `\`${a.action}\` on ${on}`;
    })
    .join('<br>');
}

export function renderCompatibilityDoc(): string {
  const rows = (operations as readonly OperationSpec[]).map(
    (o) =>
      `| ${o.name} | ${o.supported ? 'yes' : 'NotImplemented'} | ${recognition(o)} | ${actions(o)} | ${
        o.conditionKeys.length === 0 ? '' : o.conditionKeys.map((k) => `\`${k}\``).join(', ')
      } | ${o.notes ?? ''} |`,
  );
  return `# S3 compatibility

<!-- Generated from src/s3/operations.ts by src/s3/compat-doc.ts; regenerate with
     UPDATE_DOCS=1 npx vitest run src/s3/compat-doc.test.ts -->

Coffer serves the S3 REST API on path-style (\`/bucket/key\`) and virtual-hosted
(\`bucket.<domain>\`, with \`--domain\`) addresses. Each row below is one entry of the operation
table that drives routing, the IAM actions a request needs, its condition keys, metrics labels and
this page. Operations marked NotImplemented are recognised and answered with \`501 NotImplemented\`.

| operation | supported | request | IAM action(s) and resource | operation condition keys | notes |
|---|---|---|---|---|---|
${rows.join('\n')}

Every request also carries these global condition keys: ${globalConditionKeys.map((k) => `\`${k}\``).join(', ')}.

Sub-resources that are recognised but not implemented (answered with NotImplemented):
${unsupportedSubresources.map((s) => `\`?${s}\``).join(', ')}.

## Behaviour notes
- Buckets are never versioned: GetBucketVersioning returns an empty configuration and
  ListObjectVersions lists current objects with \`VersionId\` \`null\`. \`versionId=null\` is accepted
  wherever a version id is; any other version id is \`InvalidArgument\`.
- ACLs are disabled, as with S3's default \`BucketOwnerEnforced\` ownership: GetBucketAcl and
  GetObjectAcl show the owner with \`FULL_CONTROL\`; PutBucketAcl / PutObjectAcl are not implemented.
  GetBucketOwnershipControls answers \`BucketOwnerEnforced\`.
  A write that asks for another ACL is refused rather than silently ignored: a canned \`x-amz-acl\`
  other than \`private\` or \`bucket-owner-full-control\`, or any \`x-amz-grant-*\`, is
  \`AccessControlListNotSupported\` on PutObject, CopyObject and CreateMultipartUpload and
  \`InvalidBucketAclWithObjectOwnership\` on CreateBucket. (S3 refuses \`private\` too; Coffer accepts
  it because it is true of every object, and rclone sends it by default.)
- Bucket configurations Coffer has no setting for are read as S3 reads a bucket that never had one:
  lifecycle, default encryption, website, Object Lock and public access block answer 404 with their
  own codes (\`NoSuchLifecycleConfiguration\`, …); logging, notifications and transfer acceleration
  answer empty configurations; request payment answers \`BucketOwner\`. Their PUT and DELETE are not
  implemented.
- A method the addressed resource never takes is \`405 MethodNotAllowed\` with an \`Allow\` header
  listing the methods the table has for that resource (NotImplemented ones included).
- Every reply carries \`x-amz-request-id\` and \`x-amz-id-2\`; error bodies carry the latter as \`<HostId>\`.
- GetObject serves one byte range; a Range header with several ranges gets the whole object (as S3).
  Conditional headers follow RFC 7232 precedence as S3 documents it.
- Checksums: \`Content-MD5\` and one \`x-amz-checksum-*\` value (header, aws-chunked trailer or presigned
  query parameter) are verified; the object keeps the checksum and returns it with
  \`x-amz-checksum-mode: ENABLED\`. As on S3, a URL presigned by \`getSignedUrl(PutObject)\` with the
  SDK's default checksum settings carries the CRC32 of an empty body and therefore only accepts an
  empty upload; presign with \`requestChecksumCalculation: 'WHEN_REQUIRED'\` to upload data.
- Conditional writes: \`If-None-Match: *\` and \`If-Match\` on PutObject and CopyObject (an in-place
  CopyObject included).
- Request integrity, as on S3: every \`x-amz-*\` header a SigV4 request carries must be among its
  signed headers (header or presigned; \`x-amz-content-sha256\` excepted, since the signature covers its
  value), else 403 \`AccessDenied\` naming them in \`HeadersNotSigned\`: otherwise a presigned upload URL
  could be turned into a copy, or given tags. A signature whose credential scope names a service other
  than \`s3\` (\`iam\` and \`sts\` go to their own APIs) is \`AuthorizationHeaderMalformed\`.
- Uploads (PutObject, UploadPart) need their length: \`Content-Length\`, or
  \`x-amz-decoded-content-length\` for aws-chunked bodies; 411 \`MissingContentLength\` otherwise.
- Authorisation follows S3 where it guards a resource's own rules: Get/Put/DeleteBucketPolicy are
  for identities of the bucket owner's account only, whatever the policy grants (others get
  \`AccessDenied\`; S3 answers other accounts 405), so \`"Principal": "*"\` with \`s3:*\` cannot hand
  the policy itself away. A copy's \`s3:GetObject\` on its source is decided with the source object's
  tags as \`s3:ExistingObjectTag/<key>\` (CopyObject, UploadPartCopy), and the account root is held to
  tag conditions in a bucket policy. Tags given with a write (\`x-amz-tagging\`) need
  \`s3:PutObjectTagging\` besides the write's own action. \`s3:signatureAge\` (ms since the signature's
  X-Amz-Date) caps how long a presigned URL may be used.
- A key that does not exist is \`NoSuchKey\` (404) on GetObject, HeadObject and GetObjectAttributes only
  for callers allowed \`s3:ListBucket\` on the bucket; others get \`AccessDenied\` (403), as S3 documents,
  so a grant to read some keys does not reveal which other keys exist.
- \`response-*\` overrides work on GetObject and HeadObject for signed requests (header or presigned);
  an anonymous request using them is 400 \`InvalidRequest\`, as on S3.
- Multipart: parts 1–10000, every part but the last at least 5 MiB, object ETag
  \`md5(part md5s)-N\`; composite (or full-object, for CRC64NVME) checksums when the upload named an
  algorithm. Parts are assembled by streaming. When the upload names an algorithm, a part checksummed
  with another is refused (\`InvalidRequest\`, "Checksum Type mismatch"); a COMPOSITE upload also needs
  each part's checksum on UploadPart and in CompleteMultipartUpload's part list, as on S3.
- Files changed through POSIX are noticed on read: when size or mtime differ from the index, the
  record is refreshed (ETag recomputed) before replying; a vanished file is \`NoSuchKey\`.
- Keys that cannot be files (\`.\`/\`..\` segments, empty segments, NUL, segments over 255 bytes, a key
  that would need to be both a file and a directory) are refused with a clear error; for a multipart
  upload already at CreateMultipartUpload when the clash exists then.
- CORS: preflight \`OPTIONS\` is answered from the bucket's rules without authentication (403
  \`AccessForbidden\` when no rule matches); matching actual requests get \`Access-Control-*\` headers.
`;
}
