// Pure HTTP semantics S3 applies to reads: byte ranges (RFC 7233 as S3 implements it: one range,
// suffix and open-ended forms) and conditional requests with AWS's precedence (RFC 7232 §6).
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
import { CofferError } from '../../errors/error.js';
import { unquoteETag } from '../xml.js';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * Parses a Range header against an object size. Returns undefined when the whole object should be
 * served (no header, a syntax S3 ignores, or several ranges, which S3 does not support and answers
 * with the full object); throws InvalidRange (416) when the range cannot be satisfied.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  const unsatisfiable = (): CofferError =>
    new CofferError('InvalidRange', undefined, {
      extra: { RangeRequested: header, ActualObjectSize: String(size) },
      headers: { 'content-range': `bytes */${size}` },
    });
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (b !== '' && Number(b) < start) return undefined; // syntactically invalid: ignored per RFC 7233
  if (start >= size) throw unsatisfiable();
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  return { start, end };
}

/** `x-amz-copy-source-range: bytes=a-b` must be a closed range within the source. */
export function parseCopySourceRange(header: string, size: number): ByteRange {
  const m = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  const start = Number(m?.[1]);
  const end = Number(m?.[2]);
  if (m === null || end < start || end >= size) {
    throw new CofferError(
      'InvalidArgument',
      `Range specified is not valid for source object of size: ${size}`,
      { extra: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header } },
    );
  }
  return { start, end };
}

export interface Conditions {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifUnmodifiedSince?: string | undefined;
}

export type ConditionOutcome = 'ok' | 'notModified' | 'preconditionFailed';

function etagListMatches(list: string, etag: string): boolean {
  for (const part of list.split(',')) {
    const t = part.trim();
    if (t === '*' || unquoteETag(t) === etag) return true;
  }
  return false;
}

/** Parses an HTTP date; invalid dates make the condition be ignored, as RFC 7232 says. */
function parseDate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Evaluates read preconditions. Precedence (RFC 7232 §6, as the GetObject reference spells out):
 * If-Match (then If-Unmodified-Since is ignored when it holds), else If-Unmodified-Since → 412;
 * If-None-Match (then If-Modified-Since is ignored), else If-Modified-Since → 304.
 * Dates compare at one-second resolution because Last-Modified has no fractions.
 */
export function evaluateConditions(c: Conditions, etag: string, lastModified: Date): ConditionOutcome {
  const modifiedSec = Math.floor(lastModified.getTime() / 1000);
  if (c.ifMatch !== undefined) {
    if (!etagListMatches(c.ifMatch, etag)) return 'preconditionFailed';
  } else {
    const t = parseDate(c.ifUnmodifiedSince);
    if (t !== undefined && modifiedSec > Math.floor(t / 1000)) return 'preconditionFailed';
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagListMatches(c.ifNoneMatch, etag)) return 'notModified';
  } else {
    const t = parseDate(c.ifModifiedSince);
    if (t !== undefined && modifiedSec <= Math.floor(t / 1000)) return 'notModified';
  }
  return 'ok';
}

/**
 * x-amz-copy-source-if-*: the same logic, but every failure is 412 (CopyObject reference:
 * "If both of the x-amz-copy-source-if-none-match and x-amz-copy-source-if-modified-since headers
 * are present … and x-amz-copy-source-if-none-match condition evaluates to false … 412").
 */
export function evaluateCopySourceConditions(c: Conditions, etag: string, lastModified: Date): void {
  if (evaluateConditions(c, etag, lastModified) !== 'ok') throw new CofferError('PreconditionFailed');
}
