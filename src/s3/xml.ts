// S3 XML on the wire: hand-built replies (escaping, url encoding-type, timestamps) because a library
// builder costs milliseconds per listing page, and request bodies parsed with fast-xml-parser into
// plain nodes, with malformed documents reported as MalformedXML.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CofferError } from '../errors/error.js';

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

// eslint-disable-next-line no-control-regex -- control characters must become numeric references
const needsEscape = /[&<>"'\u0000-\u001f]/;
// eslint-disable-next-line no-control-regex -- as above
const escapeAll = /[&<>"'\u0000-\u001f]/g;
const entities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text for element content and attribute values; control characters become numeric references. */
export function esc(s: string): string {
  if (!needsEscape.test(s)) return s;
  return s.replace(escapeAll, (c) => entities[c] ?? `&#${c.charCodeAt(0)};`);
}

/** `<Name>escaped</Name>`. */
export const el = (name: string, value: string): string => `<${name}>${esc(value)}</${name}>`;

/** `<Name>value</Name>` or nothing when the value is absent. */
export const optEl = (name: string, value: string | undefined): string =>
  value === undefined ? '' : `<${name}>${esc(value)}</${name}>`;

/**
 * `encoding-type=url`: S3 URL-encodes keys, prefixes, delimiters and markers in the reply so that
 * characters XML 1.0 cannot carry survive; clients decode with unquote_plus / decodeURIComponent.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html#AmazonS3-ListObjectsV2-request-header-EncodingType
 */
export function urlEncodeKey(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/');
}

/** S3 XML timestamps: ISO 8601 with milliseconds, `2009-10-12T17:50:30.000Z`. */
export const isoTime = (d: Date): string => d.toISOString();

// isoTimeMs keeps the `YYYY-MM-DDTHH:MM:` of the last minute it formatted: listing entries written
// close together share it, and the seconds are cheap to append.
let minuteStart = Number.NaN;
let minutePrefix = '';

/** `isoTime(new Date(ms))` without a Date per call: listings format a thousand of them per page. */
export function isoTimeMs(ms: number): string {
  let rem = ms - minuteStart;
  if (!(rem >= 0 && rem < 60_000)) {
    // Years 0000-9999 only; toISOString decides everything else (±YYYYYY, invalid).
    if (!Number.isInteger(ms) || ms < -62_167_219_200_000 || ms > 253_402_300_799_999) {
      return new Date(ms).toISOString();
    }
    rem = ((ms % 60_000) + 60_000) % 60_000;
    minuteStart = ms - rem;
    minutePrefix = new Date(minuteStart).toISOString().slice(0, 17);
  }
  const s = Math.floor(rem / 1000);
  const milli = rem - s * 1000;
  return `${minutePrefix}${s < 10 ? '0' : ''}${s}${milli < 10 ? '.00' : milli < 100 ? '.0' : '.'}${milli}Z`;
}

/** HTTP dates (Last-Modified): RFC 7231 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`. */
export const httpDate = (d: Date): string => d.toUTCString();

export const quoteETag = (etag: string): string => `"${etag}"`;

/** Strips quotes (and a weak prefix) from an ETag as clients send it. */
export function unquoteETag(s: string): string {
  let v = s.trim();
  if (v.startsWith('W/')) v = v.slice(2);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
  // Some clients send &quot;-escaped quotes inside XML that was already decoded once.
  return v.replace(/^&quot;|&quot;$/g, '');
}

// --- parsing ---

/** A parsed XML element: text for leaves, nested nodes (or arrays of them) otherwise. */
export type XmlNode = string | { [name: string]: XmlNode | XmlNode[] };

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  // Keys may begin or end with spaces: keep values exactly as sent.
  trimValues: false,
  ignoreDeclaration: true,
  processEntities: true,
  htmlEntities: true,
});

/**
 * Parses a request body and returns its root element, which must be `rootName`. Anything not
 * well-formed, or with another root, is MalformedXML, as S3 answers.
 */
export function parseXml(body: Buffer | string, rootName: string): XmlNode {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') throw new CofferError('MalformedXML');
  if (XMLValidator.validate(text) !== true) throw new CofferError('MalformedXML');
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch {
    throw new CofferError('MalformedXML');
  }
  if (typeof doc !== 'object' || doc === null) throw new CofferError('MalformedXML');
  const root = (doc as Record<string, unknown>)[rootName];
  if (root === undefined) throw new CofferError('MalformedXML');
  return root as XmlNode;
}

/** The children named `name` of a node, always as an array. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node === 'string') return [];
  const v = node[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Text of the single child `name`, or undefined; nested elements where text is expected are MalformedXML. */
export function text(node: XmlNode | undefined, name: string): string | undefined {
  const c = children(node, name);
  if (c.length === 0) return undefined;
  if (c.length > 1) throw new CofferError('MalformedXML');
  const v = c[0];
  if (typeof v === 'string') return v;
  // `<Value></Value>` parses as an empty node with no text.
  if (v !== undefined && Object.keys(v).every((k) => k === '#text')) {
    const t = v['#text'];
    return typeof t === 'string' ? t : '';
  }
  throw new CofferError('MalformedXML');
}
