// Unit tests of range parsing and conditional request evaluation (AWS precedence).
import { describe, expect, it } from 'vitest';
import { evaluateConditions, parseCopySourceRange, parseRange } from './http-semantics.js';

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
};

describe('parseRange', () => {
  it('handles closed, open-ended and suffix ranges', () => {
    expect(parseRange('bytes=0-4', 10)).toEqual({ start: 0, end: 4 });
    expect(parseRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=8-100', 10)).toEqual({ start: 8, end: 9 });
  });
  it('ignores what S3 ignores', () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange('bytes=0-1,3-4', 10)).toBeUndefined();
    expect(parseRange('items=0-1', 10)).toBeUndefined();
    expect(parseRange('bytes=5-2', 10)).toBeUndefined();
  });
  it('refuses unsatisfiable ranges with 416 and Content-Range */size', () => {
    expect(code(() => parseRange('bytes=10-', 10))).toBe('InvalidRange');
    expect(code(() => parseRange('bytes=-0', 10))).toBe('InvalidRange');
    expect(code(() => parseRange('bytes=0-', 0))).toBe('InvalidRange');
    try {
      parseRange('bytes=20-30', 10);
    } catch (e) {
      expect((e as { headers: Record<string, string> }).headers['content-range']).toBe('bytes */10');
    }
  });
  it('copy-source ranges must be closed and inside the source', () => {
    expect(parseCopySourceRange('bytes=0-9', 10)).toEqual({ start: 0, end: 9 });
    expect(code(() => parseCopySourceRange('bytes=0-10', 10))).toBe('InvalidArgument');
    expect(code(() => parseCopySourceRange('bytes=5-', 10))).toBe('InvalidArgument');
  });
});

describe('evaluateConditions', () => {
  const etag = 'abc';
  const lm = new Date('2024-01-02T03:04:05.678Z');
  const before = 'Mon, 01 Jan 2024 00:00:00 GMT';
  const same = lm.toUTCString();
  const after = 'Wed, 03 Jan 2024 00:00:00 GMT';
  it('If-Match / If-None-Match', () => {
    expect(evaluateConditions({ ifMatch: '"abc"' }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifMatch: '"x", "abc"' }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifMatch: '*' }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifMatch: '"x"' }, etag, lm)).toBe('preconditionFailed');
    expect(evaluateConditions({ ifNoneMatch: '"abc"' }, etag, lm)).toBe('notModified');
    expect(evaluateConditions({ ifNoneMatch: '"x"' }, etag, lm)).toBe('ok');
  });
  it('dates at one-second resolution', () => {
    expect(evaluateConditions({ ifModifiedSince: same }, etag, lm)).toBe('notModified');
    expect(evaluateConditions({ ifModifiedSince: before }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifUnmodifiedSince: before }, etag, lm)).toBe('preconditionFailed');
    expect(evaluateConditions({ ifUnmodifiedSince: same }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifModifiedSince: 'garbage' }, etag, lm)).toBe('ok');
  });
  it('AWS precedence: If-Match true beats If-Unmodified-Since false; If-None-Match beats If-Modified-Since', () => {
    expect(evaluateConditions({ ifMatch: '"abc"', ifUnmodifiedSince: before }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifNoneMatch: '"abc"', ifModifiedSince: before }, etag, lm)).toBe(
      'notModified',
    );
    expect(evaluateConditions({ ifNoneMatch: '"x"', ifModifiedSince: after }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifMatch: '"x"', ifNoneMatch: '"x"' }, etag, lm)).toBe('preconditionFailed');
  });
});
