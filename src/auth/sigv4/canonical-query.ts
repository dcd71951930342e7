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

export function canonicalQuery(rawQuery: string, options: { presigned: boolean }): string {
  if (rawQuery === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const [rawName, rawValue] of splitRawQuery(rawQuery)) {
    // Presigned: the signature itself is not signed. Names are case-sensitive.
    if (options.presigned && rawName === Q_SIGNATURE) continue;
    pairs.push([canonicalComponent(rawName, false, true), canonicalComponent(rawValue, false, true)]);
  }
  // Encoded strings are ASCII, so code-unit order is byte order, as SigV4 requires.
  pairs.sort(byNameThenValue);
  let out = '';
  for (const [n, v] of pairs) out += (out === '' ? '' : '&') + n + '=' + v;
  return out;
}
