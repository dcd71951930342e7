// Listing handlers: ListObjects (v1), ListObjectsV2 and ListObjectVersions (unversioned buckets:
// current objects as version `null`). The index does the O(log n) seek; this file turns markers and
// tokens into its `after` bound and builds the XML by hand (a 1000-key page in well under a ms).
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
import { CofferError } from '../../../errors/error.js';
import type { ListEntriesPage, ListEntry } from '../../../meta/ports.js';
import { S3_NS, XML_DECL, esc, isoTimeMs, urlEncodeKey } from '../../xml.js';
import type { Granted } from '../authorization.js';
import { xmlReply } from '../types.js';
import { bucketOf, type Handler } from './common.js';

export const MAX_KEYS = 1000;

export function parseMaxKeys(raw: string | null, name = 'max-keys'): number {
  if (raw === null) return MAX_KEYS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isFinite(n)) {
    throw new CofferError('InvalidArgument', `Provided ${name} not an integer or within integer range`, {
      extra: { ArgumentName: name, ArgumentValue: raw },
    });
  }
  return Math.min(n, MAX_KEYS);
}

/** `encoding-type`: only `url` exists. */
export function parseEncodingType(g: Granted): boolean {
  const v = g.ctx.query.get('encoding-type');
  if (v === null) return false;
  if (v.toLowerCase() !== 'url') {
    throw new CofferError('InvalidArgument', 'Invalid Encoding Method specified in Request', {
      extra: { ArgumentName: 'encoding-type', ArgumentValue: v },
    });
  }
  return true;
}

/** Continuation tokens are opaque to clients: base64url of the last key or common prefix returned. */
export const encodeToken = (after: string): string => Buffer.from(after, 'utf8').toString('base64url');

export function decodeToken(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new CofferError('InvalidArgument', 'The continuation token provided is incorrect', {
      extra: { ArgumentName: 'continuation-token', ArgumentValue: token },
    });
  }
  return Buffer.from(token, 'base64url').toString('utf8');
}

type Enc = (s: string) => string;
const plain: Enc = (s) => esc(s);
const encoded: Enc = (s) => urlEncodeKey(s);

// A page's objects nearly always share one owner: its element is built once.
let lastOwner: string | undefined;
let lastOwnerXml = '';

function ownerXml(owner: string): string {
  if (owner !== lastOwner) {
    const o = esc(owner);
    lastOwnerXml = `<Owner><ID>${o}</ID><DisplayName>${o}</DisplayName></Owner>`;
    lastOwner = owner;
  }
  return lastOwnerXml;
}

function algorithmsXml(algorithms: readonly string[]): string {
  let xml = '';
  for (const alg of algorithms) xml += `<ChecksumAlgorithm>${alg}</ChecksumAlgorithm>`;
  return xml;
}

/** Contents entries; the ETag's quotes are escaped as S3 does (&quot;). */
function contentsXml(objects: readonly ListEntry[], enc: Enc, fetchOwner: boolean): string {
  let xml = '';
  for (const o of objects) {
    xml += `<Contents><Key>${enc(o.key)}</Key><LastModified>${isoTimeMs(o.lastModifiedMs)}</LastModified><ETag>&quot;${o.etag}&quot;</ETag>`;
    if (o.checksumAlgorithms.length > 0) {
      xml += algorithmsXml(o.checksumAlgorithms);
      if (o.checksumType !== undefined) xml += `<ChecksumType>${o.checksumType}</ChecksumType>`;
    }
    xml += `<Size>${o.size}</Size>${fetchOwner ? ownerXml(o.owner) : ''}<StorageClass>${esc(o.storageClass)}</StorageClass></Contents>`;
  }
  return xml;
}

function prefixesXml(prefixes: readonly string[], enc: Enc): string {
  let xml = '';
  for (const p of prefixes) xml += `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`;
  return xml;
}

interface ListParams {
  prefix: string;
  delimiter: string | undefined;
  maxKeys: number;
  url: boolean;
}

function listParams(g: Granted): ListParams {
  const q = g.ctx.query;
  const delimiter = q.get('delimiter');
  return {
    prefix: q.get('prefix') ?? '',
    delimiter: delimiter === null || delimiter === '' ? undefined : delimiter,
    maxKeys: parseMaxKeys(q.get('max-keys')),
    url: parseEncodingType(g),
  };
}

async function page(
  g: Granted,
  d: Parameters<Handler>[1],
  p: ListParams,
  after: string | undefined,
): Promise<ListEntriesPage> {
  if (p.maxKeys === 0) return { objects: [], commonPrefixes: [], isTruncated: false };
  const query: Parameters<typeof d.meta.objects.listEntries>[0] = {
    bucket: bucketOf(g).name,
    prefix: p.prefix,
    maxKeys: p.maxKeys,
  };
  if (p.delimiter !== undefined) query.delimiter = p.delimiter;
  // A marker before the prefix means "from the start of the prefix".
  if (after !== undefined && after !== '') query.after = after;
  return d.meta.objects.listEntries(query);
}

function commonHead(name: string, bucket: string, p: ListParams, enc: Enc): string {
  let xml = `${XML_DECL}<${name} xmlns="${S3_NS}"><Name>${esc(bucket)}</Name><Prefix>${enc(p.prefix)}</Prefix>`;
  if (p.delimiter !== undefined) xml += `<Delimiter>${enc(p.delimiter)}</Delimiter>`;
  return xml;
}

export const listObjects: Handler = async (g, d) => {
  const b = bucketOf(g);
  const p = listParams(g);
  const enc = p.url ? encoded : plain;
  const marker = g.ctx.query.get('marker') ?? '';
  const result = await page(g, d, p, marker);
  let xml = commonHead('ListBucketResult', b.name, p, enc);
  xml += `<Marker>${enc(marker)}</Marker>`;
  // NextMarker is returned only with a delimiter; without one clients use the last key (API reference).
  if (result.isTruncated && p.delimiter !== undefined && result.last !== undefined) {
    xml += `<NextMarker>${enc(result.last)}</NextMarker>`;
  }
  xml += `<MaxKeys>${p.maxKeys}</MaxKeys>`;
  if (p.url) xml += '<EncodingType>url</EncodingType>';
  xml += `<IsTruncated>${result.isTruncated}</IsTruncated>`;
  xml += contentsXml(result.objects, enc, true);
  xml += prefixesXml(result.commonPrefixes, enc);
  return xmlReply(xml + '</ListBucketResult>');
};

export const listObjectsV2: Handler = async (g, d) => {
  const b = bucketOf(g);
  const q = g.ctx.query;
  const p = listParams(g);
  const enc = p.url ? encoded : plain;
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after');
  const fetchOwner = q.get('fetch-owner') === 'true';
  let after: string | undefined;
  if (token !== null) after = decodeToken(token);
  else if (startAfter !== null) after = startAfter;
  const result = await page(g, d, p, after);
  let xml = commonHead('ListBucketResult', b.name, p, enc);
  xml += `<MaxKeys>${p.maxKeys}</MaxKeys>`;
  if (p.url) xml += '<EncodingType>url</EncodingType>';
  xml += `<KeyCount>${result.objects.length + result.commonPrefixes.length}</KeyCount>`;
  if (token !== null) xml += `<ContinuationToken>${esc(token)}</ContinuationToken>`;
  if (result.isTruncated && result.last !== undefined) {
    xml += `<NextContinuationToken>${encodeToken(result.last)}</NextContinuationToken>`;
  }
  if (startAfter !== null) xml += `<StartAfter>${enc(startAfter)}</StartAfter>`;
  xml += `<IsTruncated>${result.isTruncated}</IsTruncated>`;
  xml += contentsXml(result.objects, enc, fetchOwner);
  xml += prefixesXml(result.commonPrefixes, enc);
  return xmlReply(xml + '</ListBucketResult>');
};

/**
 * ListObjectVersions on an unversioned bucket: each current object is its only version, `null`.
 * key-marker with any version-id-marker resumes after that key (its one version was returned).
 */
export const listObjectVersions: Handler = async (g, d) => {
  const b = bucketOf(g);
  const q = g.ctx.query;
  const p = listParams(g);
  const enc = p.url ? encoded : plain;
  const keyMarker = q.get('key-marker') ?? '';
  const versionIdMarker = q.get('version-id-marker');
  if (versionIdMarker !== null && versionIdMarker !== '' && keyMarker === '') {
    throw new CofferError(
      'InvalidArgument',
      'A version-id marker cannot be specified without a key marker.',
      {
        extra: { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker },
      },
    );
  }
  const result = await page(g, d, p, keyMarker);
  let xml = commonHead('ListVersionsResult', b.name, p, enc);
  xml += `<KeyMarker>${enc(keyMarker)}</KeyMarker><VersionIdMarker>${esc(versionIdMarker ?? '')}</VersionIdMarker>`;
  if (result.isTruncated && result.last !== undefined) {
    xml += `<NextKeyMarker>${enc(result.last)}</NextKeyMarker>`;
    const lastObject = result.objects[result.objects.length - 1];
    if (lastObject !== undefined && lastObject.key === result.last) {
      xml += '<NextVersionIdMarker>null</NextVersionIdMarker>';
    }
  }
  xml += `<MaxKeys>${p.maxKeys}</MaxKeys>`;
  if (p.url) xml += '<EncodingType>url</EncodingType>';
  xml += `<IsTruncated>${result.isTruncated}</IsTruncated>`;
  for (const o of result.objects) {
    xml +=
      `<Version><Key>${enc(o.key)}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>` +
      `<LastModified>${isoTimeMs(o.lastModifiedMs)}</LastModified><ETag>&quot;${o.etag}&quot;</ETag>`;
    if (o.checksumAlgorithms.length > 0) xml += algorithmsXml(o.checksumAlgorithms);
    xml += `<Size>${o.size}</Size><StorageClass>${esc(o.storageClass)}</StorageClass>${ownerXml(o.owner)}</Version>`;
  }
  xml += prefixesXml(result.commonPrefixes, enc);
  return xmlReply(xml + '</ListVersionsResult>');
};
