// The index writer on a real database file shared with an event-loop connection, as the store uses
// it: batching, per-write errors, ordering, close, and a writer that cannot start.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IndexWriter } from './index-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const statements = {
  put: 'INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v',
  insert: 'INSERT INTO t (k, v) VALUES (?, ?)',
  del: 'DELETE FROM t WHERE k = ?',
};

function open(): { db: Database.Database; path: string } {
  const path = join(dir, `w-${n++}.db`);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  return { db, path };
}

const rows = (db: Database.Database): Record<string, number> =>
  Object.fromEntries(
    (db.prepare('SELECT k, v FROM t ORDER BY k').all() as { k: string; v: number }[]).map((r) => [r.k, r.v]),
  );

describe('IndexWriter', () => {
  it('applies writes requested together in one batch, visible to the other connection when answered', async () => {
    const { db, path } = open();
    const w = new IndexWriter({ path, statements, busyTimeoutMs: 1000 });
    await w.ready;
    const changes = await Promise.all(Array.from({ length: 200 }, (_, i) => w.run('put', [`k${i}`, i])));
    expect(changes).toEqual(Array(200).fill(1));
    expect(w.stats).toEqual({ batches: 1, writes: 200 });
    expect(Object.keys(rows(db))).toHaveLength(200);
    expect(rows(db).k7).toBe(7);
    // Requests made while a batch is in flight go together in the next one.
    const first = w.run('put', ['a', 1]);
    await new Promise((r) => setImmediate(r));
    const later = Array.from({ length: 50 }, (_, i) => w.run('put', [`b${i}`, i]));
    await Promise.all([first, ...later]);
    expect(w.stats).toEqual({ batches: 3, writes: 251 });
    await w.close();
    db.close();
  });

  it('fails a write that breaks a constraint alone, and keeps the order of writes', async () => {
    const { db, path } = open();
    const w = new IndexWriter({ path, statements, busyTimeoutMs: 1000 });
    const results = await Promise.allSettled([
      w.run('insert', ['a', 1]),
      w.run('insert', ['a', 2]),
      w.run('put', ['b', 3]),
      w.run('del', ['b']),
      w.run('del', ['c']),
      w.run('put', ['c', 4]),
    ]);
    expect(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code)),
    ).toEqual([1, 'SQLITE_CONSTRAINT_PRIMARYKEY', 1, 1, 0, 1]);
    expect(w.stats.batches).toBe(1);
    expect(rows(db)).toEqual({ a: 1, c: 4 });
    await w.close();
    db.close();
  });

  it('applies every write requested before close, and refuses writes after it', async () => {
    const { db, path } = open();
    const w = new IndexWriter({ path, statements, busyTimeoutMs: 1000 });
    const first = w.run('put', ['x', 0]);
    await new Promise((r) => setImmediate(r));
    // One batch is in flight; these wait in the outbox when close is called.
    const rest = Array.from({ length: 20 }, (_, i) => w.run('put', [`y${i}`, i]));
    const closed = w.close();
    await expect(w.run('put', ['z', 1])).rejects.toThrow(/closing/);
    await Promise.all([first, ...rest, closed]);
    expect(Object.keys(rows(db))).toHaveLength(21);
    await expect(w.run('put', ['z', 1])).rejects.toThrow();
    db.close();
  });

  it('reports a writer that cannot start, and fails its writes', async () => {
    const { db, path } = open();
    const w = new IndexWriter({
      path,
      statements: { bad: 'INSERT INTO no_such_table VALUES (1)' },
      busyTimeoutMs: 1000,
    });
    await expect(w.ready).rejects.toThrow(/could not start: no such table/);
    await expect(w.run('bad', [])).rejects.toThrow();
    await w.close();
    db.close();
  });
});
