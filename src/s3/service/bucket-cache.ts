// A read-through cache of bucket records in front of the index's BucketStore: every S3 request
// reads its bucket (tenant, owner, policy, CORS), and a record changes only through the few bucket
// writes, which all go through this decorator and drop the entry. When the index is shared,
// entries also expire (after a second by default), so a change made through another server is seen
// within that time, as IAM changes are (PRODUCT.md §8).
import type { BucketPatch, BucketRecord, BucketStore } from '../../meta/ports.js';

export interface BucketCacheOptions {
  /** How long an entry is trusted without re-reading the index (ms; Infinity: until a write). */
  ttlMs?: number;
  /** Entries kept at most; the cache starts over when full. */
  max?: number;
  now?: () => number;
}

/** A BucketStore whose cache can be read synchronously. */
export interface CachedBucketStore extends BucketStore {
  /** The cached record, if a fresh one is held (no index read, no promise): the request path's fast path. */
  peek(name: string): BucketRecord | undefined;
}

/** Wraps `store`; reads of a name hit the index at most once per `ttlMs` unless a write intervenes. */
export function cachedBuckets(store: BucketStore, options: BucketCacheOptions = {}): CachedBucketStore {
  const ttlMs = options.ttlMs ?? 1000;
  const max = options.max ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { record: BucketRecord; at: number }>();
  // Bumped by every write: a read that began before a write must not store what it read.
  let generation = 0;

  const written = async <T>(name: string, write: Promise<T>): Promise<T> => {
    generation++;
    entries.delete(name);
    try {
      return await write;
    } finally {
      generation++;
      entries.delete(name);
    }
  };

  return {
    peek(name: string): BucketRecord | undefined {
      const hit = entries.get(name);
      return hit !== undefined && now() - hit.at < ttlMs ? hit.record : undefined;
    },
    async get(name: string): Promise<BucketRecord | undefined> {
      const hit = entries.get(name);
      if (hit !== undefined && now() - hit.at < ttlMs) return hit.record;
      const started = generation;
      const at = now();
      const record = await store.get(name);
      if (record === undefined) {
        entries.delete(name);
        return undefined;
      }
      if (started === generation) {
        if (entries.size >= max) entries.clear();
        // Shared by every reader until it expires: nobody may change it in place.
        entries.set(name, { record: Object.freeze(record), at });
      }
      return record;
    },
    create: (bucket: BucketRecord) => written(bucket.name, store.create(bucket)),
    list: (tenantId?: string) => store.list(tenantId),
    delete: (name: string) => written(name, store.delete(name)),
    update: (name: string, patch: BucketPatch) => written(name, store.update(name, patch)),
  };
}
