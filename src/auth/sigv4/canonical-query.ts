// Canonical query string: every parameter decoded from the raw query and re-encoded per UriEncode,
// sorted by encoded name then value; a name without '=' gets an empty value; the presigned
// X-Amz-Signature is left out. '+' in a raw query is read as a space (form encoding), as S3 does.
// Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
import { canonicalComponent } from './uri-encode.js';
import { Q_SIGNATURE } from './constants.js';

export interface QueryParam {
  /** Decoded name and value. */
  name: string;
  value: string;
}

/** Splits a raw query into raw (still encoded) name/value pairs; empty segments are dropped. */
export function splitRawQuery(rawQuery: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (rawQuery === '') return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    out.push(eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)]);
  }
  return out;
}

const byNameThenValue = (a: [string, string], b: [string, string]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

/** Receives every raw (still encoded) name/value pair of a query, in order, during a scan. */
export interface RawParamSink {
  take(rawName: string, rawValue: string): void;
}

/**
 * One pass over the raw query: hands every pair to `sink` (if any) and builds the canonical query
 * directly when the pairs already are in canonical order (SDKs send them sorted), without arrays
 * or a sort; otherwise falls back to the general path. Same result as canonicalQuery.
 */
export function scanQuery(rawQuery: string, presigned: boolean, sink?: RawParamSink): string {
  if (rawQuery === '') return '';
  let out = '';
  let sorted = true;
  let prevName = '';
  let prevValue = '';
  const len = rawQuery.length;
  let start = 0;
  while (start <= len) {
    let end = rawQuery.indexOf('&', start);
    if (end === -1) end = len;
    if (end > start) {
      const eq = rawQuery.indexOf('=', start);
      const split = eq !== -1 && eq < end;
      const rawName = split ? rawQuery.slice(start, eq) : rawQuery.slice(start, end);
      const rawValue = split ? rawQuery.slice(eq + 1, end) : '';
      sink?.take(rawName, rawValue);
      // Presigned: the signature itself is not signed. Names are case-sensitive.
      if (sorted && !(presigned && rawName === Q_SIGNATURE)) {
        const n = canonicalComponent(rawName, false, true);
        const v = canonicalComponent(rawValue, false, true);
        if (out !== '' && (n < prevName || (n === prevName && v < prevValue))) sorted = false;
        else {
          out += (out === '' ? '' : '&') + n + '=' + v;
          prevName = n;
          prevValue = v;
        }
      }
    }
    start = end + 1;
  }
  return sorted ? out : sortedQuery(rawQuery, presigned);
}

export const canonicalQuery = (rawQuery: string, options: { presigned: boolean }): string =>
  scanQuery(rawQuery, options.presigned);

/** The general path: every pair encoded, then sorted by encoded name then value. */
function sortedQuery(rawQuery: string, presigned: boolean): string {
  const pairs: Array<[string, string]> = [];
  for (const [rawName, rawValue] of splitRawQuery(rawQuery)) {
    // Presigned: the signature itself is not signed. Names are case-sensitive.
    if (presigned && rawName === Q_SIGNATURE) continue;
    pairs.push([canonicalComponent(rawName, false, true), canonicalComponent(rawValue, false, true)]);
  }
  // Encoded strings are ASCII, so code-unit order is byte order, as SigV4 requires.
  pairs.sort(byNameThenValue);
  let out = '';
  for (const [n, v] of pairs) out += (out === '' ? '' : '&') + n + '=' + v;
  return out;
}
