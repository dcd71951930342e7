// The SQLite MetaStore: a better-sqlite3 connection on the event loop (WAL, synchronous=FULL) for reads
// and most writes, and the index writer's (index-writer.ts) for the hot ones: object and part rows.
// Migrations applied on open, every statement prepared once. Rows map to the port's records here; listings use the
// shared seek walk (../listing.ts) over ordered primary-key range scans.
/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; `async` methods satisfy the async port and turn throws into rejections. */
import Database from 'better-sqlite3';
import { CofferError } from '../../errors/error.js';
import { prefixSuccessor, seekList, startAfter } from '../listing.js';
import type { ChecksumAlgorithm } from '../../kernel/checksums.js';
import type {
  BucketRecord,
  BucketStore,
  ListEntriesPage,
  ListEntry,
  ListObjectsPage,
  ListObjectsQuery,
  ListUploadsPage,
  ListUploadsQuery,
  MetaStore,
  MultipartStore,
  MultipartUploadRecord,
  ObjectRecord,
  PartInfo,
  ObjectStore,
  PartRecord,
} from '../ports.js';
import { IndexWriter, type SqlValue } from './index-writer.js';
import { migrate } from './migrations.js';

export interface SqliteMetaOptions {
  /** Database file, e.g. `<data>/.coffer/index.db`; ':memory:' for tests. */
  path: string;
  /** Milliseconds to wait on a lock held by another connection (default 5000). */
  busyTimeoutMs?: number;
}

/** Internal counters, for tests that prove listing cost without timing it. */
export interface SqliteMetaCounters {
  /** Range-scan statements started by listings. */
  scans: number;
  /** Rows read from listing scans. */
  rows: number;
}

export interface SqliteMetaStore extends MetaStore {
  /** The connection, for diagnostics (EXPLAIN QUERY PLAN) and bulk tooling; not for request paths. */
  readonly db: Database.Database;
  readonly counters: SqliteMetaCounters;
  /** The SQL of every listing statement, so tests can EXPLAIN QUERY PLAN the real text. */
  readonly listingSql: readonly string[];
  /** Resolves once the index writer runs; rejects if it cannot start. */
  readonly ready: Promise<void>;
}

interface BucketRow {
  name: string;
  tenant_id: string;
  owner: string;
  created_at: number;
  region: string;
  tags: string;
  cors: string | null;
  policy: string | null;
}

interface ObjectRow {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  last_modified: number;
  headers: string;
  user_metadata: string;
  checksums: string;
  checksum_type: string | null;
  tags: string;
  owner: string;
  storage_class: string;
  parts: string | null;
  file_mtime_ms: number;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  owner: string;
  headers: string;
  user_metadata: string;
  tags: string;
  checksum_algorithm: string | null;
  checksum_type: string | null;
  storage_class: string;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  checksums: string | null;
  last_modified: number;
}

// Most records carry empty maps and lists: skip the parser for them (GET/HEAD are hot paths).
const parseJson = <T>(text: string): T => (text === '{}' ? {} : text === '[]' ? [] : JSON.parse(text)) as T;

const OBJECT_COLUMNS =
  'bucket, key, size, etag, last_modified, headers, user_metadata, checksums, checksum_type, tags, owner, storage_class, parts, file_mtime_ms';
// Listings do not return the part layout: it can be large (10,000 parts) and no listing needs it.
const LIST_COLUMNS = OBJECT_COLUMNS.replace(', parts,', ', NULL AS parts,');

/**
 * The writes every PUT, DELETE and UploadPart ends in, run by the index writer (index-writer.ts) so
 * that ordering among them is its queue's. Nothing else writes these rows on a request path.
 */
const HOT_STATEMENTS = {
  putObject: `INSERT INTO objects (${OBJECT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag,
       last_modified = excluded.last_modified, headers = excluded.headers,
       user_metadata = excluded.user_metadata, checksums = excluded.checksums,
       checksum_type = excluded.checksum_type, tags = excluded.tags, owner = excluded.owner,
       storage_class = excluded.storage_class, parts = excluded.parts,
       file_mtime_ms = excluded.file_mtime_ms`,
  deleteObject: 'DELETE FROM objects WHERE bucket = ? AND key = ?',
  putPart: `INSERT INTO parts (upload_id, part_number, size, etag, checksums, last_modified) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
       checksums = excluded.checksums, last_modified = excluded.last_modified`,
} as const;
type HotStatement = keyof typeof HOT_STATEMENTS;

function toObject(r: ObjectRow): ObjectRecord {
  const rec: ObjectRecord = {
    bucket: r.bucket,
    key: r.key,
    size: r.size,
    etag: r.etag,
    lastModified: new Date(r.last_modified),
    headers: parseJson(r.headers),
    userMetadata: parseJson(r.user_metadata),
    checksums: parseJson(r.checksums),
    tags: parseJson(r.tags),
    owner: r.owner,
    storageClass: r.storage_class,
    fileMtimeMs: r.file_mtime_ms,
  };
  if (r.checksum_type !== null) rec.checksumType = r.checksum_type as 'FULL_OBJECT' | 'COMPOSITE';
  // Parsed now, not on first access through a getter: an accessor defined on a record gives it a
  // hidden class of its own, and reads of every record's fields on the GET/HEAD path then go
  // megamorphic (25–30 ns instead of ~4.5 ns per four-field read in a micro-benchmark). The object
  // cache keeps the parsed record, so a part list is parsed once per cache load.
  if (r.parts !== null) rec.parts = JSON.parse(r.parts) as PartInfo[];
  return rec;
}

/**
 * Listing entries are read as one string per row, because better-sqlite3 spends more per column
 * (and per row array or object) than on the row itself. The common row — no checksums, and no
 * space in any field but the key, which comes last — is `last_modified size etag storage_class
 * owner key`; any other is a JSON array. A packed row starts with a digit or '-', never '['.
 */
const ENTRY_COLUMN = `CASE WHEN checksums = '{}' AND checksum_type IS NULL AND instr(etag, ' ') = 0
  AND instr(storage_class, ' ') = 0 AND instr(owner, ' ') = 0
  THEN last_modified || ' ' || size || ' ' || etag || ' ' || storage_class || ' ' || owner || ' ' || key
  ELSE json_array(key, size, etag, last_modified, storage_class, owner, json(checksums), checksum_type) END`;

const NO_ALGORITHMS: readonly ChecksumAlgorithm[] = Object.freeze([]);

type EntryJson = [string, number, string, number, string, string, Record<string, string>, string | null];

function toEntry(row: string): ListEntry {
  if (row.charCodeAt(0) === 0x5b) {
    const [key, size, etag, lastModifiedMs, storageClass, owner, checksums, checksumType] = JSON.parse(
      row,
    ) as EntryJson;
    const entry: ListEntry = {
      key,
      size,
      etag,
      lastModifiedMs,
      checksumAlgorithms: Object.keys(checksums) as ChecksumAlgorithm[],
      owner,
      storageClass,
    };
    if (checksumType !== null) entry.checksumType = checksumType as 'FULL_OBJECT' | 'COMPOSITE';
    return entry;
  }
  const a = row.indexOf(' ');
  const b = row.indexOf(' ', a + 1);
  const c = row.indexOf(' ', b + 1);
  const d = row.indexOf(' ', c + 1);
  const e = row.indexOf(' ', d + 1);
  return {
    key: row.slice(e + 1),
    size: Number(row.slice(a + 1, b)),
    etag: row.slice(b + 1, c),
    lastModifiedMs: Number(row.slice(0, a)),
    checksumAlgorithms: NO_ALGORITHMS,
    owner: row.slice(d + 1, e),
    storageClass: row.slice(c + 1, d),
  };
}

function toBucket(r: BucketRow): BucketRecord {
  const rec: BucketRecord = {
    name: r.name,
    tenantId: r.tenant_id,
    owner: r.owner,
    createdAt: new Date(r.created_at),
    region: r.region,
    tags: parseJson(r.tags),
  };
  if (r.cors !== null) rec.cors = parseJson(r.cors);
  if (r.policy !== null) rec.policy = r.policy;
  return rec;
}

function toUpload(r: UploadRow): MultipartUploadRecord {
  const rec: MultipartUploadRecord = {
    uploadId: r.upload_id,
    bucket: r.bucket,
    key: r.key,
    initiated: new Date(r.initiated),
    owner: r.owner,
    headers: parseJson(r.headers),
    userMetadata: parseJson(r.user_metadata),
    tags: parseJson(r.tags),
    storageClass: r.storage_class,
  };
  if (r.checksum_algorithm !== null)
    rec.checksumAlgorithm = r.checksum_algorithm as NonNullable<MultipartUploadRecord['checksumAlgorithm']>;
  if (r.checksum_type !== null) rec.checksumType = r.checksum_type as 'FULL_OBJECT' | 'COMPOSITE';
  return rec;
}

function toPart(r: PartRow): PartRecord {
  const rec: PartRecord = {
    uploadId: r.upload_id,
    partNumber: r.part_number,
    size: r.size,
    etag: r.etag,
    lastModified: new Date(r.last_modified),
  };
  if (r.checksums !== null) rec.checksums = parseJson(r.checksums);
  return rec;
}

/** Four variants of one ordered range scan: lower bound inclusive or not, upper bound or none. */
interface ScanStatements {
  gtLt: Database.Statement;
  geLt: Database.Statement;
  gt: Database.Statement;
  ge: Database.Statement;
}

function prepareScans(db: Database.Database, select: string, order: string): ScanStatements {
  const q = (lower: string, upper: boolean): Database.Statement =>
    db.prepare(`${select} AND key ${lower} ? ${upper ? 'AND key < ?' : ''} ORDER BY ${order}`);
  return { gtLt: q('>', true), geLt: q('>=', true), gt: q('>', false), ge: q('>=', false) };
}

/** The statements of one object listing: bounded pages without a delimiter, range scans with one. */
interface ListStatements {
  pageGe: Database.Statement;
  pageGt: Database.Statement;
  pageGeLt: Database.Statement;
  pageGtLt: Database.Statement;
  scans: ScanStatements;
}

function listStatements(db: Database.Database, columns: string, pluck: boolean): ListStatements {
  const select = `SELECT ${columns} FROM objects WHERE bucket = ?`;
  const page = (bounds: string): Database.Statement => {
    const st = db.prepare(`${select} AND ${bounds} ORDER BY key LIMIT ?`);
    return pluck ? st.pluck() : st;
  };
  const scans = prepareScans(db, select, 'key');
  if (pluck) for (const st of Object.values(scans) as Database.Statement[]) st.pluck();
  return {
    pageGe: page('key >= ?'),
    pageGt: page('key > ?'),
    pageGeLt: page('key >= ? AND key < ?'),
    pageGtLt: page('key > ? AND key < ?'),
    scans,
  };
}

const inUse = (path: string, cause: unknown): Error =>
  new Error(
    `the index ${path} is in use by another Coffer server (one server per data directory; several servers share PostgreSQL)`,
    { cause },
  );

/**
 * One server owns an index file: a second one on the same data directory could not keep its caches
 * coherent with the first's. The index itself is shared by two connections of this process (the
 * event loop's and the writer's), so the claim is an exclusive lock on a companion file, held by a
 * connection that does nothing else until the store closes.
 */
function claimIndex(path: string, timeoutMs: number): Database.Database {
  const guard = new Database(`${path}-lock`, { timeout: timeoutMs });
  try {
    guard.pragma('locking_mode = EXCLUSIVE');
    guard.pragma('journal_mode = MEMORY');
    // In exclusive locking mode the lock a transaction takes is kept after it ends.
    guard.exec('BEGIN EXCLUSIVE; COMMIT');
    return guard;
  } catch (e) {
    guard.close();
    throw (e as { code?: string }).code === 'SQLITE_BUSY' ? inUse(path, e) : e;
  }
}

export function openSqliteMeta(options: SqliteMetaOptions): SqliteMetaStore {
  const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
  const inMemory = options.path === ':memory:' || options.path === '';
  const guard = inMemory ? undefined : claimIndex(options.path, busyTimeoutMs);
  const db = new Database(options.path, { timeout: busyTimeoutMs });
  try {
    db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit, so an acknowledged write survives a power loss
    // (NORMAL would only survive a process crash). The hot writes run on the index writer instead,
    // which fsyncs the WAL once per batch; what stays here (buckets, uploads, IAM) is infrequent.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (e) {
    db.close();
    guard?.close();
    throw (e as { code?: string }).code === 'SQLITE_BUSY' ? inUse(options.path, e) : e;
  }

  // An in-memory database cannot be shared with another connection: its hot writes stay inline.
  let writer: IndexWriter | undefined;
  let hot: (statement: HotStatement, params: SqlValue[]) => Promise<number>;
  if (inMemory) {
    const inline = Object.fromEntries(
      Object.entries(HOT_STATEMENTS).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Record<HotStatement, Database.Statement>;
    hot = async (statement, params) => inline[statement].run(...params).changes;
  } else {
    try {
      const w = (writer = new IndexWriter({ path: options.path, statements: HOT_STATEMENTS, busyTimeoutMs }));
      hot = (statement, params) => w.run(statement, params);
    } catch (e) {
      db.close();
      guard?.close();
      throw e;
    }
  }

  const counters: SqliteMetaCounters = { scans: 0, rows: 0 };
  const scanRows = <R>(stmts: ScanStatements, fixed: unknown[]) =>
    function* scan(from: string, inclusive: boolean, upper: string | undefined): Iterable<R> {
      const stmt =
        upper === undefined ? (inclusive ? stmts.ge : stmts.gt) : inclusive ? stmts.geLt : stmts.gtLt;
      const args = upper === undefined ? [...fixed, from] : [...fixed, from, upper];
      counters.scans++;
      for (const row of stmt.iterate(...args) as IterableIterator<R>) {
        counters.rows++;
        yield row;
      }
    };

  // --- buckets ---
  const b = {
    insert: db.prepare(
      `INSERT INTO buckets (name, tenant_id, owner, created_at, region, tags, cors, policy)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
    ),
    get: db.prepare('SELECT * FROM buckets WHERE name = ?'),
    listAll: db.prepare('SELECT * FROM buckets ORDER BY name'),
    listTenant: db.prepare('SELECT * FROM buckets WHERE tenant_id = ? ORDER BY name'),
    delete: db.prepare('DELETE FROM buckets WHERE name = ?'),
    setTags: db.prepare('UPDATE buckets SET tags = ? WHERE name = ?'),
    setCors: db.prepare('UPDATE buckets SET cors = ? WHERE name = ?'),
    setPolicy: db.prepare('UPDATE buckets SET policy = ? WHERE name = ?'),
    exists: db.prepare('SELECT 1 FROM buckets WHERE name = ?').pluck(),
  };
  // Transactions that write are run `.immediate`: the index writer commits from its own thread, and
  // a deferred transaction whose snapshot it overtook could not upgrade to a write (SQLITE_BUSY_SNAPSHOT
  // at once, without waiting); one that takes the write lock first waits its turn instead.
  const updateBucket = db.transaction((name: string, patch: Parameters<BucketStore['update']>[1]): void => {
    if (b.exists.get(name) === undefined) throw new CofferError('NoSuchBucket');
    if (patch.tags !== undefined) b.setTags.run(JSON.stringify(patch.tags), name);
    if ('cors' in patch) b.setCors.run(patch.cors === undefined ? null : JSON.stringify(patch.cors), name);
    if ('policy' in patch) b.setPolicy.run(patch.policy ?? null, name);
  });

  const buckets: BucketStore = {
    async create(r) {
      const res = b.insert.run(
        r.name,
        r.tenantId,
        r.owner,
        r.createdAt.getTime(),
        r.region,
        JSON.stringify(r.tags),
        r.cors === undefined ? null : JSON.stringify(r.cors),
        r.policy ?? null,
      );
      return res.changes > 0;
    },
    async get(name) {
      const row = b.get.get(name) as BucketRow | undefined;
      return row && toBucket(row);
    },
    async list(tenantId) {
      const rows = (tenantId === undefined ? b.listAll.all() : b.listTenant.all(tenantId)) as BucketRow[];
      return rows.map(toBucket);
    },
    async delete(name) {
      return b.delete.run(name).changes > 0;
    },
    async update(name, patch) {
      updateBucket.immediate(name, patch);
    },
  };

  // --- objects ---
  const o = {
    get: db.prepare(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?`),
    any: db.prepare('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1').pluck(),
    ...listStatements(db, LIST_COLUMNS, false),
  };
  const entryStatements = listStatements(db, ENTRY_COLUMN, true);

  /**
   * One listing page over either column set: without a delimiter one bounded statement (maxKeys + 1
   * rows: the look-ahead), with one the seek walk over range scans. `convert` turns a fetched row
   * into something with a key.
   */
  const listPage = <R extends { key: string }>(
    q: ListObjectsQuery,
    st: ListStatements,
    convert: (row: never) => R,
  ): { rows: R[]; commonPrefixes: string[]; isTruncated: boolean; last?: string } => {
    const delimiter = q.delimiter === '' ? undefined : q.delimiter;
    const start = startAfter(q.prefix, delimiter, q.after);
    if (q.maxKeys <= 0 || start === undefined) return { rows: [], commonPrefixes: [], isTruncated: false };
    if (delimiter === undefined) {
      const upper = q.prefix === '' ? undefined : prefixSuccessor(q.prefix);
      const stmt =
        upper === undefined
          ? start.inclusive
            ? st.pageGe
            : st.pageGt
          : start.inclusive
            ? st.pageGeLt
            : st.pageGtLt;
      const args = upper === undefined ? [q.bucket, start.from] : [q.bucket, start.from, upper];
      counters.scans++;
      const fetched = stmt.all(...args, q.maxKeys + 1) as never[];
      counters.rows += fetched.length;
      const isTruncated = fetched.length > q.maxKeys;
      if (isTruncated) fetched.length = q.maxKeys;
      const rows = fetched.map(convert);
      const page: ReturnType<typeof listPage<R>> = { rows, commonPrefixes: [], isTruncated };
      const lastRow = rows[rows.length - 1];
      if (lastRow) page.last = lastRow.key;
      return page;
    }
    const scan = scanRows<never>(st.scans, [q.bucket]);
    const res = seekList<R>({
      prefix: q.prefix,
      delimiter,
      max: q.maxKeys,
      start,
      scan: function* (from, inclusive, upper) {
        for (const row of scan(from, inclusive, upper)) yield convert(row);
      },
    });
    const page: ReturnType<typeof listPage<R>> = {
      rows: res.rows,
      commonPrefixes: res.commonPrefixes,
      isTruncated: res.isTruncated,
    };
    if (res.last) page.last = 'row' in res.last ? res.last.row.key : res.last.prefix;
    return page;
  };

  const listObjects = (q: ListObjectsQuery): ListObjectsPage => {
    const { rows, ...rest } = listPage<ObjectRow>(q, o, (row: ObjectRow) => row);
    return { objects: rows.map(toObject), ...rest };
  };

  const listEntries = (q: ListObjectsQuery): ListEntriesPage => {
    const { rows, ...rest } = listPage<ListEntry>(q, entryStatements, toEntry);
    return { objects: rows, ...rest };
  };

  const objects: ObjectStore = {
    async get(bucket, key) {
      const row = o.get.get(bucket, key) as ObjectRow | undefined;
      return row && toObject(row);
    },
    async put(r) {
      await hot('putObject', [
        r.bucket,
        r.key,
        r.size,
        r.etag,
        r.lastModified.getTime(),
        JSON.stringify(r.headers),
        JSON.stringify(r.userMetadata),
        JSON.stringify(r.checksums),
        r.checksumType ?? null,
        JSON.stringify(r.tags),
        r.owner,
        r.storageClass,
        r.parts === undefined ? null : JSON.stringify(r.parts),
        r.fileMtimeMs,
      ]);
    },
    async delete(bucket, key) {
      return (await hot('deleteObject', [bucket, key])) > 0;
    },
    async list(q) {
      return listObjects(q);
    },
    async listEntries(q) {
      return listEntries(q);
    },
    async any(bucket) {
      return o.any.get(bucket) !== undefined;
    },
  };

  // --- multipart ---
  const UPLOAD_COLUMNS =
    'upload_id, bucket, key, initiated, owner, headers, user_metadata, tags, checksum_algorithm, checksum_type, storage_class';
  const m = {
    insert: db.prepare(`INSERT INTO uploads (${UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    get: db.prepare(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?`),
    delete: db.prepare('DELETE FROM uploads WHERE upload_id = ?'),
    deleteParts: db.prepare('DELETE FROM parts WHERE upload_id = ?'),
    any: db.prepare('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1').pluck(),
    deleteOrphanParts: db.prepare(
      'DELETE FROM parts WHERE NOT EXISTS (SELECT 1 FROM uploads WHERE uploads.upload_id = parts.upload_id)',
    ),
    listParts: db.prepare(
      'SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
    ),
    // The rest of one key's uploads after a (initiated, upload_id) position: ListMultipartUploads'
    // upload-id-marker. Uploads of a key are ordered by initiation, then id for equal times.
    sameKeyAfter: db.prepare(
      `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE bucket = ? AND key = ?
       AND (initiated > ? OR (initiated = ? AND upload_id > ?)) ORDER BY initiated, upload_id`,
    ),
    scans: prepareScans(
      db,
      `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE bucket = ?`,
      'key, initiated, upload_id',
    ),
  };
  const deleteUpload = db.transaction((uploadId: string): boolean => {
    m.deleteParts.run(uploadId);
    return m.delete.run(uploadId).changes > 0;
  });

  const listUploads = (q: ListUploadsQuery): ListUploadsPage => {
    const delimiter = q.delimiter === '' ? undefined : q.delimiter;
    let start = startAfter(q.prefix, delimiter, q.keyMarker);
    let head: Iterable<UploadRow> | undefined;
    // upload-id-marker counts only with key-marker: uploads of key-marker after that upload come
    // first (S3: "uploads for key-marker with ids after upload-id-marker"); unknown ids add none.
    if (q.keyMarker !== undefined && q.uploadIdMarker !== undefined && start && !start.inclusive) {
      const marker = m.get.get(q.uploadIdMarker) as UploadRow | undefined;
      if (marker && marker.bucket === q.bucket && marker.key === q.keyMarker) {
        head = m.sameKeyAfter.iterate(
          q.bucket,
          marker.key,
          marker.initiated,
          marker.initiated,
          marker.upload_id,
        ) as IterableIterator<UploadRow>;
      }
    }
    if (q.maxUploads <= 0) start = undefined;
    const res = seekList<UploadRow>({
      prefix: q.prefix,
      delimiter,
      max: q.maxUploads,
      start,
      scan: scanRows<UploadRow>(m.scans, [q.bucket]),
      ...(head ? { head } : {}),
    });
    const page: ListUploadsPage = {
      uploads: res.rows.map(toUpload),
      commonPrefixes: res.commonPrefixes,
      isTruncated: res.isTruncated,
    };
    if (res.last) {
      if ('row' in res.last) {
        page.nextKeyMarker = res.last.row.key;
        page.nextUploadIdMarker = res.last.row.upload_id;
      } else {
        page.nextKeyMarker = res.last.prefix;
      }
    }
    return page;
  };

  const multipart: MultipartStore = {
    async create(u) {
      m.insert.run(
        u.uploadId,
        u.bucket,
        u.key,
        u.initiated.getTime(),
        u.owner,
        JSON.stringify(u.headers),
        JSON.stringify(u.userMetadata),
        JSON.stringify(u.tags),
        u.checksumAlgorithm ?? null,
        u.checksumType ?? null,
        u.storageClass,
      );
    },
    async get(uploadId) {
      const row = m.get.get(uploadId) as UploadRow | undefined;
      return row && toUpload(row);
    },
    async list(q) {
      return listUploads(q);
    },
    async putPart(p) {
      await hot('putPart', [
        p.uploadId,
        p.partNumber,
        p.size,
        p.etag,
        p.checksums === undefined ? null : JSON.stringify(p.checksums),
        p.lastModified.getTime(),
      ]);
    },
    async listParts(uploadId, afterPartNumber, max) {
      return (m.listParts.all(uploadId, afterPartNumber, Math.max(0, max)) as PartRow[]).map(toPart);
    },
    async delete(uploadId) {
      return deleteUpload.immediate(uploadId);
    },
    async any(bucket) {
      return m.any.get(bucket) !== undefined;
    },
    async deleteOrphanParts() {
      return m.deleteOrphanParts.run().changes;
    },
  };

  const listingSql = [
    ...[o, entryStatements].flatMap((st) => [
      st.pageGe,
      st.pageGt,
      st.pageGeLt,
      st.pageGtLt,
      ...(Object.values(st.scans) as Database.Statement[]),
    ]),
    ...(Object.values(m.scans) as Database.Statement[]),
    m.sameKeyAfter,
  ].map((st: Database.Statement) => st.source);

  return {
    db,
    counters,
    listingSql,
    buckets,
    objects,
    multipart,
    // claimIndex: no other server writes this file while the store is open.
    shared: false,
    ready: writer?.ready ?? Promise.resolve(),
    async close() {
      // The writer first: it applies what was requested before the close.
      await writer?.close();
      if (db.open) db.close();
      if (guard?.open) guard.close();
    },
  };
}
