// The object record cache: hits, writes that drop entries, expiry, and the file check that catches
// writes made through another server (a second cache over the same index and data directory).
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../config/config.js';
import type { MetaStore, ObjectRecord, ObjectStore } from '../../meta/ports.js';
import { openSqliteMeta } from '../../meta/sqlite/store.js';
import { indexDbPath, openFsBlobStore } from '../../storage/fs/store.js';
import type { BlobStore } from '../../storage/ports.js';
import { BucketPolicyCache } from './bucket-policy.js';
import type { ServiceDeps } from './deps.js';
import { CachedObjectStore } from './object-cache.js';
import { openObject, statObject } from './objects.js';

let dir: string;
let meta: MetaStore;
let blobs: BlobStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-ocache-'));
  blobs = openFsBlobStore({ dataDir: dir });
  meta = openSqliteMeta({ path: indexDbPath(dir) });
  mkdirSync(join(dir, 'b'), { recursive: true });
});

afterEach(async () => {
  await meta.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = { dataDir: '', maxObjectSize: 1 << 30 } as unknown as Config;
const depsOver = (objects: ObjectStore): ServiceDeps => ({
  config,
  meta: { ...meta, buckets: meta.buckets, multipart: meta.multipart, objects, close: () => meta.close() },
  blobs,
  policies: new BucketPolicyCache(),
});

/** Writes the file as a server would, and returns the record that indexes it. */
function fileRecord(key: string, body: string, extra: Partial<ObjectRecord> = {}): ObjectRecord {
  const path = join(dir, 'b', key);
  writeFileSync(path, body);
  const st = statSync(path);
  return {
    bucket: 'b',
    key,
    size: st.size,
    etag: 'etag-of-' + body,
    lastModified: new Date(1_000_000),
    headers: { contentType: 'text/plain' },
    userMetadata: {},
    checksums: {},
    tags: [],
    owner: 'o',
    storageClass: 'STANDARD',
    fileMtimeMs: st.mtimeMs,
    ...extra,
  };
}

/** Counts index reads. */
function counting(store: ObjectStore): { store: ObjectStore; reads: () => number } {
  let n = 0;
  const wrapped: ObjectStore = {
    get: (b, k) => {
      n++;
      return store.get(b, k);
    },
    put: (r) => store.put(r),
    delete: (b, k) => store.delete(b, k),
    list: (q) => store.list(q),
    listEntries: (q) => store.listEntries(q),
    any: (b) => store.any(b),
  };
  return { store: wrapped, reads: () => n };
}

describe('CachedObjectStore', () => {
  it('answers repeated reads from memory until a write or the expiry', async () => {
    let t = 0;
    const c = counting(meta.objects);
    const cache = new CachedObjectStore(c.store, { now: () => t });
    await meta.objects.put(fileRecord('k', 'one'));
    expect((await cache.get('b', 'k'))?.etag).toBe('etag-of-one');
    expect((await cache.get('b', 'k'))?.etag).toBe('etag-of-one');
    expect(c.reads()).toBe(1);
    await cache.put(fileRecord('k', 'two'));
    expect((await cache.get('b', 'k'))?.etag).toBe('etag-of-two');
    expect(c.reads()).toBe(2);
    t = 999;
    await cache.get('b', 'k');
    expect(c.reads()).toBe(2);
    expect(cache.peek('b', 'k')?.etag).toBe('etag-of-two');
    t = 1000;
    // peek never reads the index: an expired entry is simply absent.
    expect(cache.peek('b', 'k')).toBeUndefined();
    expect(c.reads()).toBe(2);
    await cache.get('b', 'k');
    expect(c.reads()).toBe(3);
    await cache.delete('b', 'k');
    expect(await cache.get('b', 'k')).toBeUndefined();
    expect(c.reads()).toBe(4);
  });

  it('forgets a deleted bucket and starts over when full', async () => {
    const c = counting(meta.objects);
    const cache = new CachedObjectStore(c.store, { max: 2 });
    await meta.objects.put(fileRecord('x', 'x'));
    await meta.objects.put(fileRecord('y', 'y'));
    await meta.objects.put(fileRecord('z', 'z'));
    await cache.get('b', 'x');
    await cache.get('b', 'y');
    await cache.get('b', 'x');
    expect(c.reads()).toBe(2);
    cache.dropBucket('b');
    await cache.get('b', 'x');
    expect(c.reads()).toBe(3);
    await cache.get('b', 'y');
    await cache.get('b', 'z'); // full: starts over with z only
    await cache.get('b', 'z');
    expect(c.reads()).toBe(5);
    await cache.get('b', 'x');
    expect(c.reads()).toBe(6);
  });

  it('does not keep what a read started before a write returned', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = counting(meta.objects).store;
    slow.get = async (b, k) => {
      const r = await meta.objects.get(b, k);
      await gate;
      return r;
    };
    const cache = new CachedObjectStore(slow);
    await meta.objects.put(fileRecord('k', 'old'));
    const reading = cache.get('b', 'k');
    await cache.put(fileRecord('k', 'new'));
    release();
    expect((await reading)?.etag).toBe('etag-of-old');
    expect((await cache.get('b', 'k'))?.etag).toBe('etag-of-new');
  });
});

describe('statObject/openObject through the cache', () => {
  it('see a write made through another server at once when it changed the file', async () => {
    const here = depsOver(new CachedObjectStore(meta.objects));
    const there = new CachedObjectStore(meta.objects);
    await meta.objects.put(fileRecord('k', 'short'));
    expect((await statObject(here, 'b', 'k')).etag).toBe('etag-of-short');
    // The other server rewrites the object with metadata: the index is re-read (not the file
    // re-hashed, which would lose the metadata).
    await there.put(fileRecord('k', 'a longer body', { userMetadata: { m: 'v' } }));
    const seen = await statObject(here, 'b', 'k');
    expect(seen.etag).toBe('etag-of-a longer body');
    expect(seen.userMetadata).toEqual({ m: 'v' });
    await there.put(fileRecord('k', 'third version', { userMetadata: { m: 'w' } }));
    const { record, reader } = await openObject(here, 'b', 'k');
    reader.close();
    expect(record.etag).toBe('etag-of-third version');
    expect(record.userMetadata).toEqual({ m: 'w' });
  });

  it('notice a change made through POSIX after the record was cached', async () => {
    const here = depsOver(new CachedObjectStore(meta.objects));
    await meta.objects.put(fileRecord('k', 'short'));
    expect((await statObject(here, 'b', 'k')).size).toBe(5);
    writeFileSync(join(dir, 'b', 'k'), 'changed through POSIX');
    const seen = await statObject(here, 'b', 'k');
    expect(seen.size).toBe(21);
    expect(seen.etag).toMatch(/^[0-9a-f]{32}$/);
    expect((await meta.objects.get('b', 'k'))?.etag).toBe(seen.etag);
  });

  it('see an index-only change through another server within the expiry', async () => {
    let t = 0;
    const here = depsOver(new CachedObjectStore(meta.objects, { now: () => t }));
    const original = fileRecord('k', 'body');
    await meta.objects.put(original);
    expect((await statObject(here, 'b', 'k')).tags).toEqual([]);
    await meta.objects.put({ ...original, tags: [{ key: 't', value: 'v' }] });
    expect((await statObject(here, 'b', 'k')).tags).toEqual([]);
    t = 1000;
    expect((await statObject(here, 'b', 'k')).tags).toEqual([{ key: 't', value: 'v' }]);
  });
});
