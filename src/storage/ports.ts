// The blob port: object bytes as plain files, `<data>/<bucket>/<key>`, with internal state under
// `<data>/.coffer/`. Writes go to a temp file on the same filesystem, are fsynced, then renamed into
// place, so a reader never sees a partial object. Bodies are streams, never buffers.
import type { Readable, Writable } from 'node:stream';
import type { DigestName } from '../kernel/checksums.js';

/**
 * A body ready to commit, not yet visible as an object: a fully written, fsynced temp file, or (a
 * small body in the file store with its addon) the bytes held in memory, which `commit` writes,
 * syncs and renames in one step. Either way `commit` or `discard` ends it.
 */
export interface TempBlob {
  readonly path: string;
  readonly size: number;
  /** Digests computed while writing, by name (raw bytes). MD5 is always present. */
  readonly digests: Partial<Record<DigestName, Buffer>>;
}

export interface WriteOptions {
  /** Digests to compute in the same pass (MD5 is always computed). */
  digests?: DigestName[];
  /** If set, the body must be exactly this many bytes (IncompleteBody otherwise). */
  expectedSize?: number;
  /** Refuse bodies over this size (EntityTooLarge). */
  maxSize?: number;
}

export interface BlobInfo {
  size: number;
  mtimeMs: number;
}

export interface CommittedBlob extends BlobInfo {
  /** Resolves when the commit survives a power loss; rejects if making it durable failed. */
  durable: Promise<void>;
}

export interface BlobReader {
  readonly size: number;
  readonly mtimeMs: number;
  /** A stream of bytes [start, end] inclusive; the reader closes its descriptor when the stream ends. */
  stream(start?: number, end?: number): Readable;
  /**
   * Bytes [start, end] inclusive in one buffer, for small ranges (no stream machinery); the reader
   * closes its descriptor. Rejects if the file is shorter than its recorded size.
   */
  read(start?: number, end?: number): Promise<Buffer>;
  /**
   * Writes bytes [start, end] inclusive into `out` and ends it, with backpressure, reusing its
   * buffers (for large bodies sent to a socket); the reader closes its descriptor. Resolves once `out`
   * has finished or closed; never rejects: a read error destroys `out` (its length is already sent).
   * A buffer is reused once `out` calls back for its write, so `out` must be done with a chunk by
   * then: a socket or an HTTP response is; a PassThrough (which hands the chunk on) is not.
   */
  sendTo(out: Writable, start?: number, end?: number): Promise<void>;
  close(): void;
}

export interface BlobStore {
  /** Validates that a key can be a file path in this bucket (InvalidObjectName / KeyTooLongError otherwise). */
  checkKey(key: string): void;
  createBucket(bucket: string): Promise<void>;
  /** Removes the bucket directory; it must hold nothing but empty directories. */
  deleteBucket(bucket: string): Promise<void>;
  /**
   * Streams the body to a temp file and fsyncs it (or holds a small body until commit; see TempBlob),
   * computing its digests. Rejects (and leaves nothing) if the body stream errors.
   */
  writeTemp(body: Readable, options?: WriteOptions): Promise<TempBlob>;
  /**
   * Renames a temp blob to be the object (creating parent directories). Resolves once the object is
   * in place (visible), with the new file's mtime; `durable` resolves once the rename itself is on
   * disk (its directory synced). Callers may do other work meanwhile (index the object) but must
   * await `durable` before acknowledging the write. If it rejects before the rename, the temp blob
   * has been removed: a refused write leaves nothing behind.
   */
  commit(temp: TempBlob, bucket: string, key: string): Promise<CommittedBlob>;
  discard(temp: TempBlob): Promise<void>;
  /** Opens the object's file; undefined if absent. */
  open(bucket: string, key: string): Promise<BlobReader | undefined>;
  stat(bucket: string, key: string): Promise<BlobInfo | undefined>;
  /**
   * `stat` without a promise, for stores whose stat is a cheap synchronous call (a local
   * filesystem's cached inode): lets HEAD answer from a cached record in one synchronous step.
   */
  statNow?(bucket: string, key: string): BlobInfo | undefined;
  /**
   * Throws ObjectNameConflict when a commit of `key` would: a file where one of its directories must
   * go, or a directory where its file must go. For uploads that commit much later (multipart).
   */
  checkPlace?(bucket: string, key: string): void;
  /** `open` without a promise, likewise (GET's fast path). */
  openNow?(bucket: string, key: string): BlobReader | undefined;
  /** Deletes the object's file and prunes parent directories left empty (never the bucket directory). */
  delete(bucket: string, key: string): Promise<void>;
  /**
   * Multipart: parts are stored under .coffer/multipart/<uploadId>/. Moves a temp blob into the
   * upload as part `partNumber`; like `commit`, removes it on failure.
   */
  commitPart(temp: TempBlob, uploadId: string, partNumber: number): Promise<void>;
  openPart(uploadId: string, partNumber: number): Promise<BlobReader | undefined>;
  /** Concatenates parts (streamed, never held in memory) into a temp blob, computing the requested digests. */
  assemble(uploadId: string, partNumbers: number[], options?: WriteOptions): Promise<TempBlob>;
  deleteUpload(uploadId: string): Promise<void>;
  /** Ids of the uploads that have a part directory (for the start-up sweep of orphans). */
  uploadIds(): Promise<string[]>;
}
