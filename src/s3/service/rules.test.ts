// Unit tests of the pure service rules: bucket names, tags, checksum expectations.
import { describe, expect, it } from 'vitest';
import { bucketNameProblem } from './bucket-name.js';
import { parseBodyExpectation, verifyBody } from './checksum.js';
import { multipartETag } from './multipart.js';
import { parseTaggingHeader, validateTags } from './tags.js';

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
};

describe('bucket names', () => {
  it.each(['abc', 'my-bucket', 'my.bucket.1', 'a'.repeat(63), '1bucket'])('accepts %s', (n) => {
    expect(bucketNameProblem(n)).toBeUndefined();
  });
  it.each([
    'ab',
    'a'.repeat(64),
    'My-Bucket',
    '-abc',
    'abc-',
    'a..b',
    'a.-b',
    'a_b',
    '192.168.1.1',
    'xn--abc',
    'abc-s3alias',
    'abc--ol-s3',
    'sthree-abc',
    '.abc',
  ])('refuses %s', (n) => {
    expect(bucketNameProblem(n)).toBeDefined();
  });
});

describe('tags', () => {
  it('parses the x-amz-tagging header', () => {
    expect(parseTaggingHeader('a=1&b%20c=d%26e&empty=')).toEqual([
      { key: 'a', value: '1' },
      { key: 'b c', value: 'd&e' },
      { key: 'empty', value: '' },
    ]);
  });
  it('enforces limits', () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    expect(code(() => validateTags(many, 10))).toBe('InvalidTag');
    expect(code(() => validateTags([{ key: 'k'.repeat(129), value: '' }], 10))).toBe('InvalidTag');
    expect(code(() => validateTags([{ key: 'k', value: 'v'.repeat(257) }], 10))).toBe('InvalidTag');
    expect(code(() => validateTags([{ key: 'aws:x', value: '' }], 10))).toBe('InvalidTag');
    expect(
      code(() =>
        validateTags(
          [
            { key: 'a', value: '1' },
            { key: 'a', value: '2' },
          ],
          10,
        ),
      ),
    ).toBe('InvalidTag');
    expect(code(() => validateTags([{ key: '', value: '1' }], 10))).toBe('InvalidTag');
  });
});

describe('checksum expectations', () => {
  const crcOfHello = 'NhCmhg=='; // CRC32("hello")
  it('reads Content-MD5 and refuses malformed values', () => {
    expect(code(() => parseBodyExpectation({ 'content-md5': 'nope' }))).toBe('InvalidDigest');
    expect(code(() => parseBodyExpectation({ 'content-md5': Buffer.alloc(15).toString('base64') }))).toBe(
      'InvalidDigest',
    );
    expect(parseBodyExpectation({ 'content-md5': Buffer.alloc(16).toString('base64') }).md5).toHaveLength(16);
  });
  it('reads one x-amz-checksum header and validates its shape', () => {
    expect(parseBodyExpectation({ 'x-amz-checksum-crc32': crcOfHello })).toEqual({
      algorithm: 'CRC32',
      value: crcOfHello,
    });
    expect(code(() => parseBodyExpectation({ 'x-amz-checksum-crc32': 'AAAA' }))).toBe('InvalidRequest');
    expect(
      code(() =>
        parseBodyExpectation({ 'x-amz-checksum-crc32': crcOfHello, 'x-amz-checksum-crc32c': crcOfHello }),
      ),
    ).toBe('InvalidRequest');
  });
  it('reads trailer and sdk-algorithm forms, and presigned query values', () => {
    expect(parseBodyExpectation({ 'x-amz-trailer': 'x-amz-checksum-sha256' })).toEqual({
      algorithm: 'SHA256',
      value: 'trailer',
    });
    expect(parseBodyExpectation({ 'x-amz-sdk-checksum-algorithm': 'crc32c' })).toEqual({
      algorithm: 'CRC32C',
    });
    const q = new URLSearchParams({ 'x-amz-checksum-crc32': 'AAAAAA==' });
    expect(parseBodyExpectation({}, q)).toEqual({ algorithm: 'CRC32', value: 'AAAAAA==' });
  });
  it('verifies digests: BadDigest on mismatch, trailer values read after the body', () => {
    const digests = { MD5: Buffer.alloc(16), CRC32: Buffer.from(crcOfHello, 'base64') };
    expect(verifyBody({ algorithm: 'CRC32', value: crcOfHello }, digests, () => ({}))).toEqual({
      algorithm: 'CRC32',
      value: crcOfHello,
    });
    expect(code(() => verifyBody({ algorithm: 'CRC32', value: 'AAAAAA==' }, digests, () => ({})))).toBe(
      'BadDigest',
    );
    expect(code(() => verifyBody({ md5: Buffer.alloc(16, 1) }, digests, () => ({})))).toBe('BadDigest');
    expect(
      verifyBody({ algorithm: 'CRC32', value: 'trailer' }, digests, () => ({
        'x-amz-checksum-crc32': crcOfHello,
      })),
    ).toBeDefined();
    expect(code(() => verifyBody({ algorithm: 'CRC32', value: 'trailer' }, digests, () => ({})))).toBe(
      'InvalidRequest',
    );
  });
});

describe('multipart ETag', () => {
  it('is the MD5 of the binary part MD5s with the part count', () => {
    // Two parts whose MD5s are those of "a" and "b".
    const a = '0cc175b9c0f1b6a831c399e269772661';
    const b = '92eb5ffee6ae2fec3ad71c777531578f';
    expect(multipartETag([a, b])).toMatch(/^[0-9a-f]{32}-2$/);
  });
});
