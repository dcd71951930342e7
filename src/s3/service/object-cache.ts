// A read-through cache of object records in front of the index's ObjectStore, for GET/HEAD: the
// index read was ~15 % of a HEAD's busy time. Every write of this process goes through this
// decorator (the S3 services see no other ObjectStore), which drops the entry before and after the
// write. A cached record is never trusted alone: statObject/openObject compare it with the file's
// size and mtime (the stat they do anyway) and re-read the index on any difference, so a write
// through another server sharing the filesystem, which changes the file, is noticed at once.
// Residual staleness when the index is shared, bounded by the expiry (the S3 surface sets none for
// an index this process owns alone): a rewrite through another server that leaves the file's size
// and mtime both unchanged, and index-only changes made through another server (object tagging,
// in-place metadata replace), as for buckets and IAM (PRODUCT.md §8).
import type {
  ListEntriesPage,
  ListObjectsPage,
  ListObjectsQuery,
  ObjectRecord,
  ObjectStore,
} from '../../meta/ports.js';

export interface ObjectCacheOptions {
  /** How long an entry is trusted without re-reading the index (ms; Infinity: until a write). */
  ttlMs?: number;
  /** Entries kept at most; the cache starts over when full. */
  max?: number;
  now?: () => number;
}

interface Entry {
  record: ObjectRecord;
  at: number;
}

export class CachedObjectStore implements ObjectStore {
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;
  /** bucket → key → entry. */
  private readonly buckets = new Map<string, Map<string, Entry>>();
  private size = 0;
  // Bumped by every write: a read that began before a write must not store what it read.
  private generation = 0;

  constructor(
    private readonly store: ObjectStore,
    options: ObjectCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 1000;
    this.max = options.max ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The cached record, if a fresh one is held (no index read, no promise): the request path's fast path. */
  peek(bucket: string, key: string): ObjectRecord | undefined {
    const hit = this.buckets.get(bucket)?.get(key);
    return hit !== undefined && this.now() - hit.at < this.ttlMs ? hit.record : undefined;
  }

  async get(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    const hit = this.buckets.get(bucket)?.get(key);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs) return hit.record;
    return this.reread(bucket, key);
  }

  /** Drops the entry and reads the index (a cached record that does not match its file). */
  async reread(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    this.drop(bucket, key);
    const started = this.generation;
    const at = this.now();
    const record = await this.store.get(bucket, key);
    if (record !== undefined && started === this.generation) {
      if (this.size >= this.max) this.clear();
      let keys = this.buckets.get(bucket);
      if (keys === undefined) this.buckets.set(bucket, (keys = new Map<string, Entry>()));
      // Shared by every reader until it expires or a write drops it: nobody may change it in place.
      keys.set(key, { record, at });
      this.size++;
    }
    return record;
  }

  put(record: ObjectRecord): Promise<void> {
    return this.written(record.bucket, record.key, this.store.put(record));
  }

  delete(bucket: string, key: string): Promise<boolean> {
    return this.written(bucket, key, this.store.delete(bucket, key));
  }

  /** A bucket was deleted: forget everything cached under its name. */
  dropBucket(bucket: string): void {
    this.generation++;
    const keys = this.buckets.get(bucket);
    if (keys === undefined) return;
    this.size -= keys.size;
    this.buckets.delete(bucket);
  }

  list(query: ListObjectsQuery): Promise<ListObjectsPage> {
    return this.store.list(query);
  }

  listEntries(query: ListObjectsQuery): Promise<ListEntriesPage> {
    return this.store.listEntries(query);
  }

  any(bucket: string): Promise<boolean> {
    return this.store.any(bucket);
  }

  private async written<T>(bucket: string, key: string, write: Promise<T>): Promise<T> {
    this.generation++;
    this.drop(bucket, key);
    try {
      return await write;
    } finally {
      this.generation++;
      this.drop(bucket, key);
    }
  }

  private drop(bucket: string, key: string): void {
    const keys = this.buckets.get(bucket);
    if (keys?.delete(key) === true) {
      this.size--;
      if (keys.size === 0) this.buckets.delete(bucket);
    }
  }

  private clear(): void {
    this.buckets.clear();
    this.size = 0;
  }
}

/**
 * The index's current record when `cached` (from `store.get`) did not match its file: through the
 * cache a re-read, so a record outdated by another server is not mistaken for a POSIX change.
 */
export function recheck(
  store: ObjectStore,
  bucket: string,
  key: string,
  cached: ObjectRecord,
): Promise<ObjectRecord | undefined> {
  return store instanceof CachedObjectStore ? store.reread(bucket, key) : Promise.resolve(cached);
}
