// Object handlers: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject, object
// tagging, GetObjectAttributes and the minimal GetObjectAcl. HTTP in, service calls, reply values out.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (and siblings)
import { CofferError, isCofferError } from '../../../errors/error.js';
import { checksumAlgorithms, parseChecksumAlgorithm } from '../../../kernel/checksums.js';
import type { ObjectRecord, PartInfo } from '../../../meta/ports.js';
import { parseBodyExpectation } from '../../service/checksum.js';
import {
  copyObject as copyObjectService,
  deleteObject as deleteObjectService,
  openObject,
  putObject as putObjectService,
  putObjectTags,
  statObject,
  type WriteConditions,
} from '../../service/objects.js';
import { MAX_OBJECT_TAGS, parseTaggingHeader } from '../../service/tags.js';
import { S3_NS, XML_DECL, children, el, esc, isoTime, quoteETag, text, urlEncodeKey } from '../../xml.js';
import type { Granted } from '../authorization.js';
import {
  evaluateConditions,
  evaluateCopySourceConditions,
  parseRange,
  type ByteRange,
  type Conditions,
} from '../http-semantics.js';
import { emptyReply, xmlReply, type ReplyHeaders } from '../types.js';
import { aclXml, parseTagging, tagSetXml } from './buckets.js';
import {
  addChecksumHeaders,
  bucketOf,
  checkTaggingAllowed,
  contentHeadersOf,
  hdr,
  keyOf,
  objectHeaders,
  ownerOf,
  readXml,
  refuseAcl,
  requireContentLength,
  storageClassOf,
  userMetadataOf,
  type Handler,
} from './common.js';

function writeConditions(g: Granted): WriteConditions | undefined {
  const ifNoneMatch = hdr(g, 'if-none-match');
  const ifMatch = hdr(g, 'if-match');
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    // S3 supports only `If-None-Match: *` on writes.
    throw new CofferError('NotImplemented', 'If-None-Match on writes supports only *.');
  }
  const c: WriteConditions = {};
  if (ifNoneMatch !== undefined) c.ifNoneMatch = ifNoneMatch;
  if (ifMatch !== undefined) c.ifMatch = ifMatch;
  return c;
}

export const putObject: Handler = async (g, d) => {
  const b = bucketOf(g);
  refuseAcl(g, 'object');
  checkTaggingAllowed(g);
  const expectation = parseBodyExpectation(g.ctx.headers, g.ctx.query);
  const size = requireContentLength(g);
  if (size > d.config.maxObjectSize) {
    throw new CofferError('EntityTooLarge', undefined, {
      extra: { ProposedSize: String(size), MaxSizeAllowed: String(d.config.maxObjectSize) },
    });
  }
  const input: Parameters<typeof putObjectService>[1] = {
    bucket: b.name,
    key: keyOf(g),
    body: g.auth.wrapBody(g.ctx.req),
    expectedSize: size,
    expectation,
    trailers: () => g.auth.trailers(),
    headers: contentHeadersOf(g),
    userMetadata: userMetadataOf(g),
    tags: parseTaggingHeader(hdr(g, 'x-amz-tagging')),
    owner: ownerOf(g),
    storageClass: storageClassOf(g) ?? 'STANDARD',
  };
  const conditions = writeConditions(g);
  if (conditions !== undefined) input.conditions = conditions;
  const record = await putObjectService(d, input);
  const headers: ReplyHeaders = { etag: quoteETag(record.etag), 'content-length': 0 };
  addChecksumHeaders(headers, record.checksums, record.checksumType);
  return emptyReply(200, headers);
};

function readConditions(g: Granted): Conditions {
  return {
    ifMatch: hdr(g, 'if-match'),
    ifNoneMatch: hdr(g, 'if-none-match'),
    ifModifiedSince: hdr(g, 'if-modified-since'),
    ifUnmodifiedSince: hdr(g, 'if-unmodified-since'),
  };
}

function hasConditions(g: Granted): boolean {
  const h = g.ctx.headers;
  return (
    h['if-match'] !== undefined ||
    h['if-none-match'] !== undefined ||
    h['if-modified-since'] !== undefined ||
    h['if-unmodified-since'] !== undefined
  );
}

/** 304 / 412 per the conditional headers; 304 carries ETag and Last-Modified, as S3 sends them. */
function checkReadConditions(g: Granted, record: ObjectRecord): void {
  if (!hasConditions(g)) return;
  const outcome = evaluateConditions(readConditions(g), record.etag, record.lastModified);
  if (outcome === 'notModified') {
    throw new CofferError('NotModified', undefined, {
      headers: { etag: quoteETag(record.etag), 'last-modified': record.lastModified.toUTCString() },
    });
  }
  if (outcome === 'preconditionFailed') {
    throw new CofferError('PreconditionFailed', undefined, {
      extra: { Condition: hdr(g, 'if-match') !== undefined ? 'If-Match' : 'If-Unmodified-Since' },
    });
  }
}

const overrides: readonly [string, string][] = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/**
 * `response-*` query parameters override the stored headers in the reply (GetObject, HeadObject).
 * As in S3, only a signed request may use them: otherwise anyone could make a public object serve
 * as HTML, or as a download under another name. Checked before the object is read.
 */
function overridesOf(g: Granted): [string, string][] | undefined {
  const q = g.ctx.query;
  if (q.size === 0) return undefined;
  let found: [string, string][] | undefined;
  for (const [param, name] of overrides) {
    const v = q.get(param);
    if (v === null) continue;
    // A value that cannot be a header (CR, LF, other controls) is the caller's error, not ours (500).
    if (/[^\t\x20-\x7e\x80-\xff]/.test(v)) {
      throw new CofferError('InvalidArgument', `Invalid value for ${param}.`, {
        extra: { ArgumentName: param, ArgumentValue: v.replace(/[^\x20-\x7e]/g, '?') },
      });
    }
    (found ??= []).push([name, v]);
  }
  if (found !== undefined && g.auth.auth.principal.kind === 'anonymous') {
    throw new CofferError(
      'InvalidRequest',
      'Request specific response headers cannot be used for anonymous GET requests.',
    );
  }
  return found;
}

function applyOverrides(found: [string, string][] | undefined, headers: ReplyHeaders): void {
  if (found !== undefined) for (const [name, v] of found) headers[name] = v;
}

/** `partNumber`: for multipart objects the part's byte range; for others part 1 is the whole object. */
function partRange(record: ObjectRecord, partNumberRaw: string): { range: ByteRange; count: number } {
  const n = Number(partNumberRaw);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new CofferError(
      'InvalidArgument',
      'Part number must be an integer between 1 and 10000, inclusive',
      {
        extra: { ArgumentName: 'partNumber', ArgumentValue: partNumberRaw },
      },
    );
  }
  const parts: PartInfo[] | undefined = record.parts;
  if (parts === undefined || parts.length === 0) {
    if (n !== 1) throw new CofferError('InvalidPartNumber');
    return { range: { start: 0, end: record.size - 1 }, count: 1 };
  }
  let start = 0;
  for (const p of parts) {
    if (p.partNumber === n) return { range: { start, end: start + p.size - 1 }, count: parts.length };
    start += p.size;
  }
  throw new CofferError('InvalidPartNumber');
}

interface ReadPlan {
  status: number;
  headers: ReplyHeaders;
  range: ByteRange | undefined;
}

/** Everything GetObject and HeadObject share: conditionals, range / partNumber, headers. */
function planRead(g: Granted, record: ObjectRecord): ReadPlan {
  checkReadConditions(g, record);
  const checksumMode = hdr(g, 'x-amz-checksum-mode') === 'ENABLED';
  const headers = objectHeaders(record, false);
  const partNumber = g.ctx.query.get('partNumber');
  const rangeHeader = hdr(g, 'range');
  let range: ByteRange | undefined;
  if (partNumber !== null) {
    if (rangeHeader !== undefined) {
      throw new CofferError(
        'InvalidRequest',
        'Cannot specify both Range header and partNumber query parameter',
      );
    }
    const p = partRange(record, partNumber);
    range = record.size === 0 ? undefined : p.range;
    headers['x-amz-mp-parts-count'] = p.count;
    if (checksumMode) {
      const part = record.parts?.find((x) => x.partNumber === Number(partNumber));
      if (part !== undefined) addChecksumHeaders(headers, part.checksums, 'COMPOSITE');
      else addChecksumHeaders(headers, record.checksums, record.checksumType);
    }
  } else {
    range = parseRange(rangeHeader, record.size);
    // S3 returns the object's checksum only when the whole object is served.
    if (checksumMode && range === undefined)
      addChecksumHeaders(headers, record.checksums, record.checksumType);
  }
  if (range !== undefined) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${record.size}`;
    headers['content-length'] = range.end - range.start + 1;
    return { status: 206, headers, range };
  }
  headers['content-length'] = record.size;
  return { status: 200, headers, range: undefined };
}

export const getObject: Handler = async (g, d) => {
  const b = bucketOf(g);
  const key = keyOf(g);
  checkVersionId(g);
  const found = overridesOf(g);
  const { record, reader } = await openObject(d, b.name, key);
  let plan: ReadPlan;
  try {
    plan = planRead(g, record);
    applyOverrides(found, plan.headers);
  } catch (e) {
    reader.close();
    throw e;
  }
  const length = plan.range === undefined ? record.size : plan.range.end - plan.range.start + 1;
  if (length <= SMALL_BODY) {
    // One read into one buffer: far cheaper than a stream and a pipeline for small objects.
    const body =
      plan.range === undefined ? await reader.read() : await reader.read(plan.range.start, plan.range.end);
    return { status: plan.status, headers: plan.headers, body };
  }
  return { status: plan.status, headers: plan.headers, blob: { reader, range: plan.range } };
};

/** Bodies up to this size are read into memory in one read and sent with the headers. */
const SMALL_BODY = 256 * 1024;

/** Unversioned buckets have one version, `null`; any other id does not exist. */
function checkVersionId(g: Granted): void {
  const v = g.ctx.query.get('versionId');
  if (v !== null && v !== 'null') {
    throw new CofferError('InvalidArgument', 'Invalid version id specified', {
      extra: { ArgumentName: 'versionId', ArgumentValue: v },
    });
  }
}

export const headObject: Handler = async (g, d) => {
  const b = bucketOf(g);
  checkVersionId(g);
  const found = overridesOf(g);
  const record = await statObject(d, b.name, keyOf(g));
  const plan = planRead(g, record);
  applyOverrides(found, plan.headers);
  return emptyReply(plan.status, plan.headers);
};

export const deleteObject: Handler = async (g, d) => {
  const b = bucketOf(g);
  checkVersionId(g);
  await deleteObjectService(d, b.name, keyOf(g));
  return emptyReply(204);
};

/** S3 accepts at most 1000 keys per DeleteObjects request. */
export const MAX_DELETE_KEYS = 1000;

export const deleteObjects: Handler = async (g, d) => {
  const b = bucketOf(g);
  const root = await readXml(g, d, 'Delete');
  const objects = children(root, 'Object');
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new CofferError('MalformedXML');
  const quiet = (text(root, 'Quiet') ?? '').trim().toLowerCase() === 'true';
  const encode = g.ctx.query.get('encoding-type') === 'url';
  const k = (key: string): string => esc(encode ? urlEncodeKey(key) : key);
  let deleted = '';
  let errors = '';
  for (const o of objects) {
    const key = text(o, 'Key');
    if (key === undefined) throw new CofferError('MalformedXML');
    const versionId = text(o, 'VersionId');
    const vid = versionId === undefined ? '' : el('VersionId', versionId);
    if (!g.allows('s3:DeleteObject', key)) {
      errors += `<Error><Key>${k(key)}</Key>${vid}<Code>AccessDenied</Code><Message>Access Denied</Message></Error>`;
      continue;
    }
    try {
      if (versionId !== undefined && versionId !== 'null') {
        throw new CofferError('NoSuchVersion', 'The specified version does not exist.');
      }
      await deleteObjectService(d, b.name, key);
      if (!quiet) deleted += `<Deleted><Key>${k(key)}</Key>${vid}</Deleted>`;
    } catch (e) {
      const err = isCofferError(e) ? e : new CofferError('InternalError');
      errors += `<Error><Key>${k(key)}</Key>${vid}<Code>${err.code}</Code><Message>${esc(err.message)}</Message></Error>`;
    }
  }
  return xmlReply(`${XML_DECL}<DeleteResult xmlns="${S3_NS}">${deleted}${errors}</DeleteResult>`);
};

function directive(g: Granted, name: string): 'COPY' | 'REPLACE' {
  const v = hdr(g, name);
  if (v === undefined) return 'COPY';
  const u = v.toUpperCase();
  if (u !== 'COPY' && u !== 'REPLACE') {
    throw new CofferError('InvalidArgument', `Unknown ${name}.`, {
      extra: { ArgumentName: name, ArgumentValue: v },
    });
  }
  return u;
}

export function copySourceConditions(g: Granted): (source: ObjectRecord) => void {
  const c: Conditions = {
    ifMatch: hdr(g, 'x-amz-copy-source-if-match'),
    ifNoneMatch: hdr(g, 'x-amz-copy-source-if-none-match'),
    ifModifiedSince: hdr(g, 'x-amz-copy-source-if-modified-since'),
    ifUnmodifiedSince: hdr(g, 'x-amz-copy-source-if-unmodified-since'),
  };
  return (source) => evaluateCopySourceConditions(c, source.etag, source.lastModified);
}

export function checkCopySourceVersion(g: Granted): { bucket: string; key: string } {
  const src = g.request.copySource;
  if (src === undefined)
    throw new CofferError('InvalidArgument', 'Copy Source must mention the source bucket and key');
  if (src.versionId !== undefined && src.versionId !== 'null') {
    throw new CofferError('InvalidArgument', 'Invalid version id specified', {
      extra: { ArgumentName: 'x-amz-copy-source', ArgumentValue: hdr(g, 'x-amz-copy-source') ?? '' },
    });
  }
  return { bucket: src.bucket, key: src.key };
}

export const copyObject: Handler = async (g, d) => {
  const b = bucketOf(g);
  refuseAcl(g, 'object');
  checkTaggingAllowed(g);
  const source = checkCopySourceVersion(g);
  const metadataDirective = directive(g, 'x-amz-metadata-directive');
  const taggingDirective = directive(g, 'x-amz-tagging-directive');
  const algHeader = hdr(g, 'x-amz-checksum-algorithm');
  const checksumAlgorithm = parseChecksumAlgorithm(algHeader);
  if (algHeader !== undefined && checksumAlgorithm === undefined) {
    throw new CofferError('InvalidRequest', 'Value for x-amz-checksum-algorithm header is invalid.');
  }
  const input: Parameters<typeof copyObjectService>[1] = {
    source,
    bucket: b.name,
    key: keyOf(g),
    checkSource: copySourceConditions(g),
    metadataDirective,
    taggingDirective,
    headers: contentHeadersOf(g),
    userMetadata: metadataDirective === 'REPLACE' ? userMetadataOf(g) : {},
    tags: taggingDirective === 'REPLACE' ? parseTaggingHeader(hdr(g, 'x-amz-tagging')) : [],
    owner: ownerOf(g),
    storageClass: storageClassOf(g),
    checksumAlgorithm,
  };
  const conditions = writeConditions(g);
  if (conditions !== undefined) input.conditions = conditions;
  const record = await copyObjectService(d, input);
  let sums = '';
  for (const alg of checksumAlgorithms) {
    const v = record.checksums[alg];
    if (v !== undefined) sums += el(`Checksum${alg}`, v);
  }
  if (sums !== '' && record.checksumType !== undefined) sums = el('ChecksumType', record.checksumType) + sums;
  return xmlReply(
    `${XML_DECL}<CopyObjectResult xmlns="${S3_NS}"><ETag>${esc(quoteETag(record.etag))}</ETag>` +
      `<LastModified>${isoTime(record.lastModified)}</LastModified>${sums}</CopyObjectResult>`,
  );
};

export const getObjectTagging: Handler = async (g, d) => {
  const b = bucketOf(g);
  checkVersionId(g);
  const record = await statObject(d, b.name, keyOf(g));
  return xmlReply(tagSetXml(record.tags));
};

export const putObjectTagging: Handler = async (g, d) => {
  const b = bucketOf(g);
  checkVersionId(g);
  const tags = parseTagging(await readXml(g, d, 'Tagging'), MAX_OBJECT_TAGS);
  await putObjectTags(d, b.name, keyOf(g), tags);
  return emptyReply(200);
};

export const deleteObjectTagging: Handler = async (g, d) => {
  const b = bucketOf(g);
  checkVersionId(g);
  await putObjectTags(d, b.name, keyOf(g), []);
  return emptyReply(204);
};

export const getObjectAcl: Handler = async (g, d) => {
  const b = bucketOf(g);
  const record = await statObject(d, b.name, keyOf(g));
  return xmlReply(aclXml(record.owner));
};

const attributeNames = new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html */
export const getObjectAttributes: Handler = async (g, d) => {
  const b = bucketOf(g);
  checkVersionId(g);
  const raw = hdr(g, 'x-amz-object-attributes');
  const wanted = new Set(
    (raw ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
  if (wanted.size === 0) {
    throw new CofferError('InvalidArgument', 'Invalid attribute name specified.', {
      extra: { ArgumentName: 'x-amz-object-attributes', ArgumentValue: raw ?? '' },
    });
  }
  for (const w of wanted) {
    if (!attributeNames.has(w)) {
      throw new CofferError('InvalidArgument', 'Invalid attribute name specified.', {
        extra: { ArgumentName: 'x-amz-object-attributes', ArgumentValue: w },
      });
    }
  }
  const record = await statObject(d, b.name, keyOf(g));
  checkReadConditions(g, record);
  let xml = `${XML_DECL}<GetObjectAttributesResponse xmlns="${S3_NS}">`;
  if (wanted.has('ETag')) xml += el('ETag', record.etag);
  if (wanted.has('Checksum')) {
    let sums = '';
    for (const alg of checksumAlgorithms) {
      const v = record.checksums[alg];
      if (v !== undefined) sums += el(`Checksum${alg}`, v);
    }
    if (sums !== '') {
      xml += `<Checksum>${sums}${record.checksumType === undefined ? '' : el('ChecksumType', record.checksumType)}</Checksum>`;
    }
  }
  if (wanted.has('ObjectParts') && record.parts !== undefined) {
    const q = g.ctx.query;
    const maxParts = Math.min(Number(hdr(g, 'x-amz-max-parts') ?? q.get('max-parts') ?? 1000) || 1000, 1000);
    const marker = Number(hdr(g, 'x-amz-part-number-marker') ?? q.get('part-number-marker') ?? 0) || 0;
    const after = record.parts.filter((p) => p.partNumber > marker);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    // The member TotalPartsCount is serialised as <PartsCount> (S3 API model).
    xml += `<ObjectParts><PartsCount>${record.parts.length}</PartsCount>`;
    xml += `<PartNumberMarker>${marker}</PartNumberMarker>`;
    const last = page[page.length - 1];
    if (last !== undefined) xml += `<NextPartNumberMarker>${last.partNumber}</NextPartNumberMarker>`;
    xml += `<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>`;
    for (const p of page) {
      xml += `<Part><PartNumber>${p.partNumber}</PartNumber><Size>${p.size}</Size>`;
      for (const alg of checksumAlgorithms) {
        const v = p.checksums?.[alg];
        if (v !== undefined) xml += el(`Checksum${alg}`, v);
      }
      xml += '</Part>';
    }
    xml += '</ObjectParts>';
  }
  if (wanted.has('StorageClass')) xml += el('StorageClass', record.storageClass);
  if (wanted.has('ObjectSize')) xml += `<ObjectSize>${record.size}</ObjectSize>`;
  xml += '</GetObjectAttributesResponse>';
  return xmlReply(xml, 200, { 'last-modified': record.lastModified.toUTCString() });
};
