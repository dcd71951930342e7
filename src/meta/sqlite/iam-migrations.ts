// The identity store's SQLite schema, versioned on its own in `coffer_migrations` (component 'iam')
// so it lives in the same database file as the object index without touching its user_version.
// Append migrations; never edit a released one. Conventions follow ./migrations.ts: times are
// INTEGER milliseconds, JSON is TEXT, and SQL stays portable for the PostgreSQL mirror.
import type Database from 'better-sqlite3';

export interface IamMigration {
  readonly version: number;
  readonly name: string;
  readonly up: string;
}

export const IAM_COMPONENT = 'iam';

export const iamMigrations: readonly IamMigration[] = [
  {
    version: 1,
    name: 'tenants, users, groups, keys, policies, attachments',
    up: `
      CREATE TABLE iam_tenants (
        id          TEXT    NOT NULL PRIMARY KEY,
        seq         INTEGER NOT NULL UNIQUE,
        account_id  TEXT    NOT NULL UNIQUE,
        name        TEXT    NOT NULL,
        name_key    TEXT    NOT NULL UNIQUE,
        created_at  INTEGER NOT NULL
      );

      -- name_key is the lower-cased name: IAM names are unique regardless of case.
      CREATE TABLE iam_users (
        id            TEXT    NOT NULL PRIMARY KEY,
        tenant_id     TEXT    NOT NULL,
        name          TEXT    NOT NULL,
        name_key      TEXT    NOT NULL,
        path          TEXT    NOT NULL,
        status        TEXT    NOT NULL,
        tags          TEXT    NOT NULL,
        role          TEXT,
        password_hash TEXT,
        uid           INTEGER,
        gid           INTEGER,
        boundary      TEXT,
        created_at    INTEGER NOT NULL,
        UNIQUE (tenant_id, name_key)
      );

      CREATE TABLE iam_groups (
        id          TEXT    NOT NULL PRIMARY KEY,
        tenant_id   TEXT    NOT NULL,
        name        TEXT    NOT NULL,
        name_key    TEXT    NOT NULL,
        path        TEXT    NOT NULL,
        enabled     INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        UNIQUE (tenant_id, name_key)
      );

      CREATE TABLE iam_group_members (
        group_id  TEXT NOT NULL,
        user_id   TEXT NOT NULL,
        PRIMARY KEY (group_id, user_id)
      );
      CREATE INDEX iam_group_members_by_user ON iam_group_members (user_id, group_id);

      -- user_id NULL: a key of the tenant's root. Service-account columns are NULL for other kinds.
      CREATE TABLE iam_access_keys (
        access_key_id     TEXT    NOT NULL PRIMARY KEY,
        tenant_id         TEXT    NOT NULL,
        user_id           TEXT,
        kind              TEXT    NOT NULL,
        secret            TEXT    NOT NULL,
        status            TEXT    NOT NULL,
        created_at        INTEGER NOT NULL,
        last_used_at      INTEGER,
        last_used_service TEXT,
        last_used_region  TEXT,
        sa_id             TEXT UNIQUE,
        sa_name           TEXT,
        sa_description    TEXT,
        sa_policy         TEXT,
        sa_expires_at     INTEGER
      );
      CREATE INDEX iam_access_keys_by_owner ON iam_access_keys (tenant_id, user_id, kind, created_at);

      CREATE TABLE iam_policies (
        id              TEXT    NOT NULL PRIMARY KEY,
        tenant_id       TEXT    NOT NULL,
        name            TEXT    NOT NULL,
        name_key        TEXT    NOT NULL,
        path            TEXT    NOT NULL,
        arn             TEXT    NOT NULL UNIQUE,
        description     TEXT,
        default_version TEXT    NOT NULL,
        next_version    INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        UNIQUE (tenant_id, name_key)
      );

      CREATE TABLE iam_policy_versions (
        policy_id   TEXT    NOT NULL,
        version_id  TEXT    NOT NULL,
        version_no  INTEGER NOT NULL,
        document    TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (policy_id, version_id)
      );

      CREATE TABLE iam_inline_policies (
        target_kind TEXT NOT NULL,
        target_id   TEXT NOT NULL,
        name        TEXT NOT NULL,
        name_key    TEXT NOT NULL,
        document    TEXT NOT NULL,
        PRIMARY KEY (target_kind, target_id, name_key)
      );

      CREATE TABLE iam_attachments (
        tenant_id   TEXT NOT NULL,
        target_kind TEXT NOT NULL,
        target_id   TEXT NOT NULL,
        policy_arn  TEXT NOT NULL,
        PRIMARY KEY (target_kind, target_id, policy_arn)
      );
      CREATE INDEX iam_attachments_by_policy ON iam_attachments (tenant_id, policy_arn);
    `,
  },
];

/** Applies pending IAM migrations, each in its own transaction. Safe to call on every open. */
export function migrateIam(db: Database.Database): void {
  db.exec(
    `CREATE TABLE IF NOT EXISTS coffer_migrations (
       component  TEXT    NOT NULL,
       version    INTEGER NOT NULL,
       applied_at INTEGER NOT NULL,
       PRIMARY KEY (component, version)
     )`,
  );
  const row = db
    .prepare('SELECT MAX(version) AS v FROM coffer_migrations WHERE component = ?')
    .get(IAM_COMPONENT) as { v: number | null };
  const current = row.v ?? 0;
  const record = db.prepare(
    'INSERT INTO coffer_migrations (component, version, applied_at) VALUES (?, ?, ?)',
  );
  for (const m of iamMigrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.up);
      record.run(IAM_COMPONENT, m.version, Date.now());
    }).immediate();
  }
}
