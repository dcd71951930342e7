// Multipart handlers: CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
// AbortMultipartUpload, ListParts, ListMultipartUploads.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
import { CofferError } from '../../../errors/error.js';
import {
  checksumAlgorithms,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
} from '../../../kernel/checksums.js';
import type { MultipartUploadRecord, PartRecord } from '../../../meta/ports.js';
import { parseBodyExpectation } from '../../service/checksum.js';
import {
  MAX_PART_SIZE,
  abortUpload,
  completeUpload,
  createUpload,
  getUpload,
  parsePartNumber,
  uploadPart as uploadPartService,
  uploadPartCopy as uploadPartCopyService,
  validateCompletion,
  type CompletePart,
} from '../../service/multipart.js';
import { parseTaggingHeader } from '../../service/tags.js';
import {
  S3_NS,
  XML_DECL,
  children,
  el,
  esc,
  isoTime,
  quoteETag,
  text,
  unquoteETag,
  urlEncodeKey,
} from '../../xml.js';
import type { Granted } from '../authorization.js';
import { parseCopySourceRange } from '../http-semantics.js';
import { emptyReply, xmlReply, type ReplyHeaders } from '../types.js';
import {
  addChecksumHeaders,
  bucketOf,
  checkTaggingAllowed,
  contentHeadersOf,
  hdr,
  keyOf,
  ownerOf,
  readXml,
  refuseAcl,
  requireContentLength,
  storageClassOf,
  userMetadataOf,
  type Handler,
} from './common.js';
import { parseEncodingType, parseMaxKeys } from './listing.js';
import { checkCopySourceVersion, copySourceConditions } from './objects.js';

const uploadIdOf = (g: Granted): string => g.ctx.query.get('uploadId') ?? '';

async function uploadOf(g: Granted, d: Parameters<Handler>[1]): Promise<MultipartUploadRecord> {
  return getUpload(d, bucketOf(g).name, keyOf(g), uploadIdOf(g));
}

function checksumsXml(sums: Partial<Record<ChecksumAlgorithm, string>> | undefined): string {
  if (sums === undefined) return '';
  let xml = '';
  for (const alg of checksumAlgorithms) {
    const v = sums[alg];
    if (v !== undefined) xml += el(`Checksum${alg}`, v);
  }
  return xml;
}

export const createMultipartUpload: Handler = async (g, d) => {
  const b = bucketOf(g);
  refuseAcl(g, 'object');
  checkTaggingAllowed(g);
  const algHeader = hdr(g, 'x-amz-checksum-algorithm');
  const checksumAlgorithm = parseChecksumAlgorithm(algHeader);
  if (algHeader !== undefined && checksumAlgorithm === undefined) {
    throw new CofferError('InvalidRequest', 'Checksum algorithm provided is unsupported.');
  }
  const typeHeader = hdr(g, 'x-amz-checksum-type');
  let checksumType: 'FULL_OBJECT' | 'COMPOSITE' | undefined;
  if (typeHeader !== undefined) {
    const t = typeHeader.toUpperCase();
    if (t !== 'FULL_OBJECT' && t !== 'COMPOSITE') {
      throw new CofferError('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.');
    }
    if (checksumAlgorithm === undefined) {
      throw new CofferError(
        'InvalidRequest',
        'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.',
      );
    }
    checksumType = t;
  }
  const upload = await createUpload(d, {
    bucket: b.name,
    key: keyOf(g),
    owner: ownerOf(g),
    headers: contentHeadersOf(g),
    userMetadata: userMetadataOf(g),
    tags: parseTaggingHeader(hdr(g, 'x-amz-tagging')),
    storageClass: storageClassOf(g) ?? 'STANDARD',
    checksumAlgorithm,
    checksumType,
  });
  const headers: ReplyHeaders = {};
  if (upload.checksumAlgorithm !== undefined) headers['x-amz-checksum-algorithm'] = upload.checksumAlgorithm;
  if (upload.checksumType !== undefined) headers['x-amz-checksum-type'] = upload.checksumType;
  return xmlReply(
    `${XML_DECL}<InitiateMultipartUploadResult xmlns="${S3_NS}"><Bucket>${esc(b.name)}</Bucket>` +
      `<Key>${esc(upload.key)}</Key><UploadId>${esc(upload.uploadId)}</UploadId></InitiateMultipartUploadResult>`,
    200,
    headers,
  );
};

export const uploadPart: Handler = async (g, d) => {
  const partNumber = parsePartNumber(g.ctx.query.get('partNumber'));
  const expectation = parseBodyExpectation(g.ctx.headers, g.ctx.query);
  const size = requireContentLength(g);
  if (size > MAX_PART_SIZE) {
    throw new CofferError('EntityTooLarge', undefined, {
      extra: { ProposedSize: String(size), MaxSizeAllowed: String(MAX_PART_SIZE) },
    });
  }
  const upload = await uploadOf(g, d);
  const part = await uploadPartService(d, {
    upload,
    partNumber,
    body: g.auth.wrapBody(g.ctx.req),
    expectedSize: size,
    expectation,
    trailers: () => g.auth.trailers(),
  });
  const headers: ReplyHeaders = { etag: quoteETag(part.etag), 'content-length': 0 };
  addChecksumHeaders(headers, part.checksums, undefined);
  return emptyReply(200, headers);
};

export const uploadPartCopy: Handler = async (g, d) => {
  const partNumber = parsePartNumber(g.ctx.query.get('partNumber'));
  const source = checkCopySourceVersion(g);
  const upload = await uploadOf(g, d);
  const rangeHeader = hdr(g, 'x-amz-copy-source-range');
  const part = await uploadPartCopyService(d, {
    upload,
    partNumber,
    source,
    checkSource: copySourceConditions(g),
    range: (size) => (rangeHeader === undefined ? undefined : parseCopySourceRange(rangeHeader, size)),
  });
  return xmlReply(
    `${XML_DECL}<CopyPartResult xmlns="${S3_NS}"><LastModified>${isoTime(part.lastModified)}</LastModified>` +
      `<ETag>${esc(quoteETag(part.etag))}</ETag>${checksumsXml(part.checksums)}</CopyPartResult>`,
  );
};

export const completeMultipartUpload: Handler = async (g, d) => {
  const b = bucketOf(g);
  const upload = await uploadOf(g, d);
  const root = await readXml(g, d, 'CompleteMultipartUpload');
  const parts: CompletePart[] = children(root, 'Part').map((p) => {
    const num = text(p, 'PartNumber');
    const etag = text(p, 'ETag');
    if (num === undefined || etag === undefined || !/^\d+$/.test(num.trim()))
      throw new CofferError('MalformedXML');
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const alg of checksumAlgorithms) {
      const v = text(p, `Checksum${alg}`);
      if (v !== undefined) checksums[alg] = v.trim();
    }
    return { partNumber: Number(num.trim()), etag: unquoteETag(etag), checksums };
  });
  const chosen = await validateCompletion(d, { upload, parts });
  const record = await completeUpload(d, upload, chosen);
  const host = g.ctx.host === '' ? 'localhost' : g.ctx.host;
  const scheme = g.ctx.secure ? 'https' : 'http';
  const path = g.request.virtualHosted
    ? `/${urlEncodeKey(record.key)}`
    : `/${b.name}/${urlEncodeKey(record.key)}`;
  let sums = checksumsXml(record.checksums);
  if (sums !== '' && record.checksumType !== undefined) sums += el('ChecksumType', record.checksumType);
  return xmlReply(
    `${XML_DECL}<CompleteMultipartUploadResult xmlns="${S3_NS}"><Location>${esc(`${scheme}://${host}${path}`)}</Location>` +
      `<Bucket>${esc(b.name)}</Bucket><Key>${esc(record.key)}</Key><ETag>${esc(quoteETag(record.etag))}</ETag>` +
      `${sums}</CompleteMultipartUploadResult>`,
  );
};

export const abortMultipartUpload: Handler = async (g, d) => {
  const upload = await uploadOf(g, d);
  await abortUpload(d, upload);
  return emptyReply(204);
};

function initiatorXml(owner: string): string {
  const o = esc(owner);
  return `<Initiator><ID>${o}</ID><DisplayName>${o}</DisplayName></Initiator><Owner><ID>${o}</ID><DisplayName>${o}</DisplayName></Owner>`;
}

export const listParts: Handler = async (g, d) => {
  const b = bucketOf(g);
  const q = g.ctx.query;
  const upload = await uploadOf(g, d);
  const maxParts = parseMaxKeys(q.get('max-parts'), 'max-parts');
  const markerRaw = q.get('part-number-marker') ?? '0';
  const marker = /^\d+$/.test(markerRaw) ? Number(markerRaw) : NaN;
  if (!Number.isInteger(marker)) {
    throw new CofferError(
      'InvalidArgument',
      'Provided part-number-marker not an integer or within integer range',
      {
        extra: { ArgumentName: 'part-number-marker', ArgumentValue: markerRaw },
      },
    );
  }
  const rows: PartRecord[] =
    maxParts === 0 ? [] : await d.meta.multipart.listParts(upload.uploadId, marker, maxParts + 1);
  const truncated = rows.length > maxParts;
  const page = rows.slice(0, maxParts);
  const url = parseEncodingType(g);
  let xml =
    `${XML_DECL}<ListPartsResult xmlns="${S3_NS}"><Bucket>${esc(b.name)}</Bucket>` +
    `<Key>${esc(url ? urlEncodeKey(upload.key) : upload.key)}</Key><UploadId>${esc(upload.uploadId)}</UploadId>` +
    `<PartNumberMarker>${marker}</PartNumberMarker>`;
  const last = page[page.length - 1];
  if (last !== undefined) xml += `<NextPartNumberMarker>${last.partNumber}</NextPartNumberMarker>`;
  xml += `<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>`;
  for (const p of page) {
    xml +=
      `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${isoTime(p.lastModified)}</LastModified>` +
      `<ETag>&quot;${p.etag}&quot;</ETag><Size>${p.size}</Size>${checksumsXml(p.checksums)}</Part>`;
  }
  xml += initiatorXml(upload.owner) + `<StorageClass>${esc(upload.storageClass)}</StorageClass>`;
  if (upload.checksumAlgorithm !== undefined) xml += el('ChecksumAlgorithm', upload.checksumAlgorithm);
  if (upload.checksumType !== undefined) xml += el('ChecksumType', upload.checksumType);
  if (url) xml += '<EncodingType>url</EncodingType>';
  return xmlReply(xml + '</ListPartsResult>');
};

export const listMultipartUploads: Handler = async (g, d) => {
  const b = bucketOf(g);
  const q = g.ctx.query;
  const url = parseEncodingType(g);
  const enc = (s: string): string => esc(url ? urlEncodeKey(s) : s);
  const prefix = q.get('prefix') ?? '';
  const delimiterRaw = q.get('delimiter');
  const delimiter = delimiterRaw === null || delimiterRaw === '' ? undefined : delimiterRaw;
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = q.get('upload-id-marker') ?? '';
  const maxUploads = parseMaxKeys(q.get('max-uploads'), 'max-uploads');
  const query: Parameters<typeof d.meta.multipart.list>[0] = { bucket: b.name, prefix, maxUploads };
  if (delimiter !== undefined) query.delimiter = delimiter;
  if (keyMarker !== '') query.keyMarker = keyMarker;
  if (uploadIdMarker !== '' && keyMarker !== '') query.uploadIdMarker = uploadIdMarker;
  const page =
    maxUploads === 0
      ? { uploads: [], commonPrefixes: [], isTruncated: false }
      : await d.meta.multipart.list(query);
  let xml =
    `${XML_DECL}<ListMultipartUploadsResult xmlns="${S3_NS}"><Bucket>${esc(b.name)}</Bucket>` +
    `<KeyMarker>${enc(keyMarker)}</KeyMarker><UploadIdMarker>${esc(uploadIdMarker)}</UploadIdMarker>`;
  if (page.isTruncated) {
    if ('nextKeyMarker' in page && page.nextKeyMarker !== undefined) {
      xml += `<NextKeyMarker>${enc(page.nextKeyMarker)}</NextKeyMarker>`;
    }
    if ('nextUploadIdMarker' in page && page.nextUploadIdMarker !== undefined) {
      xml += `<NextUploadIdMarker>${esc(page.nextUploadIdMarker)}</NextUploadIdMarker>`;
    }
  }
  if (delimiter !== undefined) xml += `<Delimiter>${enc(delimiter)}</Delimiter>`;
  xml += `<Prefix>${enc(prefix)}</Prefix><MaxUploads>${maxUploads}</MaxUploads>`;
  if (url) xml += '<EncodingType>url</EncodingType>';
  xml += `<IsTruncated>${page.isTruncated}</IsTruncated>`;
  for (const u of page.uploads) {
    xml +=
      `<Upload><Key>${enc(u.key)}</Key><UploadId>${esc(u.uploadId)}</UploadId>${initiatorXml(u.owner)}` +
      `<StorageClass>${esc(u.storageClass)}</StorageClass><Initiated>${isoTime(u.initiated)}</Initiated>`;
    if (u.checksumAlgorithm !== undefined) xml += el('ChecksumAlgorithm', u.checksumAlgorithm);
    if (u.checksumType !== undefined) xml += el('ChecksumType', u.checksumType);
    xml += '</Upload>';
  }
  for (const p of page.commonPrefixes) xml += `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`;
  return xmlReply(xml + '</ListMultipartUploadsResult>');
};
