// Helpers shared by the S3 handlers: header access, request bodies (bounded, verified XML), content
// headers and user metadata as S3 stores them, and the object headers GET/HEAD reply with.
import { CofferError } from '../../../errors/error.js';
import { MultiDigest, checksumAlgorithms, checksumHeader } from '../../../kernel/checksums.js';
import type { BucketRecord, ContentHeaders, ObjectRecord } from '../../../meta/ports.js';
import { parseBodyExpectation, verifyBody } from '../../service/checksum.js';
import type { ServiceDeps } from '../../service/deps.js';
import { httpDate, parseXml, quoteETag, type XmlNode } from '../../xml.js';
import type { Granted } from '../authorization.js';
import type { ReplyHeaders, S3Reply } from '../types.js';

export type Handler = (g: Granted, d: ServiceDeps) => Promise<S3Reply>;

export function hdr(g: Granted, name: string): string | undefined {
  const v = g.ctx.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function bucketOf(g: Granted): BucketRecord {
  const b = g.bucket;
  if (b === undefined) {
    throw new CofferError('NoSuchBucket', undefined, { extra: { BucketName: g.request.bucket ?? '' } });
  }
  return b;
}

export function keyOf(g: Granted): string {
  return g.request.key ?? '';
}

/** Canonical owner id: the account that owns what the principal creates. */
export function ownerOf(g: Granted): string {
  const p = g.auth.auth.principal;
  return p.kind === 'anonymous' ? 'anonymous' : p.accountId;
}

export function tenantOf(g: Granted): string {
  const p = g.auth.auth.principal;
  return p.kind === 'anonymous' ? '' : p.tenantId;
}

const GRANT_HEADERS = [
  'x-amz-grant-read',
  'x-amz-grant-write',
  'x-amz-grant-read-acp',
  'x-amz-grant-write-acp',
  'x-amz-grant-full-control',
];

/**
 * ACLs are disabled, as with S3's default BucketOwnerEnforced ownership: a request that asks for
 * another ACL than the one in force (a canned ACL such as public-read, or any x-amz-grant-*) is
 * refused, so a client never believes it made an object public when it did not. `private` and
 * `bucket-owner-full-control` describe what holds anyway and are accepted (S3 refuses `private` too,
 * but rclone sends it by default on every upload and bucket creation).
 */
export function refuseAcl(g: Granted, target: 'bucket' | 'object'): void {
  const acl = hdr(g, 'x-amz-acl');
  const truthful = acl === undefined || acl === 'private' || acl === 'bucket-owner-full-control';
  if (truthful && !GRANT_HEADERS.some((h) => g.ctx.headers[h] !== undefined)) return;
  throw target === 'bucket'
    ? new CofferError('InvalidBucketAclWithObjectOwnership')
    : new CofferError('AccessControlListNotSupported');
}

/**
 * Tags given with a write (x-amz-tagging on PutObject, CopyObject, CreateMultipartUpload) also need
 * s3:PutObjectTagging on the key, as MinIO and S3 ask: tags steer tag-based policies, so a right to
 * write bytes must not be a right to re-tag an object that a policy keeps by its tags.
 */
export function checkTaggingAllowed(g: Granted): void {
  if (hdr(g, 'x-amz-tagging') !== undefined && !g.allows('s3:PutObjectTagging', keyOf(g))) {
    throw new CofferError('AccessDenied');
  }
}

/**
 * The body's length, which S3 requires of an upload (PutObject, UploadPart): Content-Length, or
 * x-amz-decoded-content-length for aws-chunked bodies. A body of unknown length is refused up
 * front (411), as S3 does, rather than streamed to disk and checked against nothing.
 */
export function requireContentLength(g: Granted): number {
  const size = g.auth.contentLength;
  if (size === undefined) throw new CofferError('MissingContentLength');
  return size;
}

/** Reads a small request body through the verifying wrapper, bounded, and checks Content-MD5 / checksums. */
export async function readBody(g: Granted, limit: number): Promise<Buffer> {
  const declared = g.auth.contentLength;
  if (declared !== undefined && declared > limit) throw new CofferError('MaxMessageLengthExceeded');
  const expectation = parseBodyExpectation(g.ctx.headers, g.ctx.query);
  const body = g.auth.wrapBody(g.ctx.req);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new CofferError('MaxMessageLengthExceeded');
    }
    chunks.push(chunk);
  }
  const buf = Buffer.concat(chunks, size);
  if (expectation.md5 !== undefined || expectation.algorithm !== undefined) {
    const md = new MultiDigest(['MD5', ...(expectation.algorithm ? [expectation.algorithm] : [])]);
    md.update(buf);
    verifyBody(expectation, await md.finish(), () => g.auth.trailers());
  }
  return buf;
}

export async function readXml(g: Granted, d: ServiceDeps, root: string): Promise<XmlNode> {
  return parseXml(await readBody(g, d.config.maxXmlBodySize), root);
}

/** Content headers of a PUT / CreateMultipartUpload / CopyObject REPLACE. */
export function contentHeadersOf(g: Granted): ContentHeaders {
  const h: ContentHeaders = { contentType: hdr(g, 'content-type') ?? 'binary/octet-stream' };
  const enc = hdr(g, 'content-encoding');
  // aws-chunked is transfer framing, not a property of the object (S3 strips it).
  if (enc !== undefined) {
    const rest = enc
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked')
      .join(', ');
    if (rest !== '') h.contentEncoding = rest;
  }
  const disp = hdr(g, 'content-disposition');
  if (disp !== undefined) h.contentDisposition = disp;
  const lang = hdr(g, 'content-language');
  if (lang !== undefined) h.contentLanguage = lang;
  const cc = hdr(g, 'cache-control');
  if (cc !== undefined) h.cacheControl = cc;
  const exp = hdr(g, 'expires');
  if (exp !== undefined) h.expires = exp;
  return h;
}

/** S3 limits user-defined metadata to 2 KB: the UTF-8 bytes of every key and value. */
export const MAX_METADATA_BYTES = 2048;

export function userMetadataOf(g: Granted): Record<string, string> {
  const meta: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(g.ctx.headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const k = name.slice(11);
    const v = Array.isArray(value) ? value.join(',') : value;
    meta[k] = v;
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new CofferError('MetadataTooLarge', undefined, {
      extra: { Size: String(bytes), MaxSizeAllowed: String(MAX_METADATA_BYTES) },
    });
  }
  return meta;
}

const storageClasses = new Set([
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'OUTPOSTS',
  'GLACIER_IR',
  'SNOW',
  'EXPRESS_ONEZONE',
]);

/** x-amz-storage-class: any S3 class is recorded (all are the same files here); unknown ones are refused. */
export function storageClassOf(g: Granted): string | undefined {
  const v = hdr(g, 'x-amz-storage-class');
  if (v === undefined) return undefined;
  if (!storageClasses.has(v))
    throw new CofferError('InvalidStorageClass', undefined, { extra: { StorageClassRequested: v } });
  return v;
}

/*
 * The ETag and Last-Modified header values of a record, formatted once: cached records are shared by
 * every GET/HEAD until they expire, and Date.toUTCString costs ~0.4 µs each time.
 */
const formatted = new WeakMap<ObjectRecord, { etag: string; lastModified: string }>();
function formattedOf(record: ObjectRecord): { etag: string; lastModified: string } {
  let f = formatted.get(record);
  if (f === undefined) {
    f = { etag: quoteETag(record.etag), lastModified: httpDate(record.lastModified) };
    formatted.set(record, f);
  }
  return f;
}

/** Headers describing an object on GET/HEAD (size and range are added by the caller). */
export function objectHeaders(record: ObjectRecord, checksumMode: boolean): ReplyHeaders {
  const h = record.headers;
  const f = formattedOf(record);
  const out: ReplyHeaders = {
    etag: f.etag,
    'last-modified': f.lastModified,
    'content-type': h.contentType,
    'accept-ranges': 'bytes',
  };
  if (h.contentEncoding !== undefined) out['content-encoding'] = h.contentEncoding;
  if (h.contentDisposition !== undefined) out['content-disposition'] = h.contentDisposition;
  if (h.contentLanguage !== undefined) out['content-language'] = h.contentLanguage;
  if (h.cacheControl !== undefined) out['cache-control'] = h.cacheControl;
  if (h.expires !== undefined) out.expires = h.expires;
  for (const k in record.userMetadata) {
    const v = record.userMetadata[k];
    if (v !== undefined) out[`x-amz-meta-${k}`] = v;
  }
  if (record.tags.length > 0) out['x-amz-tagging-count'] = record.tags.length;
  if (record.storageClass !== 'STANDARD') out['x-amz-storage-class'] = record.storageClass;
  if (checksumMode) addChecksumHeaders(out, record.checksums, record.checksumType);
  return out;
}

export function addChecksumHeaders(
  out: ReplyHeaders,
  checksums: ObjectRecord['checksums'] | undefined,
  type: ObjectRecord['checksumType'],
): void {
  if (checksums === undefined) return;
  let any = false;
  for (const alg of checksumAlgorithms) {
    const v = checksums[alg];
    if (v !== undefined) {
      out[checksumHeader(alg)] = v;
      any = true;
    }
  }
  if (any && type !== undefined) out['x-amz-checksum-type'] = type;
}
