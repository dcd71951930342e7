// The MetaStore contract: one vitest suite that every adapter (SQLite now, PostgreSQL later) runs
// against a fresh store. Listing is checked against examples and against a naive model over random
// keys, prefixes, delimiters and markers, including multi-byte UTF-8 keys whose order differs from JS's.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CofferError } from '../../errors/error.js';
import { commonPrefixOf, compareKeys } from '../listing.js';
import type { BucketRecord, ListEntry, MetaStore, MultipartUploadRecord, ObjectRecord } from '../ports.js';

export type MetaFactory = () => Promise<MetaStore> | MetaStore;

export const bucketRecord = (name: string, over: Partial<BucketRecord> = {}): BucketRecord => ({
  name,
  tenantId: 't1',
  owner: 'arn:aws:iam::000000000000:root',
  createdAt: new Date(1_700_000_000_123),
  region: 'us-east-1',
  tags: [],
  ...over,
});

export const objectRecord = (
  bucket: string,
  key: string,
  over: Partial<ObjectRecord> = {},
): ObjectRecord => ({
  bucket,
  key,
  size: 5,
  etag: '5d41402abc4b2a76b9719d911017c592',
  lastModified: new Date(1_700_000_000_456),
  headers: { contentType: 'text/plain' },
  userMetadata: {},
  checksums: {},
  tags: [],
  owner: 'owner-1',
  storageClass: 'STANDARD',
  fileMtimeMs: 1_700_000_000_456.25,
  ...over,
});

export const uploadRecord = (
  bucket: string,
  key: string,
  uploadId: string,
  initiatedMs: number,
): MultipartUploadRecord => ({
  uploadId,
  bucket,
  key,
  initiated: new Date(initiatedMs),
  owner: 'owner-1',
  headers: { contentType: 'application/octet-stream' },
  userMetadata: {},
  tags: [],
  storageClass: 'STANDARD',
});

/** The ListEntry of a record, as `ObjectStore.listEntries` must return it. */
export function entryOf(r: ObjectRecord): ListEntry {
  const e: ListEntry = {
    key: r.key,
    size: r.size,
    etag: r.etag,
    lastModifiedMs: r.lastModified.getTime(),
    checksumAlgorithms: Object.keys(r.checksums) as ListEntry['checksumAlgorithms'][number][],
    owner: r.owner,
    storageClass: r.storageClass,
  };
  if (r.checksumType !== undefined) e.checksumType = r.checksumType;
  return e;
}

/** The listing a correct store must return, computed the slow obvious way. */
export function naiveList(
  keys: string[],
  q: { prefix: string; delimiter?: string; after?: string; maxKeys: number },
): { objects: string[]; commonPrefixes: string[]; isTruncated: boolean; last?: string } {
  const delimiter = q.delimiter === '' ? undefined : q.delimiter;
  const after = q.after;
  const afterIsPrefix = after !== undefined && commonPrefixOf(after, q.prefix, delimiter) === after;
  const sorted = keys
    .filter((k) => k.startsWith(q.prefix))
    .filter((k) => after === undefined || compareKeys(k, after) > 0)
    .filter((k) => !(afterIsPrefix && k.startsWith(after)))
    .sort(compareKeys);
  const entries: { value: string; isPrefix: boolean }[] = [];
  for (const k of sorted) {
    const cp = commonPrefixOf(k, q.prefix, delimiter);
    if (cp === undefined) entries.push({ value: k, isPrefix: false });
    else if (entries[entries.length - 1]?.value !== cp) entries.push({ value: cp, isPrefix: true });
  }
  const max = Math.max(0, q.maxKeys);
  const page = entries.slice(0, max);
  const out: { objects: string[]; commonPrefixes: string[]; isTruncated: boolean; last?: string } = {
    objects: page.filter((e) => !e.isPrefix).map((e) => e.value),
    commonPrefixes: page.filter((e) => e.isPrefix).map((e) => e.value),
    isTruncated: max > 0 && entries.length > max,
  };
  const last = page[page.length - 1];
  if (last) out.last = last.value;
  return out;
}

/** A small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function runMetaContract(name: string, factory: MetaFactory): void {
  describe(`MetaStore contract: ${name}`, () => {
    let store: MetaStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    const putKeys = async (bucket: string, keys: string[]): Promise<void> => {
      for (const key of keys) await store.objects.put(objectRecord(bucket, key));
    };
    const listKeys = async (q: { prefix?: string; delimiter?: string; after?: string; maxKeys?: number }) => {
      const query = {
        bucket: 'b',
        prefix: q.prefix ?? '',
        maxKeys: q.maxKeys ?? 1000,
        ...(q.delimiter === undefined ? {} : { delimiter: q.delimiter }),
        ...(q.after === undefined ? {} : { after: q.after }),
      };
      const page = await store.objects.list(query);
      const out: { objects: string[]; commonPrefixes: string[]; isTruncated: boolean; last?: string } = {
        objects: page.objects.map((o) => o.key),
        commonPrefixes: page.commonPrefixes,
        isTruncated: page.isTruncated,
      };
      if (page.last !== undefined) out.last = page.last;
      // The narrow listing returns the same page, entry for entry.
      const entries = await store.objects.listEntries(query);
      expect(entries.objects).toEqual(page.objects.map(entryOf));
      expect({ ...entries, objects: [] }).toEqual({ ...page, objects: [] });
      return out;
    };

    describe('buckets', () => {
      it('creates once, gets, lists by name and tenant, deletes', async () => {
        expect(await store.buckets.create(bucketRecord('zeta'))).toBe(true);
        expect(await store.buckets.create(bucketRecord('alpha', { tenantId: 't2' }))).toBe(true);
        expect(await store.buckets.create(bucketRecord('zeta', { tenantId: 't2' }))).toBe(false);
        expect(await store.buckets.get('zeta')).toEqual(bucketRecord('zeta'));
        expect(await store.buckets.get('nope')).toBeUndefined();
        expect((await store.buckets.list()).map((b) => b.name)).toEqual(['alpha', 'zeta']);
        expect((await store.buckets.list('t2')).map((b) => b.name)).toEqual(['alpha']);
        expect(await store.buckets.list('t9')).toEqual([]);
        expect(await store.buckets.delete('zeta')).toBe(true);
        expect(await store.buckets.delete('zeta')).toBe(false);
        expect(await store.buckets.get('zeta')).toBeUndefined();
      });

      it('updates tags, CORS and policy, and removes them with undefined', async () => {
        await store.buckets.create(bucketRecord('b'));
        const cors = [
          {
            allowedOrigins: ['*'],
            allowedMethods: ['GET'],
            allowedHeaders: [],
            exposeHeaders: ['ETag'],
            maxAgeSeconds: 60,
          },
        ];
        await store.buckets.update('b', {
          tags: [{ key: 'k', value: 'v' }],
          cors,
          policy: '{"Version":"2012-10-17"}',
        });
        expect(await store.buckets.get('b')).toEqual(
          bucketRecord('b', { tags: [{ key: 'k', value: 'v' }], cors, policy: '{"Version":"2012-10-17"}' }),
        );
        await store.buckets.update('b', { cors: undefined });
        const got = await store.buckets.get('b');
        expect(got?.cors).toBeUndefined();
        expect(got?.policy).toBe('{"Version":"2012-10-17"}');
        await store.buckets.update('b', { policy: undefined, tags: [] });
        expect(await store.buckets.get('b')).toEqual(bucketRecord('b'));
      });

      it('refuses to update a missing bucket', async () => {
        await expect(store.buckets.update('missing', { tags: [] })).rejects.toMatchObject({
          code: 'NoSuchBucket',
        });
        await expect(store.buckets.update('missing', { tags: [] })).rejects.toBeInstanceOf(CofferError);
      });
    });

    describe('objects', () => {
      it('puts, gets every field back, replaces, deletes', async () => {
        const full = objectRecord('b', 'dir/file.txt', {
          headers: {
            contentType: 'text/html',
            contentEncoding: 'gzip',
            contentDisposition: 'inline',
            contentLanguage: 'en',
            cacheControl: 'no-cache',
            expires: 'Thu, 01 Dec 2094 16:00:00 GMT',
          },
          userMetadata: { color: 'blue', 'x-y': 'é' },
          checksums: { CRC32: 'AAAAAA==', SHA256: 'LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=' },
          checksumType: 'COMPOSITE',
          tags: [{ key: 'a', value: '1' }],
          parts: [
            { partNumber: 1, size: 3, etag: 'aa' },
            { partNumber: 2, size: 2, etag: 'bb', checksums: { CRC32: 'AAAAAA==' } },
          ],
          etag: 'abc-2',
        });
        await store.objects.put(full);
        expect(await store.objects.get('b', 'dir/file.txt')).toEqual(full);
        expect(await store.objects.get('b', 'dir/file.tx')).toBeUndefined();
        expect(await store.objects.get('other', 'dir/file.txt')).toBeUndefined();

        const replaced = objectRecord('b', 'dir/file.txt', { size: 9, etag: 'ff', fileMtimeMs: 42 });
        await store.objects.put(replaced);
        const got = await store.objects.get('b', 'dir/file.txt');
        expect(got).toEqual(replaced);
        expect(got?.parts).toBeUndefined();
        expect(got?.checksumType).toBeUndefined();

        expect(await store.objects.delete('b', 'dir/file.txt')).toBe(true);
        expect(await store.objects.delete('b', 'dir/file.txt')).toBe(false);
        expect(await store.objects.get('b', 'dir/file.txt')).toBeUndefined();
      });

      it('any() tells whether a bucket holds objects', async () => {
        expect(await store.objects.any('b')).toBe(false);
        await putKeys('b', ['x']);
        expect(await store.objects.any('b')).toBe(true);
        expect(await store.objects.any('c')).toBe(false);
        await store.objects.delete('b', 'x');
        expect(await store.objects.any('b')).toBe(false);
      });

      it('keeps buckets apart in listings', async () => {
        await putKeys('a', ['k1']);
        await putKeys('b', ['k2']);
        await putKeys('c', ['k3']);
        expect((await listKeys({})).objects).toEqual(['k2']);
      });

      it('lists entries with every field a listing returns, whatever the fields hold', async () => {
        const records = [
          objectRecord('b', 'plain', { size: 0, lastModified: new Date(0) }),
          objectRecord('b', 'big', {
            size: 5 * 2 ** 40,
            etag: 'abc-10000',
            lastModified: new Date(253402300799999),
          }),
          objectRecord('b', '[not json', { owner: 'has space', storageClass: 'GLACIER' }),
          objectRecord('b', ' lead and trail ', { etag: 'e t' }),
          objectRecord('b', 'sc space', { storageClass: 'A B' }),
          objectRecord('b', 'a b/c d', { owner: '' }),
          objectRecord('b', '\u00e9\u{1F600}"&<>\u0001', { owner: '\u00e9 \u{1F600}' }),
          objectRecord('b', 'packed \u00e9\u{1F600}\u0001\u{10FFFF} [x]'),
          objectRecord('b', 'early', { lastModified: new Date(-86_400_000 * 400) }),
          objectRecord('b', 'sums', {
            checksums: { CRC64NVME: 'AAAAAAAAAAA=', CRC32: 'AAAAAA==' },
            checksumType: 'FULL_OBJECT',
          }),
          objectRecord('b', 'type-only', { checksumType: 'COMPOSITE' }),
          objectRecord('b', 'sha', { checksums: { SHA256: 'x' }, storageClass: 'STANDARD_IA' }),
        ];
        for (const r of records) await store.objects.put(r);
        const expected = records.map(entryOf).sort((x, y) => compareKeys(x.key, y.key));
        const all = await store.objects.listEntries({ bucket: 'b', prefix: '', maxKeys: 1000 });
        expect(all.objects).toEqual(expected);
        const rolled = await store.objects.listEntries({
          bucket: 'b',
          prefix: '',
          delimiter: '/',
          maxKeys: 1000,
        });
        expect(rolled.commonPrefixes).toEqual(['a b/']);
        expect(rolled.objects).toEqual(expected.filter((e) => !e.key.includes('/')));
      });
    });

    describe('listing', () => {
      const tree = [
        'a',
        'a/b',
        'a/c/d',
        'a/c/e',
        'a/d',
        'ab',
        'b/x',
        'b/y/z',
        'c',
        'photos/2024/jan/1.jpg',
        'photos/2024/feb/2.jpg',
        'photos/2025/x.jpg',
      ];
      beforeEach(async () => {
        await putKeys('b', tree);
      });

      it('lists everything in binary order without a delimiter', async () => {
        const page = await listKeys({});
        expect(page.objects).toEqual([...tree].sort(compareKeys));
        expect(page.isTruncated).toBe(false);
        expect(page.last).toBe('photos/2025/x.jpg');
      });

      it('rolls keys up into common prefixes with a delimiter', async () => {
        expect(await listKeys({ delimiter: '/' })).toEqual({
          objects: ['a', 'ab', 'c'],
          commonPrefixes: ['a/', 'b/', 'photos/'],
          isTruncated: false,
          last: 'photos/',
        });
        expect(await listKeys({ prefix: 'a/', delimiter: '/' })).toEqual({
          objects: ['a/b', 'a/d'],
          commonPrefixes: ['a/c/'],
          isTruncated: false,
          last: 'a/d',
        });
        expect(await listKeys({ prefix: 'photos/', delimiter: '/' })).toMatchObject({
          objects: [],
          commonPrefixes: ['photos/2024/', 'photos/2025/'],
        });
        expect(await listKeys({ prefix: 'photos/2024/', delimiter: '/' })).toMatchObject({
          commonPrefixes: ['photos/2024/feb/', 'photos/2024/jan/'],
        });
      });

      it('treats a prefix that is not a directory as a plain string prefix', async () => {
        expect(await listKeys({ prefix: 'a', delimiter: '/' })).toMatchObject({
          objects: ['a', 'ab'],
          commonPrefixes: ['a/'],
        });
        expect(await listKeys({ prefix: 'photos/202' })).toMatchObject({
          objects: ['photos/2024/feb/2.jpg', 'photos/2024/jan/1.jpg', 'photos/2025/x.jpg'],
        });
        expect(await listKeys({ prefix: 'zzz', delimiter: '/' })).toEqual({
          objects: [],
          commonPrefixes: [],
          isTruncated: false,
        });
      });

      it('supports multi-character delimiters', async () => {
        expect(await listKeys({ delimiter: '/c/' })).toMatchObject({
          objects: [
            'a',
            'a/b',
            'a/d',
            'ab',
            'b/x',
            'b/y/z',
            'c',
            ...tree.filter((k) => k.startsWith('photos/')).sort(),
          ],
          commonPrefixes: ['a/c/'],
        });
        expect(await listKeys({ prefix: 'photos/', delimiter: '2024' })).toMatchObject({
          objects: ['photos/2025/x.jpg'],
          commonPrefixes: ['photos/2024'],
        });
      });

      it('pages exactly: max-keys 0, 1, and truncation only when more follows', async () => {
        expect(await listKeys({ maxKeys: 0 })).toEqual({
          objects: [],
          commonPrefixes: [],
          isTruncated: false,
        });
        expect(await listKeys({ delimiter: '/', maxKeys: 0 })).toEqual({
          objects: [],
          commonPrefixes: [],
          isTruncated: false,
        });
        expect(await listKeys({ maxKeys: 1 })).toEqual({
          objects: ['a'],
          commonPrefixes: [],
          isTruncated: true,
          last: 'a',
        });
        // Exactly as many entries as max-keys: not truncated.
        expect(await listKeys({ delimiter: '/', maxKeys: 6 })).toMatchObject({
          isTruncated: false,
          last: 'photos/',
        });
        expect(await listKeys({ delimiter: '/', maxKeys: 5 })).toMatchObject({
          isTruncated: true,
          last: 'c',
        });
        expect(await listKeys({ prefix: 'a/', delimiter: '/', maxKeys: 2 })).toEqual({
          objects: ['a/b'],
          commonPrefixes: ['a/c/'],
          isTruncated: true,
          last: 'a/c/',
        });
      });

      it('resumes after a key or after a common prefix (skipping all its keys)', async () => {
        expect(await listKeys({ delimiter: '/', after: 'a/' })).toMatchObject({
          objects: ['ab', 'c'],
          commonPrefixes: ['b/', 'photos/'],
        });
        expect(await listKeys({ delimiter: '/', after: 'a' })).toMatchObject({
          objects: ['ab', 'c'],
          commonPrefixes: ['a/', 'b/', 'photos/'],
        });
        expect(await listKeys({ prefix: 'a/', delimiter: '/', after: 'a/c/' })).toMatchObject({
          objects: ['a/d'],
          commonPrefixes: [],
        });
        // A marker before the prefix starts at the prefix; one past the range gives nothing.
        expect((await listKeys({ prefix: 'b/', after: 'a' })).objects).toEqual(['b/x', 'b/y/z']);
        expect((await listKeys({ prefix: 'b/', after: 'c' })).objects).toEqual([]);
        expect((await listKeys({ after: 'photos/2024/jan/1.jpg' })).objects).toEqual(['photos/2025/x.jpg']);
      });

      it('walks every page to the same result as one big page', async () => {
        for (const delimiter of [undefined, '/']) {
          const all = await listKeys({ ...(delimiter ? { delimiter } : {}) });
          const seen: string[] = [];
          let after: string | undefined;
          for (let i = 0; i < 50; i++) {
            const page = await listKeys({
              maxKeys: 2,
              ...(delimiter ? { delimiter } : {}),
              ...(after ? { after } : {}),
            });
            seen.push(...page.objects, ...page.commonPrefixes);
            if (!page.isTruncated) break;
            after = page.last;
          }
          expect(seen.sort(compareKeys)).toEqual([...all.objects, ...all.commonPrefixes].sort(compareKeys));
        }
      });
    });

    describe('listing in UTF-8 byte order', () => {
      it('orders multi-byte keys by bytes, not UTF-16 units', async () => {
        // UTF-16 order would put the emoji (surrogates 0xD83D…) before U+FF21.
        const keys = ['\u{1F600}', '\uff21', '\u00e9', 'z', 'a', '\u{10FFFF}', '\ud7ff'];
        await putKeys('b', keys);
        const expected = ['a', 'z', '\u00e9', '\ud7ff', '\uff21', '\u{1F600}', '\u{10FFFF}'];
        expect((await listKeys({})).objects).toEqual(expected);
        expect(keys.slice().sort(compareKeys)).toEqual(expected);
        expect((await listKeys({ after: '\uff21' })).objects).toEqual(['\u{1F600}', '\u{10FFFF}']);
      });

      it('matches a naive model on random keys, prefixes, delimiters and markers', async () => {
        const alphabet = ['a', 'b', '/', '\u00e9', '\uff21', '\u{1F600}', '\u{10FFFF}', '\ud7ff'];
        const next = rng(7);
        const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
        const word = (max: number): string => {
          let s = '';
          const n = 1 + Math.floor(next() * max);
          for (let i = 0; i < n; i++) s += pick(alphabet);
          return s;
        };
        const keys = [...new Set(Array.from({ length: 300 }, () => word(6)))];
        await putKeys('b', keys);
        const delimiters = [undefined, '/', 'a/', '\u{1F600}', '\u{10FFFF}', 'b'];
        for (let i = 0; i < 400; i++) {
          const q: { prefix: string; delimiter?: string; after?: string; maxKeys: number } = {
            prefix: next() < 0.3 ? '' : word(2),
            maxKeys: pick([0, 1, 2, 3, 7, 1000]),
          };
          const d = pick(delimiters);
          if (d !== undefined) q.delimiter = d;
          if (next() < 0.5) {
            // Markers: random strings, existing keys, and common prefixes a page could have returned.
            const k = pick(keys);
            const cp = commonPrefixOf(k, q.prefix, q.delimiter);
            q.after = next() < 0.3 ? word(4) : next() < 0.5 && cp ? cp : k;
          }
          expect(await listKeys(q), JSON.stringify(q)).toEqual(naiveList(keys, q));
        }
      });
    });

    describe('multipart', () => {
      it('creates, gets, stores and replaces parts, lists parts in pages, deletes', async () => {
        const u = uploadRecord('b', 'big', 'u1', 1000);
        u.checksumAlgorithm = 'CRC32';
        u.checksumType = 'COMPOSITE';
        u.userMetadata = { a: 'b' };
        u.tags = [{ key: 't', value: 'v' }];
        await store.multipart.create(u);
        expect(await store.multipart.get('u1')).toEqual(u);
        expect(await store.multipart.get('u2')).toBeUndefined();
        expect(await store.multipart.any('b')).toBe(true);
        expect(await store.multipart.any('c')).toBe(false);

        for (const n of [3, 1, 2, 10000]) {
          await store.multipart.putPart({
            uploadId: 'u1',
            partNumber: n,
            size: n,
            etag: `e${n}`,
            lastModified: new Date(n),
          });
        }
        await store.multipart.putPart({
          uploadId: 'u1',
          partNumber: 2,
          size: 22,
          etag: 'e2b',
          checksums: { CRC32: 'AAAAAA==' },
          lastModified: new Date(5),
        });
        const all = await store.multipart.listParts('u1', 0, 100);
        expect(all.map((p) => p.partNumber)).toEqual([1, 2, 3, 10000]);
        expect(all[1]).toEqual({
          uploadId: 'u1',
          partNumber: 2,
          size: 22,
          etag: 'e2b',
          checksums: { CRC32: 'AAAAAA==' },
          lastModified: new Date(5),
        });
        expect((await store.multipart.listParts('u1', 2, 1)).map((p) => p.partNumber)).toEqual([3]);
        expect(await store.multipart.listParts('u1', 10000, 5)).toEqual([]);

        expect(await store.multipart.delete('u1')).toBe(true);
        expect(await store.multipart.delete('u1')).toBe(false);
        expect(await store.multipart.get('u1')).toBeUndefined();
        expect(await store.multipart.listParts('u1', 0, 100)).toEqual([]);
        expect(await store.multipart.any('b')).toBe(false);
      });

      it('deletes part rows whose upload is gone, and only those', async () => {
        await store.multipart.create(uploadRecord('b', 'k', 'live', 100));
        const part = (uploadId: string, partNumber: number) =>
          store.multipart.putPart({ uploadId, partNumber, size: 1, etag: 'e', lastModified: new Date(1) });
        await part('live', 1);
        // A part recorded after its upload was removed (a lost race with an abort).
        await part('gone', 1);
        await part('gone', 2);
        expect(await store.multipart.deleteOrphanParts()).toBe(2);
        expect(await store.multipart.listParts('gone', 0, 10)).toEqual([]);
        expect((await store.multipart.listParts('live', 0, 10)).map((p) => p.partNumber)).toEqual([1]);
        expect(await store.multipart.deleteOrphanParts()).toBe(0);
      });

      it('lists uploads by key then initiation, with markers, prefix and delimiter', async () => {
        await store.multipart.create(uploadRecord('b', 'k2', 'u-c', 300));
        await store.multipart.create(uploadRecord('b', 'k1', 'u-b', 200));
        await store.multipart.create(uploadRecord('b', 'k1', 'u-a', 100));
        await store.multipart.create(uploadRecord('b', 'k1', 'u-z', 100));
        await store.multipart.create(uploadRecord('b', 'd/x', 'u-d', 50));
        await store.multipart.create(uploadRecord('b', 'd/y', 'u-e', 50));
        await store.multipart.create(uploadRecord('other', 'k1', 'u-o', 1));
        const ids = async (q: Partial<Parameters<MetaStore['multipart']['list']>[0]>) => {
          const page = await store.multipart.list({ bucket: 'b', prefix: '', maxUploads: 1000, ...q });
          return { ...page, uploads: page.uploads.map((u) => u.uploadId) };
        };
        expect((await ids({})).uploads).toEqual(['u-d', 'u-e', 'u-a', 'u-z', 'u-b', 'u-c']);
        expect(await ids({ delimiter: '/' })).toEqual({
          uploads: ['u-a', 'u-z', 'u-b', 'u-c'],
          commonPrefixes: ['d/'],
          isTruncated: false,
          nextKeyMarker: 'k2',
          nextUploadIdMarker: 'u-c',
        });
        expect(await ids({ maxUploads: 2 })).toMatchObject({
          uploads: ['u-d', 'u-e'],
          isTruncated: true,
          nextKeyMarker: 'd/y',
          nextUploadIdMarker: 'u-e',
        });
        expect(await ids({ delimiter: '/', maxUploads: 1 })).toEqual({
          uploads: [],
          commonPrefixes: ['d/'],
          isTruncated: true,
          nextKeyMarker: 'd/',
        });
        expect((await ids({ delimiter: '/', keyMarker: 'd/' })).uploads).toEqual([
          'u-a',
          'u-z',
          'u-b',
          'u-c',
        ]);
        expect((await ids({ keyMarker: 'k1' })).uploads).toEqual(['u-c']);
        expect((await ids({ keyMarker: 'k1', uploadIdMarker: 'u-a' })).uploads).toEqual([
          'u-z',
          'u-b',
          'u-c',
        ]);
        expect((await ids({ keyMarker: 'k1', uploadIdMarker: 'u-z', maxUploads: 1 })).uploads).toEqual([
          'u-b',
        ]);
        // upload-id-marker without key-marker is ignored, as in S3.
        expect((await ids({ uploadIdMarker: 'u-b' })).uploads).toHaveLength(6);
        expect((await ids({ prefix: 'd/' })).uploads).toEqual(['u-d', 'u-e']);
        expect(await ids({ maxUploads: 0 })).toEqual({ uploads: [], commonPrefixes: [], isTruncated: false });

        // Paging with the returned markers visits every upload once.
        const seen: string[] = [];
        let markers: { keyMarker?: string; uploadIdMarker?: string } = {};
        for (let i = 0; i < 10; i++) {
          const page = await ids({ maxUploads: 2, ...markers });
          seen.push(...page.uploads);
          if (!page.isTruncated) break;
          markers = { keyMarker: page.nextKeyMarker!, uploadIdMarker: page.nextUploadIdMarker! };
        }
        expect(seen).toEqual(['u-d', 'u-e', 'u-a', 'u-z', 'u-b', 'u-c']);
      });
    });
  });
}
