// SigV4 UriEncode over bytes: unreserved characters (A-Z a-z 0-9 - _ . ~) are kept, every other
// byte becomes %XX with upper-case hex; '/' is kept only where asked (paths).
// Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (UriEncode)

// The lenient percent-decoders live in the kernel: the request's decoded query uses them too.
import { percentDecode } from '../../kernel/query.js';

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

/** SigV4 UriEncode of a (decoded) string. */
export const uriEncode = (s: string, keepSlash = false): string =>
  uriEncodeBytes(Buffer.from(s, 'utf8'), keepSlash);
