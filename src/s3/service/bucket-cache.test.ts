// The bucket-record cache: reads served from memory until a write through it or the expiry, and
// never a record older than a write that finished before the read.
import { describe, expect, it } from 'vitest';
import type { BucketPatch, BucketRecord, BucketStore } from '../../meta/ports.js';
import { cachedBuckets } from './bucket-cache.js';

const record = (name: string, tags: BucketRecord['tags'] = []): BucketRecord => ({
  name,
  tenantId: 't',
  owner: 'o',
  createdAt: new Date(0),
  region: 'us-east-1',
  tags,
});

/** An in-memory store that counts reads and can hold a read back until released. */
function fakeStore() {
  const rows = new Map<string, BucketRecord>();
  let reads = 0;
  let hold: Promise<void> | undefined;
  const store: BucketStore = {
    async get(name) {
      reads++;
      const row = rows.get(name);
      const copy = row && { ...row, tags: [...row.tags] };
      if (hold) await hold;
      return copy;
    },
    create(b) {
      if (rows.has(b.name)) return Promise.resolve(false);
      rows.set(b.name, b);
      return Promise.resolve(true);
    },
    list: () => Promise.resolve([...rows.values()]),
    delete: (name) => Promise.resolve(rows.delete(name)),
    update(name, patch: BucketPatch) {
      const row = rows.get(name);
      if (row) rows.set(name, { ...row, ...patch } as BucketRecord);
      return Promise.resolve();
    },
  };
  return {
    store,
    reads: () => reads,
    holdReads(): () => void {
      let release!: () => void;
      hold = new Promise<void>((r) => (release = r));
      return () => {
        hold = undefined;
        release();
      };
    },
  };
}

describe('cachedBuckets', () => {
  it('serves repeated reads from memory until the entry expires', async () => {
    const f = fakeStore();
    let t = 0;
    const c = cachedBuckets(f.store, { ttlMs: 1000, now: () => t });
    await c.create(record('a'));
    expect((await c.get('a'))?.name).toBe('a');
    expect((await c.get('a'))?.name).toBe('a');
    expect(f.reads()).toBe(1);
    t = 999;
    await c.get('a');
    expect(f.reads()).toBe(1);
    expect(c.peek('a')?.name).toBe('a');
    t = 1000;
    // peek never reads the index: an expired entry is simply absent.
    expect(c.peek('a')).toBeUndefined();
    expect(f.reads()).toBe(1);
    await c.get('a');
    expect(f.reads()).toBe(2);
    expect(c.peek('a')?.name).toBe('a');
    await c.update('a', { tags: [] });
    expect(c.peek('a')).toBeUndefined();
  });

  it('forgets a bucket on update, delete and create, and does not cache absent buckets', async () => {
    const f = fakeStore();
    const c = cachedBuckets(f.store, { now: () => 0 });
    expect(await c.get('a')).toBeUndefined();
    await c.create(record('a'));
    expect((await c.get('a'))?.tags).toEqual([]);
    await c.update('a', { tags: [{ key: 'k', value: 'v' }] });
    expect((await c.get('a'))?.tags).toEqual([{ key: 'k', value: 'v' }]);
    await c.delete('a');
    expect(await c.get('a')).toBeUndefined();
    expect(await c.create(record('a'))).toBe(true);
    expect((await c.get('a'))?.tags).toEqual([]);
  });

  it('does not keep what a read saw when a write finished while it was in flight', async () => {
    const f = fakeStore();
    const c = cachedBuckets(f.store, { now: () => 0 });
    await c.create(record('a'));
    const release = f.holdReads();
    const stale = c.get('a');
    await c.update('a', { tags: [{ key: 'k', value: 'v' }] });
    release();
    expect((await stale)?.tags).toEqual([]);
    expect((await c.get('a'))?.tags).toEqual([{ key: 'k', value: 'v' }]);
  });

  it('hands out records nobody can change in place', async () => {
    const f = fakeStore();
    const c = cachedBuckets(f.store, { now: () => 0 });
    await c.create(record('a'));
    const b = await c.get('a');
    expect(() => {
      (b as BucketRecord).owner = 'x';
    }).toThrow(TypeError);
  });
});
