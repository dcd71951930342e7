// The multipart service: uploads and parts over the ports. Parts are streamed to temps and committed
// under the upload; Complete validates the part list as S3 does, assembles the parts by streaming
// (never in memory), commits the object with its part layout and removes the upload.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CofferError } from '../../errors/error.js';
import { createDigester, type ChecksumAlgorithm, type DigestName } from '../../kernel/checksums.js';
import type {
  ContentHeaders,
  MultipartUploadRecord,
  ObjectRecord,
  PartInfo,
  PartRecord,
  Tag,
} from '../../meta/ports.js';
import { digestsFor, verifyBody, type BodyExpectation } from './checksum.js';
import type { ServiceDeps } from './deps.js';
import { openCopySource } from './objects.js';

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;
export const MAX_PART_SIZE = 5 * 1024 ** 3;

export const noSuchUpload = (uploadId: string): CofferError =>
  new CofferError('NoSuchUpload', undefined, { extra: { UploadId: uploadId } });

const STARTS_ALNUM = /^[A-Za-z0-9]/;

/**
 * Upload ids are random and URL-safe (they travel in query strings and name a directory), and start
 * with a letter or digit: base64url may start with '-', and command-line parsers take such a value
 * for an option (`aws s3api upload-part --upload-id -xtY…` fails with "expected one argument"), as
 * 1 upload in 64 did. S3's own ids never start with '-'.
 */
export function newUploadId(): string {
  for (;;) {
    const id = randomBytes(24).toString('base64url');
    if (STARTS_ALNUM.test(id)) return id;
  }
}

export interface CreateUploadInput {
  bucket: string;
  key: string;
  owner: string;
  headers: ContentHeaders;
  userMetadata: Record<string, string>;
  tags: Tag[];
  storageClass: string;
  checksumAlgorithm?: ChecksumAlgorithm | undefined;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE' | undefined;
}

export async function createUpload(d: ServiceDeps, input: CreateUploadInput): Promise<MultipartUploadRecord> {
  d.blobs.checkKey(input.key);
  // Refused now rather than at Complete, after the parts were uploaded (Complete checks again).
  d.blobs.checkPlace?.(input.bucket, input.key);
  const upload: MultipartUploadRecord = {
    uploadId: newUploadId(),
    bucket: input.bucket,
    key: input.key,
    initiated: new Date(),
    owner: input.owner,
    headers: input.headers,
    userMetadata: input.userMetadata,
    tags: input.tags,
    storageClass: input.storageClass,
  };
  if (input.checksumAlgorithm !== undefined) {
    upload.checksumAlgorithm = input.checksumAlgorithm;
    // S3's default: full-object for CRC64NVME, composite for the others.
    upload.checksumType =
      input.checksumType ?? (input.checksumAlgorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  }
  await d.meta.multipart.create(upload);
  return upload;
}

/** The upload, which must belong to this bucket and key. */
export async function getUpload(
  d: ServiceDeps,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<MultipartUploadRecord> {
  const upload = await d.meta.multipart.get(uploadId);
  if (upload === undefined || upload.bucket !== bucket || upload.key !== key) throw noSuchUpload(uploadId);
  return upload;
}

export function parsePartNumber(value: string | null): number {
  const n = value === null ? NaN : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PART_NUMBER || !/^\d+$/.test(value ?? '')) {
    throw new CofferError(
      'InvalidArgument',
      'Part number must be an integer between 1 and 10000, inclusive',
      {
        extra: { ArgumentName: 'partNumber', ArgumentValue: value ?? '' },
      },
    );
  }
  return n;
}

export interface UploadPartInput {
  upload: MultipartUploadRecord;
  partNumber: number;
  body: Readable;
  expectedSize?: number | undefined;
  expectation: BodyExpectation;
  trailers: () => Readonly<Record<string, string>>;
}

async function storePart(
  d: ServiceDeps,
  upload: MultipartUploadRecord,
  partNumber: number,
  body: Readable,
  opts: { digests: DigestName[]; expectedSize?: number },
  verify: (digests: Partial<Record<DigestName, Buffer>>) => void,
): Promise<PartRecord> {
  const temp = await d.blobs.writeTemp(body, { ...opts, maxSize: MAX_PART_SIZE });
  try {
    verify(temp.digests);
    const md5 = temp.digests.MD5;
    if (md5 === undefined) throw new Error('blob store did not compute MD5');
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const alg of opts.digests) {
      const v = temp.digests[alg];
      if (alg !== 'MD5' && v !== undefined) checksums[alg] = v.toString('base64');
    }
    // The upload may have been completed or aborted while the body streamed.
    if ((await d.meta.multipart.get(upload.uploadId)) === undefined) throw noSuchUpload(upload.uploadId);
    await d.blobs.commitPart(temp, upload.uploadId, partNumber);
    const part: PartRecord = {
      uploadId: upload.uploadId,
      partNumber,
      size: temp.size,
      etag: md5.toString('hex'),
      lastModified: new Date(),
    };
    if (Object.keys(checksums).length > 0) part.checksums = checksums;
    await d.meta.multipart.putPart(part);
    // An abort (or completion) that landed between the check above and the rename has removed the
    // upload's row, directory and part rows, and commitPart then recreated the directory: check again
    // now that the part is fully recorded. Whichever way the race went, either the abort runs after
    // this check (and removes this part with the rest) or this request removes what it left.
    if ((await d.meta.multipart.get(upload.uploadId)) === undefined) {
      await discardUpload(d, upload.uploadId);
      throw noSuchUpload(upload.uploadId);
    }
    return part;
  } catch (e) {
    await d.blobs.discard(temp).catch(() => undefined);
    throw e;
  }
}

/**
 * A part's checksum must be of the upload's algorithm, as S3 requires: a part checksummed otherwise
 * could not go into the object's checksum. A COMPOSITE upload needs each part's checksum from the
 * client (the object's checksum is built from them, so each must be one the client vouched for); a
 * FULL_OBJECT one is computed over the whole object anyway.
 */
function checkPartChecksum(upload: MultipartUploadRecord, expectation: BodyExpectation): void {
  const want = upload.checksumAlgorithm;
  const got = expectation.algorithm;
  // An upload created without an algorithm takes parts with any checksum or none (SDKs send CRC32
  // on every part since S3's 2025 default checksums).
  if (want === undefined || got === want) return;
  if (got === undefined && upload.checksumType === 'FULL_OBJECT') return;
  throw new CofferError(
    'InvalidRequest',
    `Checksum Type mismatch occurred, expected checksum Type: ${want.toLowerCase()}, actual checksum Type: ${got === undefined ? 'null' : got.toLowerCase()}`,
  );
}

export async function uploadPart(d: ServiceDeps, input: UploadPartInput): Promise<PartRecord> {
  checkPartChecksum(input.upload, input.expectation);
  const opts: { digests: DigestName[]; expectedSize?: number } = {
    // The upload's own algorithm is computed on every part so Complete can build the object checksum.
    digests: digestsFor(input.expectation, input.upload.checksumAlgorithm),
  };
  if (input.expectedSize !== undefined) opts.expectedSize = input.expectedSize;
  return storePart(d, input.upload, input.partNumber, input.body, opts, (digests) => {
    verifyBody(input.expectation, digests, input.trailers);
  });
}

export interface UploadPartCopyInput {
  upload: MultipartUploadRecord;
  partNumber: number;
  source: { bucket: string; key: string };
  checkSource: (source: ObjectRecord) => void;
  /** Resolves the x-amz-copy-source-range against the source size. */
  range: (size: number) => { start: number; end: number } | undefined;
}

export async function uploadPartCopy(d: ServiceDeps, input: UploadPartCopyInput): Promise<PartRecord> {
  const { record, reader } = await openCopySource(d, input.source);
  let stream: Readable;
  let size: number;
  try {
    input.checkSource(record);
    const r = input.range(record.size);
    size = r === undefined ? record.size : r.end - r.start + 1;
    stream = r === undefined ? reader.stream() : reader.stream(r.start, r.end);
  } catch (e) {
    reader.close();
    throw e;
  }
  const digests: DigestName[] =
    input.upload.checksumAlgorithm === undefined ? [] : [input.upload.checksumAlgorithm];
  return storePart(
    d,
    input.upload,
    input.partNumber,
    stream,
    { digests, expectedSize: size },
    () => undefined,
  );
}

export interface CompletePart {
  partNumber: number;
  etag: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

const invalidPart = (p: CompletePart): CofferError =>
  new CofferError('InvalidPart', undefined, { extra: { PartNumber: String(p.partNumber), ETag: p.etag } });

/** ETag of a multipart object: MD5 of the concatenated binary part MD5s, then `-<count>`. */
export function multipartETag(partETags: readonly string[]): string {
  const h = createHash('md5');
  for (const e of partETags) h.update(Buffer.from(e, 'hex'));
  return `${h.digest('hex')}-${partETags.length}`;
}

/** COMPOSITE checksum: the algorithm over the concatenated binary part checksums, then `-<count>`. */
async function compositeChecksum(alg: ChecksumAlgorithm, partSums: readonly string[]): Promise<string> {
  const dg = createDigester(alg);
  for (const s of partSums) dg.update(Buffer.from(s, 'base64'));
  if (dg.finish) await dg.finish();
  return `${dg.digest().toString('base64')}-${partSums.length}`;
}

export interface CompleteInput {
  upload: MultipartUploadRecord;
  parts: CompletePart[];
}

/** Validates the part list against what was uploaded and returns the stored parts in order. */
export async function validateCompletion(d: ServiceDeps, input: CompleteInput): Promise<PartRecord[]> {
  const { upload, parts } = input;
  if (parts.length === 0) {
    throw new CofferError('MalformedXML', 'You must specify at least one part');
  }
  for (let i = 1; i < parts.length; i++) {
    const prev = parts[i - 1];
    const cur = parts[i];
    if (prev !== undefined && cur !== undefined && cur.partNumber <= prev.partNumber) {
      throw new CofferError('InvalidPartOrder', undefined, { extra: { UploadId: upload.uploadId } });
    }
  }
  const stored = await d.meta.multipart.listParts(upload.uploadId, 0, MAX_PART_NUMBER);
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const chosen: PartRecord[] = [];
  const composite = upload.checksumAlgorithm !== undefined && upload.checksumType !== 'FULL_OBJECT';
  for (const [i, p] of parts.entries()) {
    const s = byNumber.get(p.partNumber);
    if (s === undefined || s.etag !== p.etag) throw invalidPart(p);
    // The object's COMPOSITE checksum is made of the parts' checksums: the client must name each one.
    if (
      composite &&
      upload.checksumAlgorithm !== undefined &&
      p.checksums[upload.checksumAlgorithm] === undefined
    ) {
      throw new CofferError(
        'InvalidRequest',
        `The upload was created using a ${upload.checksumAlgorithm.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${p.partNumber} in the request.`,
      );
    }
    for (const [alg, v] of Object.entries(p.checksums)) {
      const have = s.checksums?.[alg as ChecksumAlgorithm];
      if (have !== undefined && have !== v) throw invalidPart(p);
    }
    if (i < parts.length - 1 && s.size < MIN_PART_SIZE) {
      throw new CofferError('EntityTooSmall', undefined, {
        extra: {
          ProposedSize: String(s.size),
          MinSizeAllowed: String(MIN_PART_SIZE),
          PartNumber: String(s.partNumber),
          ETag: s.etag,
        },
      });
    }
    chosen.push(s);
  }
  return chosen;
}

/** Assembles validated parts into the object, indexes it with its part layout and removes the upload. */
export async function completeUpload(
  d: ServiceDeps,
  upload: MultipartUploadRecord,
  parts: PartRecord[],
): Promise<ObjectRecord> {
  const alg = upload.checksumAlgorithm;
  const fullObject = alg !== undefined && upload.checksumType === 'FULL_OBJECT';
  const temp = await d.blobs.assemble(
    upload.uploadId,
    parts.map((p) => p.partNumber),
    { digests: fullObject ? [alg] : [] },
  );
  let checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
  let checksumType: 'FULL_OBJECT' | 'COMPOSITE' | undefined;
  try {
    if (alg !== undefined) {
      if (fullObject) {
        const v = temp.digests[alg];
        if (v !== undefined) {
          checksums = { [alg]: v.toString('base64') };
          checksumType = 'FULL_OBJECT';
        }
      } else {
        const sums = parts.map((p) => p.checksums?.[alg]);
        if (sums.every((s): s is string => s !== undefined)) {
          checksums = { [alg]: await compositeChecksum(alg, sums) };
          checksumType = 'COMPOSITE';
        }
      }
    }
    if ((await d.meta.multipart.get(upload.uploadId)) === undefined) throw noSuchUpload(upload.uploadId);
  } catch (e) {
    await d.blobs.discard(temp).catch(() => undefined);
    throw e;
  }
  const info = await d.blobs.commit(temp, upload.bucket, upload.key);
  const layout: PartInfo[] = parts.map((p) => {
    const info: PartInfo = { partNumber: p.partNumber, size: p.size, etag: p.etag };
    if (p.checksums !== undefined) info.checksums = p.checksums;
    return info;
  });
  const record: ObjectRecord = {
    bucket: upload.bucket,
    key: upload.key,
    size: temp.size,
    etag: multipartETag(parts.map((p) => p.etag)),
    lastModified: new Date(),
    headers: upload.headers,
    userMetadata: upload.userMetadata,
    checksums,
    tags: upload.tags,
    owner: upload.owner,
    storageClass: upload.storageClass,
    parts: layout,
    fileMtimeMs: info.mtimeMs,
  };
  if (checksumType !== undefined) record.checksumType = checksumType;
  // As for PutObject: the index row is written while the rename is made durable.
  await Promise.all([info.durable, d.meta.objects.put(record)]);
  await discardUpload(d, upload.uploadId);
  return record;
}

export async function abortUpload(d: ServiceDeps, upload: MultipartUploadRecord): Promise<void> {
  await discardUpload(d, upload.uploadId);
}

/** Removes an upload's rows, then its parts' files (idempotent: either may already be gone). */
async function discardUpload(d: ServiceDeps, uploadId: string): Promise<void> {
  await d.meta.multipart.delete(uploadId);
  await d.blobs.deleteUpload(uploadId);
}

/**
 * Start-up clean-up of what a stopped process (or a lost race) can leave: part directories of
 * uploads that no longer exist — a crash between an abort's row deletion and its directory removal —
 * and part rows without their upload. Uploads in progress are untouched: they have a row. Returns the
 * number of directories removed.
 */
export async function sweepOrphanUploads(d: Pick<ServiceDeps, 'meta' | 'blobs'>): Promise<number> {
  let removed = 0;
  for (const uploadId of await d.blobs.uploadIds()) {
    if ((await d.meta.multipart.get(uploadId)) !== undefined) continue;
    await d.blobs.deleteUpload(uploadId);
    removed++;
  }
  await d.meta.multipart.deleteOrphanParts();
  return removed;
}
