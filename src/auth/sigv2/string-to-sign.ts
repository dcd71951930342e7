// SigV2 (S3 REST) string to sign: Method, Content-MD5, Content-Type, Date (or Expires for the
// query form; empty when x-amz-date is sent), canonicalised x-amz-* headers, canonicalised resource.
// Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
import { percentDecode } from '../../kernel/query.js';
import { splitRawQuery } from '../sigv4/canonical-query.js';
import type { HeaderBag } from '../sigv4/canonical-headers.js';

/** Query parameters that name a sub-resource and so are part of the canonical resource (sorted). */
export const SUB_RESOURCES: ReadonlySet<string> = new Set([
  'accelerate',
  'acl',
  'analytics',
  'cors',
  'delete',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'location',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'partNumber',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'retention',
  'select',
  'select-type',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
]);

const one = (v: string | string[] | undefined): string =>
  v === undefined ? '' : typeof v === 'string' ? v : v.join(',');

const unfold = (v: string): string => v.replace(/[ \t]*\r?\n[ \t]*/g, ' ').trim();

/** `x-amz-*` headers: lower-case names, sorted, `name:value\n`, repeated values joined with ','. */
export function canonicalAmzHeaders(headers: HeaderBag): string {
  const names = Object.keys(headers)
    .filter((n) => n.startsWith('x-amz-') && headers[n] !== undefined)
    .sort();
  let out = '';
  for (const n of names) {
    const v = headers[n];
    const value = typeof v === 'string' ? unfold(v) : (v ?? []).map(unfold).join(',');
    out += n + ':' + value + '\n';
  }
  return out;
}

/**
 * `[/bucket]/path[?sub-resources]`: the path as sent (still encoded), preceded by the bucket for
 * virtual-hosted requests; sub-resource values are decoded (the spec signs them unencoded).
 */
export function canonicalResource(rawPath: string, rawQuery: string, hostBucket?: string): string {
  let out = (hostBucket === undefined ? '' : '/' + hostBucket) + (rawPath === '' ? '/' : rawPath);
  const subs: Array<[string, string | undefined]> = [];
  for (const [name, value] of splitRawQuery(rawQuery)) {
    if (!SUB_RESOURCES.has(name)) continue;
    const eq = rawQuery.includes(name + '=');
    subs.push([name, value === '' && !eq ? undefined : percentDecode(value, true).toString('utf8')]);
  }
  if (subs.length > 0) {
    subs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    out += '?' + subs.map(([n, v]) => (v === undefined ? n : n + '=' + v)).join('&');
  }
  return out;
}

export interface V2StringToSignInput {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: HeaderBag;
  /** The Date line: the Date header, the Expires parameter (query form), or '' with x-amz-date. */
  dateLine: string;
  hostBucket?: string;
}

export function v2StringToSign(i: V2StringToSignInput): string {
  return (
    i.method +
    '\n' +
    one(i.headers['content-md5']) +
    '\n' +
    one(i.headers['content-type']) +
    '\n' +
    i.dateLine +
    '\n' +
    canonicalAmzHeaders(i.headers) +
    canonicalResource(i.rawPath, i.rawQuery, i.hostBucket)
  );
}
