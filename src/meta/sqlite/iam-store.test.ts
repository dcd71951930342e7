// Tests of the SQLite identity store on a real database: migrations, uniqueness, the guarded
// multi-step changes (limits, delete conflicts), pagination and the tenant snapshot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessKeyRecord, UserRecord } from '../iam-ports.js';
import { SqliteIdentityStore } from './iam-store.js';

const T = 'default';
const now = new Date('2026-01-02T03:04:05.000Z');

const user = (id: string, name: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  tenantId: T,
  id,
  name,
  path: '/',
  status: 'Active',
  tags: [],
  createdAt: now,
  ...extra,
});

const akey = (
  id: string,
  userId: string | undefined,
  extra: Partial<AccessKeyRecord> = {},
): AccessKeyRecord => ({
  accessKeyId: id,
  tenantId: T,
  ...(userId === undefined ? {} : { userId }),
  secretCipher: 'sealed',
  status: 'Active',
  kind: 'long-term',
  createdAt: now,
  ...extra,
});

describe('SqliteIdentityStore', () => {
  let store: SqliteIdentityStore;
  beforeEach(() => {
    store = new SqliteIdentityStore({ db: ':memory:', defaultTenant: { accountId: '000000000000' } });
  });
  afterEach(async () => {
    await store.close();
  });

  it('creates the default tenant once and keeps its own migration record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-iam-'));
    try {
      const db = new Database(join(dir, 'index.db'));
      db.pragma('user_version = 7'); // the object index's own versioning must be left alone
      const a = new SqliteIdentityStore({ db, defaultTenant: { accountId: '111111111111' } });
      await a.createUser(user('AIDA1', 'alice'));
      const b = new SqliteIdentityStore({ db, defaultTenant: { accountId: '222222222222' } });
      expect((await b.listTenants()).map((t) => [t.id, t.seq, t.accountId])).toEqual([
        ['default', 0, '111111111111'],
      ]);
      expect(await b.getUser(T, 'ALICE')).toMatchObject({ id: 'AIDA1', name: 'alice' });
      expect(db.pragma('user_version', { simple: true })).toBe(7);
      expect(db.prepare("SELECT version FROM coffer_migrations WHERE component = 'iam'").all()).toEqual([
        { version: 1 },
      ]);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('enforces case-insensitive unique user names and renames', async () => {
    await store.createUser(user('AIDA1', 'alice', { tags: [{ key: 'team', value: 'a' }], uid: 1000 }));
    await expect(store.createUser(user('AIDA2', 'Alice'))).rejects.toMatchObject({
      code: 'EntityAlreadyExists',
    });
    await store.createUser(user('AIDA2', 'bob'));
    await expect(store.updateUser(T, 'AIDA2', { name: 'ALICE' })).rejects.toMatchObject({
      code: 'EntityAlreadyExists',
    });
    const renamed = await store.updateUser(T, 'AIDA2', {
      name: 'carol',
      path: '/x/',
      permissionsBoundary: 'arn:b',
    });
    expect(renamed).toMatchObject({ name: 'carol', path: '/x/', permissionsBoundary: 'arn:b' });
    const cleared = await store.updateUser(T, 'AIDA2', { permissionsBoundary: null });
    expect(cleared.permissionsBoundary).toBeUndefined();
    expect(await store.getUserById('AIDA1')).toMatchObject({
      tags: [{ key: 'team', value: 'a' }],
      uid: 1000,
    });
  });

  it('pages users by name with a path prefix', async () => {
    for (const [i, n] of ['d', 'a', 'c', 'b', 'e'].entries()) {
      await store.createUser(user(`AIDA${i}`, n, { path: n === 'e' ? '/ops/' : '/' }));
    }
    const p1 = await store.listUsers(T, { limit: 2 });
    expect(p1.map((u) => u.name)).toEqual(['a', 'b']);
    const p2 = await store.listUsers(T, { limit: 10, after: 'b' });
    expect(p2.map((u) => u.name)).toEqual(['c', 'd', 'e']);
    expect((await store.listUsers(T, { limit: 10, pathPrefix: '/ops' })).map((u) => u.name)).toEqual(['e']);
  });

  it('refuses to delete a user with keys or policies, and removes its memberships', async () => {
    await store.createUser(user('AIDA1', 'alice'));
    await store.createGroup({
      tenantId: T,
      id: 'AGPA1',
      name: 'devs',
      path: '/',
      enabled: true,
      createdAt: now,
    });
    await store.addUserToGroup('AGPA1', 'AIDA1');
    await store.createAccessKey(akey('K1', 'AIDA1'), { maxPerOwner: 2 });
    await store.putInlinePolicy({ kind: 'user', id: 'AIDA1' }, 'p', '{}');
    await expect(store.deleteUser(T, 'AIDA1')).rejects.toMatchObject({ code: 'DeleteConflict' });
    await store.deleteAccessKey('K1');
    await expect(store.deleteUser(T, 'AIDA1')).rejects.toThrow(/inline policy/);
    await store.deleteInlinePolicy({ kind: 'user', id: 'AIDA1' }, 'P'); // case-insensitive names
    await store.deleteUser(T, 'AIDA1');
    expect(await store.getUserById('AIDA1')).toBeUndefined();
    expect(await store.listGroupMembers('AGPA1', { limit: 10 })).toEqual([]);
    await store.deleteGroup(T, 'AGPA1');
  });

  it('limits keys per owner in the same transaction and keeps root keys apart', async () => {
    await store.createUser(user('AIDA1', 'alice'));
    await store.createAccessKey(akey('K1', 'AIDA1'), { maxPerOwner: 2 });
    await store.createAccessKey(akey('K2', 'AIDA1'), { maxPerOwner: 2 });
    await expect(store.createAccessKey(akey('K3', 'AIDA1'), { maxPerOwner: 2 })).rejects.toMatchObject({
      code: 'LimitExceeded',
    });
    await expect(store.createAccessKey(akey('K1', undefined), { maxPerOwner: 2 })).rejects.toMatchObject({
      code: 'EntityAlreadyExists',
    });
    await store.createAccessKey(akey('R1', undefined), { maxPerOwner: 2 });
    // Service accounts are counted separately from long-term keys.
    await store.createAccessKey(
      akey('S1', 'AIDA1', { kind: 'service-account', serviceAccount: { id: 'sa-1', description: 'ci' } }),
      { maxPerOwner: 100 },
    );
    expect((await store.listAccessKeys(T, 'AIDA1', 'long-term')).map((k) => k.accessKeyId)).toEqual([
      'K1',
      'K2',
    ]);
    expect((await store.listAccessKeys(T, undefined, 'long-term')).map((k) => k.accessKeyId)).toEqual(['R1']);
    expect(await store.getServiceAccount(T, 'sa-1')).toMatchObject({ accessKeyId: 'S1', userId: 'AIDA1' });
    await store.updateAccessKey('S1', { status: 'Inactive', description: null, expiresAt: now });
    const sa = await store.getAccessKey('S1');
    expect(sa?.status).toBe('Inactive');
    expect(sa?.serviceAccount).toEqual({ id: 'sa-1', expiresAt: now });
    await store.recordAccessKeyUse('K1', { date: now, service: 's3', region: 'us-east-1' });
    expect((await store.getAccessKey('K1'))?.lastUsed).toEqual({
      date: now,
      service: 's3',
      region: 'us-east-1',
    });
  });

  it('versions managed policies: at most N versions, default cannot be deleted, attached cannot be deleted', async () => {
    const arn = 'arn:aws:iam::000000000000:policy/p';
    const p = await store.createPolicy({
      tenantId: T,
      id: 'ANPA1',
      name: 'p',
      path: '/',
      arn,
      document: '{"v":1}',
      createdAt: now,
    });
    expect(p).toMatchObject({ defaultVersionId: 'v1', attachmentCount: 0, arn });
    await expect(
      store.createPolicy({
        tenantId: T,
        id: 'ANPA2',
        name: 'P',
        path: '/',
        arn: `${arn}2`,
        document: '{}',
        createdAt: now,
      }),
    ).rejects.toMatchObject({ code: 'EntityAlreadyExists' });
    for (let i = 2; i <= 5; i++) {
      await store.createPolicyVersion('ANPA1', `{"v":${i}}`, { setAsDefault: i === 3, maxVersions: 5, now });
    }
    await expect(
      store.createPolicyVersion('ANPA1', '{}', { setAsDefault: false, maxVersions: 5, now }),
    ).rejects.toMatchObject({ code: 'LimitExceeded' });
    expect((await store.getPolicy(T, 'p'))?.defaultVersionId).toBe('v3');
    await expect(store.deletePolicyVersion('ANPA1', 'v3')).rejects.toMatchObject({ code: 'DeleteConflict' });
    expect(await store.deletePolicyVersion('ANPA1', 'v1')).toBe(true);
    const v6 = await store.createPolicyVersion('ANPA1', '{"v":6}', {
      setAsDefault: false,
      maxVersions: 5,
      now,
    });
    expect(v6.versionId).toBe('v6'); // version numbers are never reused
    expect((await store.listPolicyVersions('ANPA1')).map((v) => [v.versionId, v.isDefault])).toEqual([
      ['v6', false],
      ['v5', false],
      ['v4', false],
      ['v3', true],
      ['v2', false],
    ]);
    expect(await store.setDefaultPolicyVersion('ANPA1', 'v9', now)).toBe(false);

    await store.createUser(user('AIDA1', 'alice'));
    await store.attachPolicy(T, { kind: 'user', id: 'AIDA1' }, arn, 10);
    await store.attachPolicy(T, { kind: 'user', id: 'AIDA1' }, arn, 10); // idempotent
    expect((await store.getPolicy(T, 'p'))?.attachmentCount).toBe(1);
    expect((await store.listPolicies(T, { limit: 10, onlyAttached: true })).map((x) => x.name)).toEqual([
      'p',
    ]);
    await expect(store.deletePolicy(T, 'ANPA1')).rejects.toMatchObject({ code: 'DeleteConflict' });
    expect(await store.detachPolicy(T, { kind: 'user', id: 'AIDA1' }, arn)).toBe(true);
    expect(await store.detachPolicy(T, { kind: 'user', id: 'AIDA1' }, arn)).toBe(false);
    await store.deletePolicy(T, 'ANPA1');
    expect(await store.getPolicy(T, 'p')).toBeUndefined();
  });

  it('refuses to delete a group with members or policies and limits attachments', async () => {
    await store.createGroup({
      tenantId: T,
      id: 'AGPA1',
      name: 'devs',
      path: '/',
      enabled: true,
      createdAt: now,
    });
    await store.createUser(user('AIDA1', 'alice'));
    await store.addUserToGroup('AGPA1', 'AIDA1');
    await expect(store.deleteGroup(T, 'AGPA1')).rejects.toThrow(/member/);
    expect(await store.removeUserFromGroup('AGPA1', 'AIDA1')).toBe(true);
    await store.attachPolicy(T, { kind: 'group', id: 'AGPA1' }, 'arn:a', 1);
    await expect(store.attachPolicy(T, { kind: 'group', id: 'AGPA1' }, 'arn:b', 1)).rejects.toMatchObject({
      code: 'LimitExceeded',
    });
    await expect(store.deleteGroup(T, 'AGPA1')).rejects.toThrow(/polic/);
    await store.detachPolicy(T, { kind: 'group', id: 'AGPA1' }, 'arn:a');
    const g = await store.updateGroup(T, 'AGPA1', { enabled: false, name: 'ops' });
    expect(g).toMatchObject({ enabled: false, name: 'ops' });
    await store.deleteGroup(T, 'AGPA1');
  });

  it('creates tenants with root keys built from their sequence number, isolated snapshots', async () => {
    const t = await store.createTenant(
      { id: 'acme', name: 'acme', accountId: '123456789012', createdAt: now },
      (tenant) => [{ ...akey(`ROOT${tenant.seq}`, undefined), tenantId: tenant.id }],
    );
    expect(t.seq).toBe(1);
    await expect(
      store.createTenant({ id: 'x', name: 'ACME', accountId: '999999999999', createdAt: now }, () => []),
    ).rejects.toMatchObject({ code: 'EntityAlreadyExists' });
    await store.createUser(user('AIDA1', 'alice'));
    await store.createUser({ ...user('AIDA2', 'alice'), tenantId: 'acme' }); // same name, other tenant
    const snap = await store.loadTenantSnapshot('acme');
    expect(snap?.users.map((u) => u.id)).toEqual(['AIDA2']);
    expect(snap?.keys.map((k) => k.accessKeyId)).toEqual(['ROOT1']);
    await expect(store.deleteTenant('acme')).rejects.toMatchObject({ code: 'DeleteConflict' });
    await store.deleteUser('acme', 'AIDA2');
    await store.deleteTenant('acme');
    expect(await store.getAccessKey('ROOT1')).toBeUndefined();
    await expect(store.deleteTenant('default')).rejects.toMatchObject({ code: 'UnmodifiableEntity' });
  });

  it('snapshots default policy versions, inline policies and attachments of a tenant', async () => {
    await store.createUser(user('AIDA1', 'alice'));
    await store.createGroup({
      tenantId: T,
      id: 'AGPA1',
      name: 'devs',
      path: '/',
      enabled: true,
      createdAt: now,
    });
    await store.addUserToGroup('AGPA1', 'AIDA1');
    await store.putInlinePolicy({ kind: 'group', id: 'AGPA1' }, 'g', '{"g":1}');
    await store.createPolicy({
      tenantId: T,
      id: 'ANPA1',
      name: 'p',
      path: '/',
      arn: 'arn:p',
      document: '{"v":1}',
      createdAt: now,
    });
    await store.createPolicyVersion('ANPA1', '{"v":2}', { setAsDefault: true, maxVersions: 5, now });
    await store.attachPolicy(T, { kind: 'user', id: 'AIDA1' }, 'arn:p', 10);
    const snap = await store.loadTenantSnapshot(T);
    expect(snap?.memberships).toEqual([{ groupId: 'AGPA1', userId: 'AIDA1' }]);
    expect(snap?.inline).toEqual([{ kind: 'group', id: 'AGPA1', name: 'g', document: '{"g":1}' }]);
    expect(snap?.attachments).toEqual([{ kind: 'user', id: 'AIDA1', policyArn: 'arn:p' }]);
    expect(snap?.policies).toEqual([{ arn: 'arn:p', name: 'p', versionId: 'v2', document: '{"v":2}' }]);
    expect(await store.accountSummary(T)).toMatchObject({
      users: 1,
      groups: 1,
      policies: 1,
      policyVersionsInUse: 2,
    });
  });
});
