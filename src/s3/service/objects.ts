// The object service over the ports: atomic writes (stream → temp with digests → verify → commit →
// index; a failed verification discards the temp, so nothing half-written remains), reads that
// revalidate the index against the file (size and mtime, for files changed through POSIX), copies
// and deletes. Records are read through the surface's object cache (object-cache.ts), which every
// write here passes through; the size/mtime check also guards cached records.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CofferError } from '../../errors/error.js';
import type { ChecksumAlgorithm, DigestName } from '../../kernel/checksums.js';
import type { ContentHeaders, ObjectRecord, Tag } from '../../meta/ports.js';
import type { BlobReader, TempBlob } from '../../storage/ports.js';
import { digestsFor, verifyBody, type BodyExpectation } from './checksum.js';
import type { ServiceDeps } from './deps.js';
import { CachedObjectStore, recheck } from './object-cache.js';

export const noSuchKey = (key: string): CofferError =>
  new CofferError('NoSuchKey', undefined, { extra: { Key: key } });

export interface WriteConditions {
  /** `*`: only create (412 if the key exists). */
  ifNoneMatch?: string;
  /** Only overwrite this ETag (412 on mismatch, NoSuchKey if absent). */
  ifMatch?: string;
}

export interface PutObjectInput {
  bucket: string;
  key: string;
  body: Readable;
  expectedSize?: number | undefined;
  expectation: BodyExpectation;
  trailers: () => Readonly<Record<string, string>>;
  headers: ContentHeaders;
  userMetadata: Record<string, string>;
  tags: Tag[];
  owner: string;
  storageClass: string;
  conditions?: WriteConditions;
}

async function checkWriteConditions(
  d: ServiceDeps,
  bucket: string,
  key: string,
  c: WriteConditions | undefined,
): Promise<void> {
  if (c === undefined || (c.ifNoneMatch === undefined && c.ifMatch === undefined)) return;
  const existing = await d.meta.objects.get(bucket, key);
  if (c.ifNoneMatch !== undefined && existing !== undefined) {
    if (c.ifNoneMatch.trim() === '*' || c.ifNoneMatch.includes(existing.etag)) {
      throw new CofferError('PreconditionFailed', undefined, { extra: { Condition: 'If-None-Match' } });
    }
  }
  if (c.ifMatch !== undefined) {
    if (existing === undefined) throw noSuchKey(key);
    if (c.ifMatch.trim() !== '*' && !c.ifMatch.includes(existing.etag)) {
      throw new CofferError('PreconditionFailed', undefined, { extra: { Condition: 'If-Match' } });
    }
  }
}

/** Commits a verified temp blob as the object and indexes it; discards the temp on any failure. */
async function commitObject(
  d: ServiceDeps,
  temp: TempBlob,
  record: Omit<ObjectRecord, 'fileMtimeMs' | 'size'>,
  conditions: WriteConditions | undefined,
): Promise<ObjectRecord> {
  try {
    // Re-checked after the upload so a conditional PUT loses no race it could have seen.
    await checkWriteConditions(d, record.bucket, record.key, conditions);
  } catch (e) {
    await d.blobs.discard(temp);
    throw e;
  }
  const info = await d.blobs.commit(temp, record.bucket, record.key);
  const full: ObjectRecord = { ...record, size: temp.size, fileMtimeMs: info.mtimeMs };
  // The index row is written while the rename is being made durable: the two fsyncs (directory,
  // index WAL) run side by side instead of one after the other. A crash between them leaves an
  // index row whose file is the old one or missing, which reads detect (size/mtime) and repair; the
  // PUT was never acknowledged, so either outcome is allowed.
  await Promise.all([info.durable, d.meta.objects.put(full)]);
  return full;
}

export async function putObject(d: ServiceDeps, input: PutObjectInput): Promise<ObjectRecord> {
  d.blobs.checkKey(input.key);
  await checkWriteConditions(d, input.bucket, input.key, input.conditions);
  const opts: { digests: DigestName[]; maxSize: number; expectedSize?: number } = {
    digests: digestsFor(input.expectation),
    maxSize: d.config.maxObjectSize,
  };
  if (input.expectedSize !== undefined) opts.expectedSize = input.expectedSize;
  const temp = await d.blobs.writeTemp(input.body, opts);
  let checksum: ReturnType<typeof verifyBody>;
  try {
    checksum = verifyBody(input.expectation, temp.digests, input.trailers);
  } catch (e) {
    await d.blobs.discard(temp);
    throw e;
  }
  const md5 = temp.digests.MD5;
  if (md5 === undefined) throw new Error('blob store did not compute MD5');
  const record: Omit<ObjectRecord, 'fileMtimeMs' | 'size'> = {
    bucket: input.bucket,
    key: input.key,
    etag: md5.toString('hex'),
    lastModified: new Date(),
    headers: input.headers,
    userMetadata: input.userMetadata,
    checksums: checksum === undefined ? {} : { [checksum.algorithm]: checksum.value },
    tags: input.tags,
    owner: input.owner,
    storageClass: input.storageClass,
  };
  if (checksum !== undefined) record.checksumType = 'FULL_OBJECT';
  return commitObject(d, temp, record, input.conditions);
}

function hashStream(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const h = createHash('md5');
    stream.on('data', (c: Buffer) => h.update(c));
    stream.once('error', reject);
    stream.once('end', () => resolve(h.digest()));
  });
}

/**
 * The file changed behind the index (POSIX write): re-read it to recompute the ETag, drop checksums
 * and the part layout that no longer describe it, and store the refreshed record.
 */
async function refresh(d: ServiceDeps, record: ObjectRecord): Promise<ObjectRecord | undefined> {
  const reader = await d.blobs.open(record.bucket, record.key);
  if (reader === undefined) return undefined;
  // The reader closes its descriptor when the stream ends.
  const md5 = await hashStream(reader.stream());
  const { parts: _parts, checksumType: _type, ...rest } = record;
  const updated: ObjectRecord = {
    ...rest,
    size: reader.size,
    etag: md5.toString('hex'),
    lastModified: new Date(Math.floor(reader.mtimeMs)),
    checksums: {},
    fileMtimeMs: reader.mtimeMs,
  };
  await d.meta.objects.put(updated);
  return updated;
}

async function vanished(d: ServiceDeps, bucket: string, key: string): Promise<never> {
  await d.meta.objects.delete(bucket, key);
  throw noSuchKey(key);
}

/** The object's record and an open reader, revalidated against the file. NoSuchKey if either is missing. */
/**
 * The source of a copy (CopyObject, UploadPartCopy): as openObject, but a source bucket that does
 * not exist is NoSuchBucket, as S3 says, rather than NoSuchKey. Looked up only on that failure.
 */
export async function openCopySource(
  d: ServiceDeps,
  source: { bucket: string; key: string },
): Promise<{ record: ObjectRecord; reader: BlobReader }> {
  try {
    return await openObject(d, source.bucket, source.key);
  } catch (e) {
    if (
      e instanceof CofferError &&
      e.code === 'NoSuchKey' &&
      (await d.meta.buckets.get(source.bucket)) === undefined
    ) {
      throw new CofferError('NoSuchBucket', undefined, { extra: { BucketName: source.bucket } });
    }
    throw e;
  }
}

export async function openObject(
  d: ServiceDeps,
  bucket: string,
  key: string,
): Promise<{ record: ObjectRecord; reader: BlobReader }> {
  // Fast path, without a promise per step: a fresh cached record that the opened file still matches.
  const cached = d.meta.objects instanceof CachedObjectStore ? d.meta.objects.peek(bucket, key) : undefined;
  if (cached !== undefined && d.blobs.openNow !== undefined) {
    const opened = d.blobs.openNow(bucket, key);
    if (opened !== undefined) {
      if (opened.size === cached.size && opened.mtimeMs === cached.fileMtimeMs) {
        return { record: cached, reader: opened };
      }
      opened.close();
    }
  }
  const [record, reader] = await Promise.all([d.meta.objects.get(bucket, key), d.blobs.open(bucket, key)]);
  if (record === undefined) {
    reader?.close();
    throw noSuchKey(key);
  }
  if (reader === undefined) return vanished(d, bucket, key);
  if (reader.size === record.size && reader.mtimeMs === record.fileMtimeMs) return { record, reader };
  // A cached record may be outdated by a write through another server: ask the index before
  // taking the difference for a change made through POSIX.
  const current = await recheck(d.meta.objects, bucket, key, record);
  if (current === undefined) {
    reader.close();
    throw noSuchKey(key);
  }
  if (reader.size === current.size && reader.mtimeMs === current.fileMtimeMs)
    return { record: current, reader };
  reader.close();
  const updated = await refresh(d, current);
  if (updated === undefined) return vanished(d, bucket, key);
  const again = await d.blobs.open(bucket, key);
  if (again === undefined) return vanished(d, bucket, key);
  return { record: updated, reader: again };
}

/** The object's record, revalidated with a stat (HEAD and attribute reads). */
export async function statObject(d: ServiceDeps, bucket: string, key: string): Promise<ObjectRecord> {
  // Fast path, without a promise per step: a fresh cached record that the file still matches.
  const cached = d.meta.objects instanceof CachedObjectStore ? d.meta.objects.peek(bucket, key) : undefined;
  if (cached !== undefined && d.blobs.statNow !== undefined) {
    const now = d.blobs.statNow(bucket, key);
    if (now !== undefined && now.size === cached.size && now.mtimeMs === cached.fileMtimeMs) return cached;
  }
  const [record, info] = await Promise.all([d.meta.objects.get(bucket, key), d.blobs.stat(bucket, key)]);
  if (record === undefined) throw noSuchKey(key);
  if (info === undefined) return vanished(d, bucket, key);
  if (info.size === record.size && info.mtimeMs === record.fileMtimeMs) return record;
  const current = await recheck(d.meta.objects, bucket, key, record);
  if (current === undefined) throw noSuchKey(key);
  if (info.size === current.size && info.mtimeMs === current.fileMtimeMs) return current;
  const updated = await refresh(d, current);
  if (updated === undefined) return vanished(d, bucket, key);
  return updated;
}

/** DeleteObject: the file first, then the index row; absent keys are not an error (S3 answers 204). */
export async function deleteObject(d: ServiceDeps, bucket: string, key: string): Promise<void> {
  await d.blobs.delete(bucket, key);
  await d.meta.objects.delete(bucket, key);
}

export interface CopyObjectInput {
  source: { bucket: string; key: string };
  bucket: string;
  key: string;
  /** Source conditions are checked by the caller through this hook once the source record is known. */
  checkSource: (source: ObjectRecord) => void;
  metadataDirective: 'COPY' | 'REPLACE';
  taggingDirective: 'COPY' | 'REPLACE';
  /** Used when metadataDirective is REPLACE. */
  headers: ContentHeaders;
  userMetadata: Record<string, string>;
  /** Used when taggingDirective is REPLACE. */
  tags: Tag[];
  owner: string;
  storageClass?: string | undefined;
  checksumAlgorithm?: ChecksumAlgorithm | undefined;
  conditions?: WriteConditions;
}

export async function copyObject(d: ServiceDeps, input: CopyObjectInput): Promise<ObjectRecord> {
  d.blobs.checkKey(input.key);
  const { record: src, reader } = await openCopySource(d, input.source);
  // The reader closes itself when its stream ends or is destroyed; otherwise we close it, once.
  let streamed = false;
  try {
    input.checkSource(src);
    const replace = input.metadataDirective === 'REPLACE';
    const sameKey = input.source.bucket === input.bucket && input.source.key === input.key;
    // As in S3, a copy is STANDARD unless the request names a class: it does not inherit the source's.
    const storageClass = input.storageClass ?? 'STANDARD';
    const alg = input.checksumAlgorithm ?? (Object.keys(src.checksums)[0] as ChecksumAlgorithm | undefined);
    if (sameKey && !replace && storageClass === src.storageClass && input.checksumAlgorithm === undefined) {
      throw new CofferError(
        'InvalidRequest',
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const base = {
      bucket: input.bucket,
      key: input.key,
      lastModified: new Date(),
      headers: replace ? input.headers : src.headers,
      userMetadata: replace ? input.userMetadata : src.userMetadata,
      tags: input.taggingDirective === 'REPLACE' ? input.tags : src.tags,
      owner: input.owner,
      storageClass,
    };
    // Before either path: a conditional copy onto the object itself is still conditional.
    await checkWriteConditions(d, input.bucket, input.key, input.conditions);
    if (
      sameKey &&
      (input.checksumAlgorithm === undefined || src.checksums[input.checksumAlgorithm] !== undefined)
    ) {
      // In-place metadata replace: the bytes do not change, only the index row.
      const updated: ObjectRecord = { ...src, ...base };
      await d.meta.objects.put(updated);
      return updated;
    }
    streamed = true;
    const temp = await d.blobs.writeTemp(reader.stream(), {
      digests: alg === undefined ? [] : [alg],
      expectedSize: src.size,
    });
    const md5 = temp.digests.MD5;
    if (md5 === undefined) throw new Error('blob store did not compute MD5');
    const sum = alg === undefined ? undefined : temp.digests[alg];
    const record: Omit<ObjectRecord, 'fileMtimeMs' | 'size'> = {
      ...base,
      etag: md5.toString('hex'),
      checksums: alg === undefined || sum === undefined ? {} : { [alg]: sum.toString('base64') },
    };
    if (alg !== undefined) record.checksumType = 'FULL_OBJECT';
    return await commitObject(d, temp, record, input.conditions);
  } finally {
    if (!streamed) reader.close();
  }
}

export async function putObjectTags(d: ServiceDeps, bucket: string, key: string, tags: Tag[]): Promise<void> {
  const record = await statObject(d, bucket, key);
  await d.meta.objects.put({ ...record, tags });
}
