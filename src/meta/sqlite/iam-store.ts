// The SQLite IdentityStore: better-sqlite3 on the same database file as the object index (or its own),
// IAM tables versioned by ./iam-migrations.ts. Each port method is one immediate transaction, so
// the check that guards a change (limits, conflicts) and the change itself cannot interleave.
import Database from 'better-sqlite3';
import { CofferError } from '../../errors/error.js';
import type {
  AccessKeyKind,
  AccessKeyPatch,
  AccessKeyRecord,
  AccountSummaryCounts,
  CreatePolicyInput,
  EntityStatus,
  GroupPatch,
  GroupRecord,
  IamTag,
  IdentityStore,
  InlinePolicyRecord,
  ListQuery,
  ManagedPolicyRecord,
  PolicyListQuery,
  PolicyTarget,
  PolicyVersionRecord,
  TenantRecord,
  TenantSnapshot,
  UserPatch,
  UserRecord,
  UserRole,
} from '../iam-ports.js';
import { migrateIam } from './iam-migrations.js';

export const DEFAULT_TENANT_ID = 'default';

export interface SqliteIdentityStoreOptions {
  /** An open connection (e.g. the object index's `db`), or a file path (':memory:' for tests). */
  db: Database.Database | string;
  /** The default tenant, created on first open. */
  defaultTenant: { accountId: string; name?: string };
}

interface TenantRow {
  id: string;
  seq: number;
  account_id: string;
  name: string;
  created_at: number;
}
interface UserRow {
  id: string;
  tenant_id: string;
  name: string;
  path: string;
  status: string;
  tags: string;
  role: string | null;
  password_hash: string | null;
  uid: number | null;
  gid: number | null;
  boundary: string | null;
  created_at: number;
}
interface GroupRow {
  id: string;
  tenant_id: string;
  name: string;
  path: string;
  enabled: number;
  created_at: number;
}
interface KeyRow {
  access_key_id: string;
  tenant_id: string;
  user_id: string | null;
  kind: string;
  secret: string;
  status: string;
  created_at: number;
  last_used_at: number | null;
  last_used_service: string | null;
  last_used_region: string | null;
  sa_id: string | null;
  sa_name: string | null;
  sa_description: string | null;
  sa_policy: string | null;
  sa_expires_at: number | null;
}
interface PolicyRow {
  id: string;
  tenant_id: string;
  name: string;
  path: string;
  arn: string;
  description: string | null;
  default_version: string;
  next_version: number;
  created_at: number;
  updated_at: number;
  attachments: number;
  boundaries: number;
}
interface VersionRow {
  version_id: string;
  document: string;
  created_at: number;
  is_default: number;
}

const key = (name: string): string => name.toLowerCase();

const toTenant = (r: TenantRow): TenantRecord => ({
  id: r.id,
  seq: r.seq,
  accountId: r.account_id,
  name: r.name,
  createdAt: new Date(r.created_at),
});

function toUser(r: UserRow): UserRecord {
  const u: UserRecord = {
    tenantId: r.tenant_id,
    id: r.id,
    name: r.name,
    path: r.path,
    status: r.status as EntityStatus,
    tags: JSON.parse(r.tags) as IamTag[],
    createdAt: new Date(r.created_at),
  };
  if (r.role !== null) u.role = r.role as UserRole;
  if (r.password_hash !== null) u.passwordHash = r.password_hash;
  if (r.uid !== null) u.uid = r.uid;
  if (r.gid !== null) u.gid = r.gid;
  if (r.boundary !== null) u.permissionsBoundary = r.boundary;
  return u;
}

const toGroup = (r: GroupRow): GroupRecord => ({
  tenantId: r.tenant_id,
  id: r.id,
  name: r.name,
  path: r.path,
  enabled: r.enabled !== 0,
  createdAt: new Date(r.created_at),
});

function toKey(r: KeyRow): AccessKeyRecord {
  const k: AccessKeyRecord = {
    accessKeyId: r.access_key_id,
    tenantId: r.tenant_id,
    secretCipher: r.secret,
    status: r.status as EntityStatus,
    kind: r.kind as AccessKeyKind,
    createdAt: new Date(r.created_at),
  };
  if (r.user_id !== null) k.userId = r.user_id;
  if (r.last_used_at !== null) {
    k.lastUsed = {
      date: new Date(r.last_used_at),
      service: r.last_used_service ?? 'N/A',
      region: r.last_used_region ?? 'N/A',
    };
  }
  if (r.sa_id !== null) {
    const sa: NonNullable<AccessKeyRecord['serviceAccount']> = { id: r.sa_id };
    if (r.sa_name !== null) sa.name = r.sa_name;
    if (r.sa_description !== null) sa.description = r.sa_description;
    if (r.sa_policy !== null) sa.policy = r.sa_policy;
    if (r.sa_expires_at !== null) sa.expiresAt = new Date(r.sa_expires_at);
    k.serviceAccount = sa;
  }
  return k;
}

function toPolicy(r: PolicyRow): ManagedPolicyRecord {
  const p: ManagedPolicyRecord = {
    tenantId: r.tenant_id,
    id: r.id,
    name: r.name,
    path: r.path,
    arn: r.arn,
    defaultVersionId: r.default_version,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    attachmentCount: r.attachments,
    boundaryUsageCount: r.boundaries,
  };
  if (r.description !== null) p.description = r.description;
  return p;
}

const toVersion = (r: VersionRow): PolicyVersionRecord => ({
  versionId: r.version_id,
  document: r.document,
  isDefault: r.is_default !== 0,
  createdAt: new Date(r.created_at),
});

const isUniqueViolation = (e: unknown): boolean =>
  e instanceof Error && 'code' in e && String((e as { code: unknown }).code).startsWith('SQLITE_CONSTRAINT');

// Page filter shared by the listings: names after the marker, paths under the prefix.
const PAGE = `AND (@after IS NULL OR name_key > @after)
  AND (@prefix IS NULL OR substr(path, 1, length(@prefix)) = @prefix)
  ORDER BY name_key LIMIT @limit`;
const pageParams = (q: ListQuery) => ({
  after: q.after === undefined ? null : key(q.after),
  prefix: q.pathPrefix ?? null,
  limit: q.limit,
});

const POLICY_SELECT = `SELECT p.*,
  (SELECT COUNT(*) FROM iam_attachments a WHERE a.tenant_id = p.tenant_id AND a.policy_arn = p.arn) AS attachments,
  (SELECT COUNT(*) FROM iam_users u WHERE u.tenant_id = p.tenant_id AND u.boundary = p.arn) AS boundaries
  FROM iam_policies p`;

export class SqliteIdentityStore implements IdentityStore {
  readonly db: Database.Database;
  readonly #ownsDb: boolean;

  constructor(options: SqliteIdentityStoreOptions) {
    if (typeof options.db === 'string') {
      this.db = new Database(options.db);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('busy_timeout = 5000');
      this.#ownsDb = true;
    } else {
      this.db = options.db;
      this.#ownsDb = false;
    }
    migrateIam(this.db);
    this.db
      .prepare(
        `INSERT OR IGNORE INTO iam_tenants (id, seq, account_id, name, name_key, created_at)
         VALUES (?, 0, ?, ?, ?, ?)`,
      )
      .run(
        DEFAULT_TENANT_ID,
        options.defaultTenant.accountId,
        options.defaultTenant.name ?? DEFAULT_TENANT_ID,
        key(options.defaultTenant.name ?? DEFAULT_TENANT_ID),
        Date.now(),
      );
  }

  /** Runs `fn` in one immediate (write-locking) transaction. */
  #tx<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.db.transaction(fn).immediate());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  // ---------------------------------------------------------------- tenants

  listTenants(): Promise<TenantRecord[]> {
    return this.#read(() =>
      (this.db.prepare('SELECT * FROM iam_tenants ORDER BY seq').all() as TenantRow[]).map(toTenant),
    );
  }

  getTenant(id: string): Promise<TenantRecord | undefined> {
    return this.#read(() => {
      const r = this.db.prepare('SELECT * FROM iam_tenants WHERE id = ?').get(id) as TenantRow | undefined;
      return r && toTenant(r);
    });
  }

  getTenantByName(name: string): Promise<TenantRecord | undefined> {
    return this.#read(() => {
      const r = this.db.prepare('SELECT * FROM iam_tenants WHERE name_key = ?').get(key(name)) as
        TenantRow | undefined;
      return r && toTenant(r);
    });
  }

  createTenant(
    tenant: Omit<TenantRecord, 'seq'>,
    rootKeys: (tenant: TenantRecord) => AccessKeyRecord[],
  ): Promise<TenantRecord> {
    return this.#tx(() => {
      const taken = this.db
        .prepare('SELECT 1 FROM iam_tenants WHERE id = ? OR name_key = ? OR account_id = ?')
        .get(tenant.id, key(tenant.name), tenant.accountId);
      if (taken) throw new CofferError('EntityAlreadyExists', `Tenant ${tenant.name} already exists.`);
      const { s } = this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM iam_tenants').get() as {
        s: number;
      };
      const record: TenantRecord = { ...tenant, seq: s };
      this.db
        .prepare(
          'INSERT INTO iam_tenants (id, seq, account_id, name, name_key, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          record.id,
          record.seq,
          record.accountId,
          record.name,
          key(record.name),
          record.createdAt.getTime(),
        );
      for (const k of rootKeys(record)) this.#insertKey(k);
      return record;
    });
  }

  deleteTenant(id: string): Promise<void> {
    return this.#tx(() => {
      if (id === DEFAULT_TENANT_ID)
        throw new CofferError('UnmodifiableEntity', 'The default tenant cannot be deleted.');
      const t = this.db.prepare('SELECT 1 FROM iam_tenants WHERE id = ?').get(id);
      if (!t) throw new CofferError('NoSuchEntity', `The tenant ${id} cannot be found.`);
      const used = this.db
        .prepare(
          `SELECT (SELECT COUNT(*) FROM iam_users WHERE tenant_id = @id)
                + (SELECT COUNT(*) FROM iam_groups WHERE tenant_id = @id)
                + (SELECT COUNT(*) FROM iam_policies WHERE tenant_id = @id) AS n`,
        )
        .get({ id }) as { n: number };
      if (used.n > 0) {
        throw new CofferError(
          'DeleteConflict',
          'Cannot delete a tenant that still has users, groups or policies. Delete them first.',
        );
      }
      this.db.prepare('DELETE FROM iam_access_keys WHERE tenant_id = ?').run(id);
      this.db.prepare('DELETE FROM iam_attachments WHERE tenant_id = ?').run(id);
      this.db.prepare('DELETE FROM iam_tenants WHERE id = ?').run(id);
    });
  }

  // ---------------------------------------------------------------- users

  createUser(u: UserRecord): Promise<void> {
    return this.#tx(() => {
      try {
        this.db
          .prepare(
            `INSERT INTO iam_users (id, tenant_id, name, name_key, path, status, tags, role, password_hash, uid, gid, boundary, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            u.id,
            u.tenantId,
            u.name,
            key(u.name),
            u.path,
            u.status,
            JSON.stringify(u.tags),
            u.role ?? null,
            u.passwordHash ?? null,
            u.uid ?? null,
            u.gid ?? null,
            u.permissionsBoundary ?? null,
            u.createdAt.getTime(),
          );
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new CofferError('EntityAlreadyExists', `User with name ${u.name} already exists.`);
        }
        throw e;
      }
    });
  }

  getUser(tenantId: string, name: string): Promise<UserRecord | undefined> {
    return this.#read(() => {
      const r = this.db
        .prepare('SELECT * FROM iam_users WHERE tenant_id = ? AND name_key = ?')
        .get(tenantId, key(name)) as UserRow | undefined;
      return r && toUser(r);
    });
  }

  getUserById(userId: string): Promise<UserRecord | undefined> {
    return this.#read(() => {
      const r = this.db.prepare('SELECT * FROM iam_users WHERE id = ?').get(userId) as UserRow | undefined;
      return r && toUser(r);
    });
  }

  listUsers(tenantId: string, q: ListQuery): Promise<UserRecord[]> {
    return this.#read(() =>
      (
        this.db
          .prepare(`SELECT * FROM iam_users WHERE tenant_id = @tenantId ${PAGE}`)
          .all({ tenantId, ...pageParams(q) }) as UserRow[]
      ).map(toUser),
    );
  }

  updateUser(tenantId: string, userId: string, patch: UserPatch): Promise<UserRecord> {
    return this.#tx(() => {
      const row = this.db
        .prepare('SELECT * FROM iam_users WHERE tenant_id = ? AND id = ?')
        .get(tenantId, userId) as UserRow | undefined;
      if (!row) throw new CofferError('NoSuchEntity', `The user with id ${userId} cannot be found.`);
      const next: UserRow = { ...row };
      if (patch.name !== undefined) next.name = patch.name;
      if (patch.path !== undefined) next.path = patch.path;
      if (patch.status !== undefined) next.status = patch.status;
      if (patch.tags !== undefined) next.tags = JSON.stringify(patch.tags);
      if (patch.role !== undefined) next.role = patch.role;
      if (patch.passwordHash !== undefined) next.password_hash = patch.passwordHash;
      if (patch.uid !== undefined) next.uid = patch.uid;
      if (patch.gid !== undefined) next.gid = patch.gid;
      if (patch.permissionsBoundary !== undefined) next.boundary = patch.permissionsBoundary;
      try {
        this.db
          .prepare(
            `UPDATE iam_users SET name = @name, name_key = @name_key, path = @path, status = @status, tags = @tags,
               role = @role, password_hash = @password_hash, uid = @uid, gid = @gid, boundary = @boundary
             WHERE id = @id`,
          )
          .run({ ...next, name_key: key(next.name) });
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new CofferError('EntityAlreadyExists', `User with name ${next.name} already exists.`);
        }
        throw e;
      }
      return toUser(next);
    });
  }

  deleteUser(tenantId: string, userId: string): Promise<void> {
    return this.#tx(() => {
      const row = this.db
        .prepare('SELECT name FROM iam_users WHERE tenant_id = ? AND id = ?')
        .get(tenantId, userId) as { name: string } | undefined;
      if (!row) throw new CofferError('NoSuchEntity', `The user with id ${userId} cannot be found.`);
      const counts = this.db
        .prepare(
          `SELECT
             (SELECT COUNT(*) FROM iam_access_keys WHERE user_id = @id AND kind = 'long-term') AS keys,
             (SELECT COUNT(*) FROM iam_access_keys WHERE user_id = @id AND kind = 'service-account') AS sas,
             (SELECT COUNT(*) FROM iam_inline_policies WHERE target_kind = 'user' AND target_id = @id) AS inline,
             (SELECT COUNT(*) FROM iam_attachments WHERE target_kind = 'user' AND target_id = @id) AS attached`,
        )
        .get({ id: userId }) as { keys: number; sas: number; inline: number; attached: number };
      const what: string[] = [];
      if (counts.keys) what.push(`${counts.keys} access key(s)`);
      if (counts.sas) what.push(`${counts.sas} service account(s)`);
      if (counts.inline) what.push(`${counts.inline} inline policy(ies)`);
      if (counts.attached) what.push(`${counts.attached} attached policy(ies)`);
      if (what.length > 0) {
        throw new CofferError(
          'DeleteConflict',
          `Cannot delete entity, must delete ${what.join(', ')} of user ${row.name} first.`,
        );
      }
      // Leaving every group is part of deleting a user (SeaweedFS semantics).
      this.db.prepare('DELETE FROM iam_group_members WHERE user_id = ?').run(userId);
      this.db.prepare('DELETE FROM iam_users WHERE id = ?').run(userId);
    });
  }

  // ---------------------------------------------------------------- groups

  createGroup(g: GroupRecord): Promise<void> {
    return this.#tx(() => {
      try {
        this.db
          .prepare(
            `INSERT INTO iam_groups (id, tenant_id, name, name_key, path, enabled, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(g.id, g.tenantId, g.name, key(g.name), g.path, g.enabled ? 1 : 0, g.createdAt.getTime());
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new CofferError('EntityAlreadyExists', `Group with name ${g.name} already exists.`);
        }
        throw e;
      }
    });
  }

  getGroup(tenantId: string, name: string): Promise<GroupRecord | undefined> {
    return this.#read(() => {
      const r = this.db
        .prepare('SELECT * FROM iam_groups WHERE tenant_id = ? AND name_key = ?')
        .get(tenantId, key(name)) as GroupRow | undefined;
      return r && toGroup(r);
    });
  }

  listGroups(tenantId: string, q: ListQuery): Promise<GroupRecord[]> {
    return this.#read(() =>
      (
        this.db
          .prepare(`SELECT * FROM iam_groups WHERE tenant_id = @tenantId ${PAGE}`)
          .all({ tenantId, ...pageParams(q) }) as GroupRow[]
      ).map(toGroup),
    );
  }

  updateGroup(tenantId: string, groupId: string, patch: GroupPatch): Promise<GroupRecord> {
    return this.#tx(() => {
      const row = this.db
        .prepare('SELECT * FROM iam_groups WHERE tenant_id = ? AND id = ?')
        .get(tenantId, groupId) as GroupRow | undefined;
      if (!row) throw new CofferError('NoSuchEntity', `The group with id ${groupId} cannot be found.`);
      const next: GroupRow = { ...row };
      if (patch.name !== undefined) next.name = patch.name;
      if (patch.path !== undefined) next.path = patch.path;
      if (patch.enabled !== undefined) next.enabled = patch.enabled ? 1 : 0;
      try {
        this.db
          .prepare(
            'UPDATE iam_groups SET name = @name, name_key = @name_key, path = @path, enabled = @enabled WHERE id = @id',
          )
          .run({ ...next, name_key: key(next.name) });
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new CofferError('EntityAlreadyExists', `Group with name ${next.name} already exists.`);
        }
        throw e;
      }
      return toGroup(next);
    });
  }

  deleteGroup(tenantId: string, groupId: string): Promise<void> {
    return this.#tx(() => {
      const row = this.db
        .prepare('SELECT name FROM iam_groups WHERE tenant_id = ? AND id = ?')
        .get(tenantId, groupId) as { name: string } | undefined;
      if (!row) throw new CofferError('NoSuchEntity', `The group with id ${groupId} cannot be found.`);
      const c = this.db
        .prepare(
          `SELECT
             (SELECT COUNT(*) FROM iam_group_members WHERE group_id = @id) AS members,
             (SELECT COUNT(*) FROM iam_inline_policies WHERE target_kind = 'group' AND target_id = @id)
           + (SELECT COUNT(*) FROM iam_attachments WHERE target_kind = 'group' AND target_id = @id) AS policies`,
        )
        .get({ id: groupId }) as { members: number; policies: number };
      if (c.members > 0) {
        throw new CofferError(
          'DeleteConflict',
          `Cannot delete group ${row.name}: it has ${c.members} member(s). Remove all members first.`,
        );
      }
      if (c.policies > 0) {
        throw new CofferError(
          'DeleteConflict',
          `Cannot delete group ${row.name}: it has ${c.policies} policy(ies). Delete or detach them first.`,
        );
      }
      this.db.prepare('DELETE FROM iam_groups WHERE id = ?').run(groupId);
    });
  }

  addUserToGroup(groupId: string, userId: string): Promise<void> {
    return this.#tx(() => {
      this.db
        .prepare('INSERT OR IGNORE INTO iam_group_members (group_id, user_id) VALUES (?, ?)')
        .run(groupId, userId);
    });
  }

  removeUserFromGroup(groupId: string, userId: string): Promise<boolean> {
    return this.#tx(
      () =>
        this.db
          .prepare('DELETE FROM iam_group_members WHERE group_id = ? AND user_id = ?')
          .run(groupId, userId).changes > 0,
    );
  }

  listGroupMembers(groupId: string, q: ListQuery): Promise<UserRecord[]> {
    return this.#read(() =>
      (
        this.db
          .prepare(
            `SELECT * FROM iam_users WHERE id IN (SELECT user_id FROM iam_group_members WHERE group_id = @groupId) ${PAGE}`,
          )
          .all({ groupId, ...pageParams(q) }) as UserRow[]
      ).map(toUser),
    );
  }

  listGroupsForUser(userId: string, q: ListQuery): Promise<GroupRecord[]> {
    return this.#read(() =>
      (
        this.db
          .prepare(
            `SELECT * FROM iam_groups WHERE id IN (SELECT group_id FROM iam_group_members WHERE user_id = @userId) ${PAGE}`,
          )
          .all({ userId, ...pageParams(q) }) as GroupRow[]
      ).map(toGroup),
    );
  }

  // ---------------------------------------------------------------- access keys

  #insertKey(k: AccessKeyRecord): void {
    try {
      this.db
        .prepare(
          `INSERT INTO iam_access_keys (access_key_id, tenant_id, user_id, kind, secret, status, created_at,
             last_used_at, last_used_service, last_used_region, sa_id, sa_name, sa_description, sa_policy, sa_expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          k.accessKeyId,
          k.tenantId,
          k.userId ?? null,
          k.kind,
          k.secretCipher,
          k.status,
          k.createdAt.getTime(),
          k.lastUsed?.date.getTime() ?? null,
          k.lastUsed?.service ?? null,
          k.lastUsed?.region ?? null,
          k.serviceAccount?.id ?? null,
          k.serviceAccount?.name ?? null,
          k.serviceAccount?.description ?? null,
          k.serviceAccount?.policy ?? null,
          k.serviceAccount?.expiresAt?.getTime() ?? null,
        );
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new CofferError('EntityAlreadyExists', `The access key ${k.accessKeyId} already exists.`);
      }
      throw e;
    }
  }

  createAccessKey(k: AccessKeyRecord, limits: { maxPerOwner: number }): Promise<void> {
    return this.#tx(() => {
      const { n } = this.db
        .prepare(
          `SELECT COUNT(*) AS n FROM iam_access_keys
           WHERE tenant_id = ? AND user_id IS ? AND kind = ?`,
        )
        .get(k.tenantId, k.userId ?? null, k.kind) as { n: number };
      if (n >= limits.maxPerOwner) {
        throw new CofferError(
          'LimitExceeded',
          k.kind === 'service-account'
            ? `Cannot exceed quota for ServiceAccountsPerUser: ${limits.maxPerOwner}`
            : `Cannot exceed quota for AccessKeysPerUser: ${limits.maxPerOwner}`,
        );
      }
      this.#insertKey(k);
    });
  }

  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    return this.#read(() => {
      const r = this.db.prepare('SELECT * FROM iam_access_keys WHERE access_key_id = ?').get(accessKeyId) as
        KeyRow | undefined;
      return r && toKey(r);
    });
  }

  listAccessKeys(
    tenantId: string,
    userId: string | undefined,
    kind: AccessKeyKind,
  ): Promise<AccessKeyRecord[]> {
    return this.#read(() =>
      (
        this.db
          .prepare(
            `SELECT * FROM iam_access_keys WHERE tenant_id = ? AND user_id IS ? AND kind = ?
             ORDER BY created_at, access_key_id`,
          )
          .all(tenantId, userId ?? null, kind) as KeyRow[]
      ).map(toKey),
    );
  }

  getServiceAccount(tenantId: string, serviceAccountId: string): Promise<AccessKeyRecord | undefined> {
    return this.#read(() => {
      const r = this.db
        .prepare('SELECT * FROM iam_access_keys WHERE tenant_id = ? AND sa_id = ?')
        .get(tenantId, serviceAccountId) as KeyRow | undefined;
      return r && toKey(r);
    });
  }

  listServiceAccounts(tenantId: string, userId?: string): Promise<AccessKeyRecord[]> {
    return this.#read(() =>
      (
        this.db
          .prepare(
            `SELECT * FROM iam_access_keys WHERE tenant_id = @tenantId AND kind = 'service-account'
               AND (@userId IS NULL OR user_id = @userId)
             ORDER BY created_at, access_key_id`,
          )
          .all({ tenantId, userId: userId ?? null }) as KeyRow[]
      ).map(toKey),
    );
  }

  updateAccessKey(accessKeyId: string, patch: AccessKeyPatch): Promise<void> {
    return this.#tx(() => {
      const r = this.db.prepare('SELECT * FROM iam_access_keys WHERE access_key_id = ?').get(accessKeyId) as
        KeyRow | undefined;
      if (!r) throw new CofferError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`);
      const next: KeyRow = { ...r };
      if (patch.status !== undefined) next.status = patch.status;
      if (patch.name !== undefined) next.sa_name = patch.name;
      if (patch.description !== undefined) next.sa_description = patch.description;
      if (patch.policy !== undefined) next.sa_policy = patch.policy;
      if (patch.expiresAt !== undefined) next.sa_expires_at = patch.expiresAt?.getTime() ?? null;
      this.db
        .prepare(
          `UPDATE iam_access_keys SET status = @status, sa_name = @sa_name, sa_description = @sa_description,
             sa_policy = @sa_policy, sa_expires_at = @sa_expires_at WHERE access_key_id = @access_key_id`,
        )
        .run(next);
    });
  }

  deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return this.#tx(
      () =>
        this.db.prepare('DELETE FROM iam_access_keys WHERE access_key_id = ?').run(accessKeyId).changes > 0,
    );
  }

  recordAccessKeyUse(
    accessKeyId: string,
    use: { date: Date; service: string; region: string },
  ): Promise<void> {
    return this.#tx(() => {
      this.db
        .prepare(
          `UPDATE iam_access_keys SET last_used_at = ?, last_used_service = ?, last_used_region = ?
           WHERE access_key_id = ?`,
        )
        .run(use.date.getTime(), use.service, use.region, accessKeyId);
    });
  }

  // ---------------------------------------------------------------- managed policies

  #policyById(policyId: string): ManagedPolicyRecord | undefined {
    const r = this.db.prepare(`${POLICY_SELECT} WHERE p.id = ?`).get(policyId) as PolicyRow | undefined;
    return r && toPolicy(r);
  }

  createPolicy(input: CreatePolicyInput): Promise<ManagedPolicyRecord> {
    return this.#tx(() => {
      const now = input.createdAt.getTime();
      try {
        this.db
          .prepare(
            `INSERT INTO iam_policies (id, tenant_id, name, name_key, path, arn, description, default_version, next_version, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'v1', 2, ?, ?)`,
          )
          .run(
            input.id,
            input.tenantId,
            input.name,
            key(input.name),
            input.path,
            input.arn,
            input.description ?? null,
            now,
            now,
          );
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new CofferError(
            'EntityAlreadyExists',
            `A policy called ${input.name} already exists. Duplicate names are not allowed.`,
          );
        }
        throw e;
      }
      this.db
        .prepare(
          `INSERT INTO iam_policy_versions (policy_id, version_id, version_no, document, created_at) VALUES (?, 'v1', 1, ?, ?)`,
        )
        .run(input.id, input.document, now);
      return this.#policyById(input.id) as ManagedPolicyRecord;
    });
  }

  getPolicy(tenantId: string, name: string): Promise<ManagedPolicyRecord | undefined> {
    return this.#read(() => {
      const r = this.db
        .prepare(`${POLICY_SELECT} WHERE p.tenant_id = ? AND p.name_key = ?`)
        .get(tenantId, key(name)) as PolicyRow | undefined;
      return r && toPolicy(r);
    });
  }

  listPolicies(tenantId: string, q: PolicyListQuery): Promise<ManagedPolicyRecord[]> {
    return this.#read(() =>
      (
        this.db
          .prepare(
            `SELECT * FROM (${POLICY_SELECT} WHERE p.tenant_id = @tenantId) AS x
             WHERE (@onlyAttached = 0 OR attachments > 0) ${PAGE}`,
          )
          .all({ tenantId, onlyAttached: q.onlyAttached ? 1 : 0, ...pageParams(q) }) as PolicyRow[]
      ).map(toPolicy),
    );
  }

  deletePolicy(tenantId: string, policyId: string): Promise<void> {
    return this.#tx(() => {
      const p = this.#policyById(policyId);
      if (!p || p.tenantId !== tenantId)
        throw new CofferError('NoSuchEntity', `Policy ${policyId} does not exist.`);
      if (p.attachmentCount > 0) {
        throw new CofferError(
          'DeleteConflict',
          `Cannot delete a policy attached to entities: ${p.arn} is attached ${p.attachmentCount} time(s). Detach it first.`,
        );
      }
      if (p.boundaryUsageCount > 0) {
        throw new CofferError(
          'DeleteConflict',
          `Cannot delete ${p.arn}: it is the permissions boundary of a user.`,
        );
      }
      this.db.prepare('DELETE FROM iam_policy_versions WHERE policy_id = ?').run(policyId);
      this.db.prepare('DELETE FROM iam_policies WHERE id = ?').run(policyId);
    });
  }

  createPolicyVersion(
    policyId: string,
    document: string,
    options: { setAsDefault: boolean; maxVersions: number; now: Date },
  ): Promise<PolicyVersionRecord> {
    return this.#tx(() => {
      const p = this.db.prepare('SELECT next_version FROM iam_policies WHERE id = ?').get(policyId) as
        { next_version: number } | undefined;
      if (!p) throw new CofferError('NoSuchEntity', `Policy ${policyId} does not exist.`);
      const { n } = this.db
        .prepare('SELECT COUNT(*) AS n FROM iam_policy_versions WHERE policy_id = ?')
        .get(policyId) as { n: number };
      if (n >= options.maxVersions) {
        throw new CofferError(
          'LimitExceeded',
          `A managed policy can have up to ${options.maxVersions} versions. Before you create a new version, you must delete an existing version.`,
        );
      }
      const versionId = `v${p.next_version}`;
      const now = options.now.getTime();
      this.db
        .prepare(
          'INSERT INTO iam_policy_versions (policy_id, version_id, version_no, document, created_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(policyId, versionId, p.next_version, document, now);
      this.db
        .prepare(
          `UPDATE iam_policies SET next_version = next_version + 1, updated_at = ?,
             default_version = CASE WHEN ? THEN ? ELSE default_version END WHERE id = ?`,
        )
        .run(now, options.setAsDefault ? 1 : 0, versionId, policyId);
      return { versionId, document, isDefault: options.setAsDefault, createdAt: options.now };
    });
  }

  getPolicyVersion(policyId: string, versionId: string): Promise<PolicyVersionRecord | undefined> {
    return this.#read(() => {
      const r = this.db
        .prepare(
          `SELECT v.version_id, v.document, v.created_at, (p.default_version = v.version_id) AS is_default
           FROM iam_policy_versions v JOIN iam_policies p ON p.id = v.policy_id
           WHERE v.policy_id = ? AND v.version_id = ?`,
        )
        .get(policyId, versionId) as VersionRow | undefined;
      return r && toVersion(r);
    });
  }

  listPolicyVersions(policyId: string): Promise<PolicyVersionRecord[]> {
    return this.#read(() =>
      (
        this.db
          .prepare(
            `SELECT v.version_id, v.document, v.created_at, (p.default_version = v.version_id) AS is_default
             FROM iam_policy_versions v JOIN iam_policies p ON p.id = v.policy_id
             WHERE v.policy_id = ? ORDER BY v.version_no DESC`,
          )
          .all(policyId) as VersionRow[]
      ).map(toVersion),
    );
  }

  deletePolicyVersion(policyId: string, versionId: string): Promise<boolean> {
    return this.#tx(() => {
      const p = this.db.prepare('SELECT default_version FROM iam_policies WHERE id = ?').get(policyId) as
        { default_version: string } | undefined;
      if (!p) return false;
      if (p.default_version === versionId) {
        throw new CofferError('DeleteConflict', 'Cannot delete the default version of a policy.');
      }
      return (
        this.db
          .prepare('DELETE FROM iam_policy_versions WHERE policy_id = ? AND version_id = ?')
          .run(policyId, versionId).changes > 0
      );
    });
  }

  setDefaultPolicyVersion(policyId: string, versionId: string, now: Date): Promise<boolean> {
    return this.#tx(() => {
      const v = this.db
        .prepare('SELECT 1 FROM iam_policy_versions WHERE policy_id = ? AND version_id = ?')
        .get(policyId, versionId);
      if (!v) return false;
      this.db
        .prepare('UPDATE iam_policies SET default_version = ?, updated_at = ? WHERE id = ?')
        .run(versionId, now.getTime(), policyId);
      return true;
    });
  }

  // ---------------------------------------------------------------- attachments and inline policies

  attachPolicy(
    tenantId: string,
    target: PolicyTarget,
    policyArn: string,
    maxAttached: number,
  ): Promise<void> {
    return this.#tx(() => {
      const exists = this.db
        .prepare('SELECT 1 FROM iam_attachments WHERE target_kind = ? AND target_id = ? AND policy_arn = ?')
        .get(target.kind, target.id, policyArn);
      if (exists) return;
      const { n } = this.db
        .prepare('SELECT COUNT(*) AS n FROM iam_attachments WHERE target_kind = ? AND target_id = ?')
        .get(target.kind, target.id) as { n: number };
      if (n >= maxAttached) {
        throw new CofferError(
          'LimitExceeded',
          `Cannot exceed quota for PoliciesPer${target.kind === 'user' ? 'User' : 'Group'}: ${maxAttached}`,
        );
      }
      this.db
        .prepare(
          'INSERT INTO iam_attachments (tenant_id, target_kind, target_id, policy_arn) VALUES (?, ?, ?, ?)',
        )
        .run(tenantId, target.kind, target.id, policyArn);
    });
  }

  detachPolicy(tenantId: string, target: PolicyTarget, policyArn: string): Promise<boolean> {
    return this.#tx(
      () =>
        this.db
          .prepare(
            'DELETE FROM iam_attachments WHERE tenant_id = ? AND target_kind = ? AND target_id = ? AND policy_arn = ?',
          )
          .run(tenantId, target.kind, target.id, policyArn).changes > 0,
    );
  }

  listAttachedPolicies(target: PolicyTarget): Promise<string[]> {
    return this.#read(() =>
      (
        this.db
          .prepare(
            'SELECT policy_arn FROM iam_attachments WHERE target_kind = ? AND target_id = ? ORDER BY policy_arn',
          )
          .all(target.kind, target.id) as { policy_arn: string }[]
      ).map((r) => r.policy_arn),
    );
  }

  countAttachments(tenantId: string, policyArn: string): Promise<number> {
    return this.#read(
      () =>
        (
          this.db
            .prepare('SELECT COUNT(*) AS n FROM iam_attachments WHERE tenant_id = ? AND policy_arn = ?')
            .get(tenantId, policyArn) as { n: number }
        ).n,
    );
  }

  putInlinePolicy(target: PolicyTarget, name: string, document: string): Promise<void> {
    return this.#tx(() => {
      // Replacing keeps the name as first written (AWS keeps one policy per case-insensitive name).
      const existing = this.db
        .prepare(
          'SELECT name FROM iam_inline_policies WHERE target_kind = ? AND target_id = ? AND name_key = ?',
        )
        .get(target.kind, target.id, key(name)) as { name: string } | undefined;
      this.db
        .prepare(
          `INSERT INTO iam_inline_policies (target_kind, target_id, name, name_key, document) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (target_kind, target_id, name_key) DO UPDATE SET document = excluded.document`,
        )
        .run(target.kind, target.id, existing?.name ?? name, key(name), document);
    });
  }

  getInlinePolicy(target: PolicyTarget, name: string): Promise<InlinePolicyRecord | undefined> {
    return this.#read(
      () =>
        this.db
          .prepare(
            'SELECT name, document FROM iam_inline_policies WHERE target_kind = ? AND target_id = ? AND name_key = ?',
          )
          .get(target.kind, target.id, key(name)) as InlinePolicyRecord | undefined,
    );
  }

  deleteInlinePolicy(target: PolicyTarget, name: string): Promise<boolean> {
    return this.#tx(
      () =>
        this.db
          .prepare('DELETE FROM iam_inline_policies WHERE target_kind = ? AND target_id = ? AND name_key = ?')
          .run(target.kind, target.id, key(name)).changes > 0,
    );
  }

  listInlinePolicies(target: PolicyTarget): Promise<InlinePolicyRecord[]> {
    return this.#read(
      () =>
        this.db
          .prepare(
            'SELECT name, document FROM iam_inline_policies WHERE target_kind = ? AND target_id = ? ORDER BY name_key',
          )
          .all(target.kind, target.id) as InlinePolicyRecord[],
    );
  }

  // ---------------------------------------------------------------- whole-tenant reads

  loadTenantSnapshot(tenantId: string): Promise<TenantSnapshot | undefined> {
    // One read transaction so the snapshot is consistent.
    return this.#read(() =>
      this.db.transaction((): TenantSnapshot | undefined => {
        const t = this.db.prepare('SELECT * FROM iam_tenants WHERE id = ?').get(tenantId) as
          TenantRow | undefined;
        if (!t) return undefined;
        const users = (
          this.db.prepare('SELECT * FROM iam_users WHERE tenant_id = ?').all(tenantId) as UserRow[]
        ).map(toUser);
        const groups = (
          this.db.prepare('SELECT * FROM iam_groups WHERE tenant_id = ?').all(tenantId) as GroupRow[]
        ).map(toGroup);
        const memberships = (
          this.db
            .prepare(
              `SELECT m.group_id, m.user_id FROM iam_group_members m JOIN iam_groups g ON g.id = m.group_id
               WHERE g.tenant_id = ?`,
            )
            .all(tenantId) as { group_id: string; user_id: string }[]
        ).map((r) => ({ groupId: r.group_id, userId: r.user_id }));
        const keys = (
          this.db.prepare('SELECT * FROM iam_access_keys WHERE tenant_id = ?').all(tenantId) as KeyRow[]
        ).map(toKey);
        const inline = (
          this.db
            .prepare(
              `SELECT i.target_kind, i.target_id, i.name, i.document FROM iam_inline_policies i
               WHERE (i.target_kind = 'user' AND i.target_id IN (SELECT id FROM iam_users WHERE tenant_id = @t))
                  OR (i.target_kind = 'group' AND i.target_id IN (SELECT id FROM iam_groups WHERE tenant_id = @t))`,
            )
            .all({ t: tenantId }) as {
            target_kind: string;
            target_id: string;
            name: string;
            document: string;
          }[]
        ).map((r) => ({
          kind: r.target_kind as PolicyTarget['kind'],
          id: r.target_id,
          name: r.name,
          document: r.document,
        }));
        const attachments = (
          this.db
            .prepare('SELECT target_kind, target_id, policy_arn FROM iam_attachments WHERE tenant_id = ?')
            .all(tenantId) as { target_kind: string; target_id: string; policy_arn: string }[]
        ).map((r) => ({
          kind: r.target_kind as PolicyTarget['kind'],
          id: r.target_id,
          policyArn: r.policy_arn,
        }));
        const policies = (
          this.db
            .prepare(
              `SELECT p.arn, p.name, p.default_version, v.document FROM iam_policies p
               JOIN iam_policy_versions v ON v.policy_id = p.id AND v.version_id = p.default_version
               WHERE p.tenant_id = ?`,
            )
            .all(tenantId) as { arn: string; name: string; default_version: string; document: string }[]
        ).map((r) => ({ arn: r.arn, name: r.name, versionId: r.default_version, document: r.document }));
        return { tenant: toTenant(t), users, groups, memberships, keys, inline, attachments, policies };
      })(),
    );
  }

  accountSummary(tenantId: string): Promise<AccountSummaryCounts> {
    return this.#read(
      () =>
        this.db
          .prepare(
            `SELECT
               (SELECT COUNT(*) FROM iam_users WHERE tenant_id = @t) AS users,
               (SELECT COUNT(*) FROM iam_groups WHERE tenant_id = @t) AS groups,
               (SELECT COUNT(*) FROM iam_policies WHERE tenant_id = @t) AS policies,
               (SELECT COUNT(*) FROM iam_policy_versions v JOIN iam_policies p ON p.id = v.policy_id
                  WHERE p.tenant_id = @t) AS policyVersionsInUse,
               (SELECT COUNT(*) FROM iam_access_keys WHERE tenant_id = @t AND user_id IS NULL) AS accessKeysOfRoot,
               (SELECT COUNT(DISTINCT policy_arn) FROM iam_attachments WHERE tenant_id = @t) AS attachedPolicies,
               (SELECT COUNT(*) FROM iam_access_keys WHERE tenant_id = @t AND kind = 'service-account') AS serviceAccounts`,
          )
          .get({ t: tenantId }) as AccountSummaryCounts,
    );
  }

  close(): Promise<void> {
    if (this.#ownsDb) this.db.close();
    return Promise.resolve();
  }
}
