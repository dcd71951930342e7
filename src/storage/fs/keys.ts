// Which S3 keys and bucket names can be files on disk (PRODUCT.md §6), decided before any path is
// built, so a key can never reach outside its bucket directory. Errors say which rule failed.
import { CofferError } from '../../errors/error.js';

/** S3's key limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** NAME_MAX of common filesystems (ext4, XFS, btrfs), in bytes. */
export const MAX_SEGMENT_BYTES = 255;
/** The directory under the data root that holds internal state; it can never be a bucket. */
export const INTERNAL_DIR = '.coffer';

// A lone surrogate would be written to disk as U+FFFD, so two keys would share one file.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const invalid = (key: string, why: string): CofferError =>
  new CofferError('InvalidObjectName', `The object key cannot be stored as a file: ${why}.`, {
    extra: { Key: key },
  });

/** Throws InvalidObjectName / KeyTooLongError unless `key` maps to a path inside its bucket. */
export function checkObjectKey(key: string): void {
  if (key.length === 0) throw invalid(key, 'it is empty');
  // Fast path for the common short ASCII-ish key: 3 bytes per UTF-16 unit at most.
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new CofferError('KeyTooLongError', `Your key is too long: the limit is ${MAX_KEY_BYTES} bytes.`);
  }
  if (key.includes('\0')) throw invalid(key, 'it contains a NUL character');
  if (LONE_SURROGATE.test(key)) throw invalid(key, 'it is not valid UTF-8 (a lone surrogate)');
  // A trailing '/' marks a directory marker: its segments are those before the slash.
  const end = key.endsWith('/') ? key.length - 1 : key.length;
  let start = 0;
  for (;;) {
    const slash = key.indexOf('/', start);
    const stop = slash < 0 || slash >= end ? end : slash;
    const segment = key.slice(start, stop);
    if (segment === '') {
      throw invalid(key, start === 0 ? 'it starts with "/"' : 'it contains an empty segment ("//")');
    }
    if (segment === '.' || segment === '..') throw invalid(key, `it contains a "${segment}" segment`);
    if (segment.length * 3 > MAX_SEGMENT_BYTES && Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw invalid(key, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
    if (stop >= end) return;
    start = stop + 1;
  }
}

/** Throws InvalidBucketName unless `bucket` is a plain directory name other than the internal one. */
export function checkBucketName(bucket: string): void {
  // S3's naming rules are enforced by the S3 layer; here only what keeps the layout safe.
  if (
    bucket.length === 0 ||
    bucket.startsWith('.') || // also refuses '.', '..' and '.coffer'
    bucket.includes('/') ||
    bucket.includes('\\') ||
    bucket.includes('\0') ||
    Buffer.byteLength(bucket) > MAX_SEGMENT_BYTES
  ) {
    throw new CofferError('InvalidBucketName', `The bucket name "${bucket}" cannot be a directory.`, {
      extra: { BucketName: bucket },
    });
  }
}

/** True for directory-marker keys (`photos/2024/`). */
export const isMarkerKey = (key: string): boolean => key.endsWith('/');
