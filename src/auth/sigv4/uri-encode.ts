// SigV4 UriEncode over bytes: unreserved characters (A-Z a-z 0-9 - _ . ~) are kept, every other
// byte becomes %XX with upper-case hex; '/' is kept only where asked (paths).
// Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (UriEncode)

const HEX = '0123456789ABCDEF';
/** 1 = keep as is; index by byte value. */
const UNRESERVED = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) UNRESERVED[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) UNRESERVED[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) UNRESERVED[c] = 1;
for (const ch of '-_.~') UNRESERVED[ch.charCodeAt(0)] = 1;

/** Encodes bytes per SigV4 UriEncode; `keepSlash` leaves '/' alone (canonical URI). */
export function uriEncodeBytes(bytes: Uint8Array, keepSlash: boolean): string {
  let out = '';
  for (const b of bytes) {
    if (UNRESERVED[b] === 1 || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += '%' + HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}

const hexVal = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : c >= 0x61 && c <= 0x66 ? c - 87 : -1;

/**
 * Percent-decodes a raw URI component to bytes. A '%' not followed by two hex digits stays a
 * literal '%' (lenient, as S3 is); `plusIsSpace` applies form decoding (query strings only).
 */
export function percentDecode(raw: string, plusIsSpace: boolean): Buffer {
  const src = Buffer.from(raw, 'utf8');
  if (src.indexOf(0x25) === -1 && !(plusIsSpace && src.indexOf(0x2b) !== -1)) return src;
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25 && i + 2 < src.length) {
      const h = hexVal(src[i + 1]!);
      const l = hexVal(src[i + 2]!);
      if (h >= 0 && l >= 0) {
        out[n++] = (h << 4) | l;
        i += 2;
        continue;
      }
    }
    out[n++] = plusIsSpace && c === 0x2b ? 0x20 : c;
  }
  return out.subarray(0, n);
}

/** An upper-case hex digit's value, else -1 (canonical %XX escapes use upper case only). */
const upperHexVal = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : -1;

/**
 * True when `raw` already is its own canonical form: only unreserved characters ('/' where kept)
 * and upper-case %XX escapes of bytes that must be escaped. Most components sent by SDKs are, so
 * they skip the decode/encode round trip (two buffers and a string per component).
 */
function isCanonical(raw: string, keepSlash: boolean): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 128 && (UNRESERVED[c] === 1 || (keepSlash && c === 0x2f))) continue;
    if (c !== 0x25 || i + 2 >= raw.length) return false;
    const h = upperHexVal(raw.charCodeAt(i + 1));
    const l = upperHexVal(raw.charCodeAt(i + 2));
    if (h < 0 || l < 0) return false;
    const b = (h << 4) | l;
    if (UNRESERVED[b] === 1 || (keepSlash && b === 0x2f)) return false;
    i += 2;
  }
  return true;
}

/** Decodes then re-encodes: the canonical form of a raw (as sent) URI component. */
export function canonicalComponent(raw: string, keepSlash: boolean, plusIsSpace: boolean): string {
  if (isCanonical(raw, keepSlash)) return raw;
  return uriEncodeBytes(percentDecode(raw, plusIsSpace), keepSlash);
}

/** percentDecode to a UTF-8 string, without any buffer when there is nothing to decode. */
export function percentDecodeString(raw: string, plusIsSpace: boolean): string {
  const plus = plusIsSpace && raw.includes('+');
  if (!plus && !raw.includes('%')) return raw;
  // Well-formed escapes of UTF-8 (e.g. the '%2F's of X-Amz-Credential): the engine's own decoder,
  // no buffers. Malformed ones (which S3 keeps literally) make it throw: then the lenient path.
  if (!plus) {
    try {
      return decodeURIComponent(raw);
    } catch {
      // fall through
    }
  }
  return percentDecode(raw, plusIsSpace).toString('utf8');
}

/** SigV4 UriEncode of a (decoded) string. */
export const uriEncode = (s: string, keepSlash = false): string =>
  uriEncodeBytes(Buffer.from(s, 'utf8'), keepSlash);
