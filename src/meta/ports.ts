// The metadata index port: buckets, objects, multipart uploads. SQLite implements it now
// (src/meta/sqlite/), PostgreSQL later (src/meta/postgres/) against the same contract suite
// (src/meta/contract/). Async so that a networked database fits; SQL kept portable.
import type { ChecksumAlgorithm } from '../kernel/checksums.js';

export interface Tag {
  key: string;
  value: string;
}

export interface BucketRecord {
  name: string;
  tenantId: string;
  /** ARN or canonical id of the creating principal. */
  owner: string;
  createdAt: Date;
  region: string;
  tags: Tag[];
  /** CORS configuration as a JSON document (parsed rules), or undefined. */
  cors?: CorsRule[];
  /** Bucket policy JSON text, or undefined (issue 3+). */
  policy?: string;
}

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

/** Content headers stored with an object and returned on GET/HEAD. */
export interface ContentHeaders {
  contentType: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
}

export interface PartInfo {
  partNumber: number;
  size: number;
  etag: string;
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
}

export interface ObjectRecord {
  bucket: string;
  key: string;
  size: number;
  /** ETag without quotes: hex MD5, or `<hex>-<n>` for multipart. */
  etag: string;
  lastModified: Date;
  headers: ContentHeaders;
  /** x-amz-meta-* values, keys lower-cased without the prefix. */
  userMetadata: Record<string, string>;
  /** Base64 checksums the object carries (as S3 returns them in x-amz-checksum-*). */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  tags: Tag[];
  owner: string;
  storageClass: string;
  /** Part layout when the object was assembled from a multipart upload (for ?partNumber= and attributes). */
  parts?: PartInfo[];
  /** The backing file's mtime when indexed; a mismatch on read means it changed through POSIX. */
  fileMtimeMs: number;
}

export interface ListObjectsQuery {
  bucket: string;
  prefix: string;
  delimiter?: string;
  /** Exclusive lower bound: a key or a common prefix previously returned (marker/start-after/token). */
  after?: string;
  maxKeys: number;
}

export interface ListObjectsPage {
  objects: ObjectRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix included in this page (the next page's `after`). */
  last?: string;
}

/**
 * One object as listings return it: only the fields ListObjects(V2) and ListObjectVersions reply
 * with, so that an adapter can read a page without decoding whole records.
 */
export interface ListEntry {
  key: string;
  size: number;
  /** ETag without quotes, as in ObjectRecord. */
  etag: string;
  /** ObjectRecord.lastModified in milliseconds since the epoch. */
  lastModifiedMs: number;
  /** The algorithms of ObjectRecord.checksums, in its order (empty when it has none). */
  checksumAlgorithms: readonly ChecksumAlgorithm[];
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  owner: string;
  storageClass: string;
}

/** The page of `ObjectStore.list` with ListEntry objects. */
export interface ListEntriesPage extends Omit<ListObjectsPage, 'objects'> {
  objects: ListEntry[];
}

export interface MultipartUploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: Date;
  owner: string;
  headers: ContentHeaders;
  userMetadata: Record<string, string>;
  tags: Tag[];
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  storageClass: string;
}

export interface PartRecord extends PartInfo {
  uploadId: string;
  lastModified: Date;
}

export interface ListUploadsQuery {
  bucket: string;
  prefix: string;
  delimiter?: string;
  keyMarker?: string;
  uploadIdMarker?: string;
  maxUploads: number;
}

export interface ListUploadsPage {
  uploads: MultipartUploadRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
}

/** Fields of a bucket that change after creation; an explicit `undefined` removes the field. */
export interface BucketPatch {
  tags?: Tag[];
  cors?: CorsRule[] | undefined;
  policy?: string | undefined;
}

export interface BucketStore {
  /** Inserts; resolves false if the name is taken (by anyone). */
  create(bucket: BucketRecord): Promise<boolean>;
  get(name: string): Promise<BucketRecord | undefined>;
  /** All buckets, or those of one tenant, ordered by name. */
  list(tenantId?: string): Promise<BucketRecord[]>;
  /** Deletes the bucket row; resolves false if it did not exist. */
  delete(name: string): Promise<boolean>;
  /** Changes the given fields; `cors: undefined` / `policy: undefined` remove them. NoSuchBucket if absent. */
  update(name: string, patch: BucketPatch): Promise<void>;
}

export interface ObjectStore {
  get(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  /** Inserts or replaces. */
  put(record: ObjectRecord): Promise<void>;
  /** Resolves false if there was no such row. */
  delete(bucket: string, key: string): Promise<boolean>;
  /**
   * One page in UTF-8 binary key order, O(log n) per returned entry: common prefixes are skipped past,
   * not walked. Records in a page omit `parts` (no listing needs the part layout; `get` has it).
   */
  list(query: ListObjectsQuery): Promise<ListObjectsPage>;
  /** The same page as `list` (same keys, prefixes, truncation and `last`), with only what listings return. */
  listEntries(query: ListObjectsQuery): Promise<ListEntriesPage>;
  /** True when the bucket has at least one object. */
  any(bucket: string): Promise<boolean>;
}

export interface MultipartStore {
  create(upload: MultipartUploadRecord): Promise<void>;
  get(uploadId: string): Promise<MultipartUploadRecord | undefined>;
  list(query: ListUploadsQuery): Promise<ListUploadsPage>;
  /** Inserts or replaces a part. */
  putPart(part: PartRecord): Promise<void>;
  /** Parts in part-number order after `afterPartNumber`, at most `max` (ask for one more to tell truncation). */
  listParts(uploadId: string, afterPartNumber: number, max: number): Promise<PartRecord[]>;
  /** Removes the upload and its part rows. */
  delete(uploadId: string): Promise<boolean>;
  /** True when the bucket has at least one upload in progress. */
  any(bucket: string): Promise<boolean>;
  /** Removes part rows whose upload no longer exists; returns how many. */
  deleteOrphanParts(): Promise<number>;
}

export interface MetaStore {
  readonly buckets: BucketStore;
  readonly objects: ObjectStore;
  readonly multipart: MultipartStore;
  /**
   * True when other servers may write this index too (a shared database, PRODUCT.md §8): their
   * changes bypass this process's caches, which must then expire. False when this process owns the
   * index alone (SQLite, claimed with an exclusive lock): every write goes through its caches.
   */
  readonly shared: boolean;
  close(): Promise<void>;
}
