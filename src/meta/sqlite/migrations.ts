// The SQLite schema as an ordered list of migrations, applied in one transaction each and recorded
// in PRAGMA user_version. To change the schema, APPEND a migration with the next version number;
// never edit a released one. src/meta/postgres/migrations.ts mirrors this list (same versions).
import type Database from 'better-sqlite3';

export interface Migration {
  /** 1, 2, 3, … without gaps: the value of user_version once applied. */
  readonly version: number;
  readonly name: string;
  /** One or more SQL statements. Keep them portable (TEXT, INTEGER, REAL; JSON kept as TEXT). */
  readonly up: string;
}

/*
 * Conventions (shared with the PostgreSQL mirror):
 * - times are INTEGER milliseconds since the epoch; file mtimes are REAL milliseconds;
 * - JSON documents (headers, metadata, tags, checksums, parts, CORS) are TEXT;
 * - keys are TEXT compared in binary (SQLite's default BINARY collation = UTF-8 byte order = S3
 *   order; PostgreSQL will declare COLLATE "C");
 * - tables keyed by a natural key are WITHOUT ROWID so the primary key is the clustered B-tree.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'buckets, objects, multipart uploads and parts',
    up: `
      CREATE TABLE buckets (
        name        TEXT    NOT NULL PRIMARY KEY,
        tenant_id   TEXT    NOT NULL,
        owner       TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        region      TEXT    NOT NULL,
        tags        TEXT    NOT NULL,
        cors        TEXT,
        policy      TEXT
      ) WITHOUT ROWID;
      CREATE INDEX buckets_by_tenant ON buckets (tenant_id, name);

      CREATE TABLE objects (
        bucket         TEXT    NOT NULL,
        key            TEXT    NOT NULL,
        size           INTEGER NOT NULL,
        etag           TEXT    NOT NULL,
        last_modified  INTEGER NOT NULL,
        headers        TEXT    NOT NULL,
        user_metadata  TEXT    NOT NULL,
        checksums      TEXT    NOT NULL,
        checksum_type  TEXT,
        tags           TEXT    NOT NULL,
        owner          TEXT    NOT NULL,
        storage_class  TEXT    NOT NULL,
        parts          TEXT,
        file_mtime_ms  REAL    NOT NULL,
        PRIMARY KEY (bucket, key)
      ) WITHOUT ROWID;

      CREATE TABLE uploads (
        upload_id          TEXT    NOT NULL PRIMARY KEY,
        bucket             TEXT    NOT NULL,
        key                TEXT    NOT NULL,
        initiated          INTEGER NOT NULL,
        owner              TEXT    NOT NULL,
        headers            TEXT    NOT NULL,
        user_metadata      TEXT    NOT NULL,
        tags               TEXT    NOT NULL,
        checksum_algorithm TEXT,
        checksum_type      TEXT,
        storage_class      TEXT    NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX uploads_by_key ON uploads (bucket, key, initiated, upload_id);

      CREATE TABLE parts (
        upload_id      TEXT    NOT NULL,
        part_number    INTEGER NOT NULL,
        size           INTEGER NOT NULL,
        etag           TEXT    NOT NULL,
        checksums      TEXT,
        last_modified  INTEGER NOT NULL,
        PRIMARY KEY (upload_id, part_number)
      ) WITHOUT ROWID;
    `,
  },
];

/** Brings the database to the latest version; each migration and its version bump commit together. */
export function migrate(db: Database.Database, list: readonly Migration[] = migrations): number {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > list.length) {
    throw new Error(`index schema version ${current} is newer than this build knows (${list.length})`);
  }
  for (const m of list.slice(current)) {
    db.transaction(() => {
      // Re-read under the write lock: another process may have applied it meanwhile.
      if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return;
      db.exec(m.up);
      // PRAGMA takes no bound parameters; the version is a checked integer.
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return list.length;
}
