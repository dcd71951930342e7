// Canonical URI the S3 way: the path is NOT normalised ('.', '..', '//' are kept) and is encoded
// once. We decode the raw path and re-encode every byte per UriEncode (keeping '/'), so clients
// that escape a little differently ('!', '*', "'", '(', ')', '+', lower-case hex) still verify.
// Source: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
import { canonicalComponent } from './uri-encode.js';

/** Only unreserved characters and '/': already canonical, no work needed (the common case). */
const PLAIN_PATH = /^[A-Za-z0-9\-._~/]*$/;
/** Characters a raw path may carry literally on the wire (RFC 3986 pchar plus '/' and '%'). */
const WIRE_PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

export function canonicalUri(rawPath: string): string {
  if (rawPath === '') return '/';
  if (PLAIN_PATH.test(rawPath)) return rawPath;
  return canonicalComponent(rawPath, true, false);
}

/**
 * The path exactly as sent, for a second verification attempt when the re-encoded form did not
 * match (a client that signed its own, non-standard escaping, e.g. '%2F' or lower-case hex).
 * Undefined when it equals the canonical form or is not a plausible wire path.
 */
export function rawUriFallback(rawPath: string, canonical: string): string | undefined {
  if (rawPath === canonical || rawPath === '' || !WIRE_PATH.test(rawPath)) return undefined;
  return rawPath;
}
