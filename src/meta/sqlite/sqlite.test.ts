// The SQLite adapter: the shared MetaStore contract on a real database file, plus what is SQLite's
// own: migrations, durability settings, and listing cost at a million keys (counted, not timed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketRecord, objectRecord, runMetaContract } from '../contract/meta-contract.js';
import { migrate, migrations } from './migrations.js';
import { openSqliteMeta } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-meta-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `index-${n++}.db`);

runMetaContract('sqlite', () => openSqliteMeta({ path: freshPath() }));

describe('sqlite specifics', () => {
  it('runs in WAL with synchronous=FULL and records the schema version', async () => {
    const store = openSqliteMeta({ path: freshPath() });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(store.db.pragma('user_version', { simple: true })).toBe(migrations.length);
    await store.close();
  });

  it('persists across reopen and does not re-apply migrations', async () => {
    const path = freshPath();
    const a = openSqliteMeta({ path });
    await a.buckets.create(bucketRecord('b'));
    await a.objects.put(objectRecord('b', 'k'));
    await a.close();
    const b = openSqliteMeta({ path });
    expect(await b.objects.get('b', 'k')).toEqual(objectRecord('b', 'k'));
    expect(migrate(b.db)).toBe(migrations.length);
    await b.close();
  });

  it('refuses a second store on the same file while the first is open', async () => {
    const path = freshPath();
    const a = openSqliteMeta({ path });
    await a.buckets.create(bucketRecord('b'));
    expect(() => openSqliteMeta({ path, busyTimeoutMs: 50 })).toThrow(/in use by another Coffer server/);
    await a.close();
    const b = openSqliteMeta({ path, busyTimeoutMs: 50 });
    expect((await b.buckets.get('b'))?.name).toBe('b');
    await b.close();
  });

  it('applies appended migrations in order and refuses a schema newer than the build', async () => {
    const store = openSqliteMeta({ path: freshPath() });
    const extra = [
      ...migrations,
      {
        version: migrations.length + 1,
        name: 'test table',
        up: 'CREATE TABLE t_extra (id TEXT PRIMARY KEY)',
      },
    ];
    expect(migrate(store.db, extra)).toBe(extra.length);
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 't_extra'").pluck().get()).toBe(
      't_extra',
    );
    expect(() => migrate(store.db)).toThrow(/newer/);
    const gap = [...migrations, { version: migrations.length + 5, name: 'gap', up: '' }];
    expect(() => migrate(store.db, gap)).toThrow(/expected/);
    await store.close();
  });

  it('a failing migration leaves no trace', async () => {
    const store = openSqliteMeta({ path: freshPath() });
    const bad = [
      ...migrations,
      {
        version: migrations.length + 1,
        name: 'bad',
        up: 'CREATE TABLE t_half (x); SELECT * FROM no_such_table;',
      },
    ];
    expect(() => migrate(store.db, bad)).toThrow();
    expect(store.db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 't_half'").get()).toBeUndefined();
    await store.close();
  });

  it('plans every listing statement as an index SEARCH, never a SCAN', async () => {
    const store = openSqliteMeta({ path: freshPath() });
    expect(store.listingSql.length).toBeGreaterThanOrEqual(9);
    for (const sql of store.listingSql) {
      const params = (sql.match(/\?/g) ?? []).map(() => 'x');
      const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((r) => r.detail)
        .join('; ');
      expect(plan, sql).toMatch(
        /^SEARCH (objects|uploads) USING (PRIMARY KEY|INDEX uploads_by_key|COVERING INDEX uploads_by_key)/,
      );
      expect(plan, sql).not.toMatch(/\bSCAN\b|TEMP B-TREE/);
    }
    await store.close();
  });

  it("writes on the event loop's connection interleave with the index writer's batches", async () => {
    const store = openSqliteMeta({ path: freshPath() });
    await store.ready;
    await store.buckets.create(bucketRecord('b'));
    // Object rows commit on the writer's thread while bucket updates (transactions that read, then
    // write) run here: each must wait for the other's write lock, never fail on it.
    const puts: Promise<void>[] = [];
    for (let round = 0; round < 150; round++) {
      for (let i = 0; i < 20; i++) puts.push(store.objects.put(objectRecord('b', `k-${round}-${i}`)));
      await store.buckets.update('b', { tags: [{ key: 'round', value: String(round) }] });
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(puts);
    expect((await store.objects.list({ bucket: 'b', prefix: '', maxKeys: 5000 })).objects).toHaveLength(3000);
    expect((await store.buckets.get('b'))?.tags).toEqual([{ key: 'round', value: '149' }]);
    await store.close();
  });

  it('a store closed with writes in flight applies them first', async () => {
    const path = freshPath();
    const a = openSqliteMeta({ path });
    await a.buckets.create(bucketRecord('b'));
    const puts = Array.from({ length: 100 }, (_, i) => a.objects.put(objectRecord('b', `k${i}`)));
    await a.close();
    await Promise.all(puts);
    const b = openSqliteMeta({ path });
    expect((await b.objects.list({ bucket: 'b', prefix: '', maxKeys: 1000 })).objects).toHaveLength(100);
    await b.close();
  });
});

describe('listing at scale', () => {
  it('pages 1000 common prefixes over a 500k-key prefix among 1M keys visiting ~1000 rows', async () => {
    const store = openSqliteMeta({ path: freshPath() });
    const insert = store.db.prepare(
      `INSERT INTO objects (bucket, key, size, etag, last_modified, headers, user_metadata, checksums, tags, owner, storage_class, file_mtime_ms)
       VALUES ('big', ?, 1, 'e', 0, '{"contentType":"x"}', '{}', '{}', '[]', 'o', 'STANDARD', 0)`,
    );
    const pad = (i: number, w: number): string => String(i).padStart(w, '0');
    const started = Date.now();
    store.db.transaction(() => {
      // 250,000 keys before, 500,000 under logs/ in 2,000 sub-directories of 250, 250,000 after.
      for (let i = 0; i < 250_000; i++) insert.run(`aaa/${pad(i, 6)}`);
      for (let d = 0; d < 2000; d++)
        for (let i = 0; i < 250; i++) insert.run(`logs/d${pad(d, 4)}/f${pad(i, 3)}`);
      for (let i = 0; i < 250_000; i++) insert.run(`zzz/${pad(i, 6)}`);
    })();
    const insertMs = Date.now() - started;
    expect(store.db.prepare('SELECT count(*) FROM objects').pluck().get()).toBe(1_000_000);

    store.counters.scans = 0;
    store.counters.rows = 0;
    const page = await store.objects.list({ bucket: 'big', prefix: 'logs/', delimiter: '/', maxKeys: 1000 });
    expect(page.objects).toEqual([]);
    expect(page.commonPrefixes).toHaveLength(1000);
    expect(page.commonPrefixes[0]).toBe('logs/d0000/');
    expect(page.commonPrefixes[999]).toBe('logs/d0999/');
    expect(page.isTruncated).toBe(true);
    expect(page.last).toBe('logs/d0999/');
    // One seek per common prefix plus the look-ahead: 1,001 rows read, not 250,000.
    expect(store.counters.rows).toBe(1001);
    expect(store.counters.scans).toBe(1001);
    // The narrow listing walks the same way.
    store.counters.scans = 0;
    store.counters.rows = 0;
    const entries = await store.objects.listEntries({
      bucket: 'big',
      prefix: 'logs/',
      delimiter: '/',
      maxKeys: 1000,
    });
    expect(entries.commonPrefixes).toEqual(page.commonPrefixes);
    expect(store.counters.rows).toBe(1001);
    expect(store.counters.scans).toBe(1001);

    store.counters.rows = 0;
    const second = await store.objects.list({
      bucket: 'big',
      prefix: 'logs/',
      delimiter: '/',
      maxKeys: 1000,
      after: page.last!,
    });
    expect(second.commonPrefixes[0]).toBe('logs/d1000/');
    expect(second.commonPrefixes[999]).toBe('logs/d1999/');
    expect(second.isTruncated).toBe(false);
    expect(store.counters.rows).toBe(1000);

    // Inside one sub-directory, starting mid-way, without a delimiter.
    store.counters.rows = 0;
    const inner = await store.objects.list({
      bucket: 'big',
      prefix: 'logs/d0500/',
      maxKeys: 100,
      after: 'logs/d0500/f199',
    });
    expect(inner.objects.map((o) => o.key)).toEqual(
      Array.from({ length: 50 }, (_, i) => `logs/d0500/f${200 + i}`),
    );
    expect(inner.isTruncated).toBe(false);
    expect(store.counters.rows).toBe(50);
    console.log(`scale: inserted 1,000,000 rows in ${insertMs} ms`);
    await store.close();
  });
});
