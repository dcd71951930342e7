// Tests of the IAM service with its identity cache on a real SQLite store: deletion rules, limits,
// built-in policies, tenants, and that every change is visible on the very next credential lookup.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteIdentityStore } from '../meta/sqlite/iam-store.js';
import { IdentityCache } from './identity-cache.js';
import { SecretBox } from './secrets.js';
import { IamService, type Scope } from './service.js';

const S: Scope = { tenantId: 'default', accountId: '000000000000' };
const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: ['arn:aws:s3:::my-bucket/*'] }],
});

export async function makeIam(options: { now?: () => Date } = {}) {
  const store = new SqliteIdentityStore({ db: ':memory:', defaultTenant: { accountId: S.accountId } });
  const box = new SecretBox(Buffer.alloc(32, 1));
  const root = { rootAccessKeyId: 'ROOTKEY', rootSecret: 'rootsecret123' };
  const cache = await IdentityCache.create({ store, box, ...root, ...options });
  const iam = new IamService({ store, cache, box, rootAccessKeyId: root.rootAccessKeyId, ...options });
  return { store, cache, iam, box, root };
}

describe('IamService', () => {
  let t: Awaited<ReturnType<typeof makeIam>>;
  beforeEach(async () => {
    t = await makeIam();
  });
  afterEach(async () => {
    await t.store.close();
  });

  it('serves the configured root as the default tenant root', () => {
    const c = t.cache.lookup('ROOTKEY');
    expect(c?.secretAccessKey).toBe('rootsecret123');
    expect(c?.principal).toMatchObject({
      kind: 'root',
      tenantId: 'default',
      arn: 'arn:aws:iam::000000000000:root',
    });
    expect(t.cache.lookup('nope')).toBeUndefined();
  });

  it('makes keys, status and deletion visible on the very next lookup', async () => {
    await t.iam.createUser(S, { userName: 'alice' });
    const { key, secret } = await t.iam.createAccessKey(S, { userName: 'alice' });
    expect(key.accessKeyId).toMatch(/^CK00[A-Z0-9]{16}$/);
    expect(secret).toMatch(/^[A-Za-z0-9+/]{40}$/);
    const cred = t.cache.lookup(key.accessKeyId);
    expect(cred?.secretAccessKey).toBe(secret);
    expect(cred?.principal).toMatchObject({
      kind: 'user',
      userName: 'alice',
      arn: 'arn:aws:iam::000000000000:user/alice',
    });

    await t.iam.setUserStatus(S, 'alice', 'Inactive');
    expect(t.cache.lookup(key.accessKeyId)).toBeUndefined();
    await t.iam.setUserStatus(S, 'alice', 'Active');
    expect(t.cache.lookup(key.accessKeyId)).toBeDefined();
    await t.iam.updateAccessKey(S, { userName: 'alice' }, key.accessKeyId, 'Inactive');
    expect(t.cache.lookup(key.accessKeyId)).toBeUndefined();
    await t.iam.updateAccessKey(S, { userName: 'alice' }, key.accessKeyId, 'Active');
    // A rename changes the principal's ARN at once.
    await t.iam.updateUser(S, 'alice', { newUserName: 'alicia', newPath: '/staff/' });
    expect(
      t.cache.lookup(key.accessKeyId)?.principal.kind === 'user' &&
        t.cache.lookup(key.accessKeyId)?.principal,
    ).toMatchObject({
      arn: 'arn:aws:iam::000000000000:user/staff/alicia',
    });
    await t.iam.deleteAccessKey(S, { userName: 'alicia' }, key.accessKeyId);
    expect(t.cache.lookup(key.accessKeyId)).toBeUndefined();
  });

  it('stores secrets sealed, never in clear', async () => {
    await t.iam.createUser(S, { userName: 'alice' });
    const { key, secret } = await t.iam.createAccessKey(S, { userName: 'alice' });
    const row = t.store.db
      .prepare('SELECT secret FROM iam_access_keys WHERE access_key_id = ?')
      .get(key.accessKeyId) as {
      secret: string;
    };
    expect(row.secret).not.toContain(secret);
    expect(t.box.open(row.secret, key.accessKeyId)).toBe(secret);
  });

  it('applies the caller-supplied key rules', async () => {
    await t.iam.createUser(S, { userName: 'alice' });
    await expect(
      t.iam.createAccessKey(S, { userName: 'alice' }, { accessKeyId: 'myappkey' }),
    ).rejects.toMatchObject({
      code: 'InvalidInput',
    });
    await expect(
      t.iam.createAccessKey(
        S,
        { userName: 'alice' },
        { accessKeyId: 'my-app-key', secretAccessKey: 'secret-value' },
      ),
    ).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(
      t.iam.createAccessKey(S, { userName: 'alice' }, { accessKeyId: 'myappkey', secretAccessKey: 'short' }),
    ).rejects.toMatchObject({ code: 'InvalidInput' });
    const { key } = await t.iam.createAccessKey(
      S,
      { userName: 'alice' },
      { accessKeyId: 'myappkey', secretAccessKey: 'my-app-secret-value' },
    );
    expect(t.cache.lookup('myappkey')?.secretAccessKey).toBe('my-app-secret-value');
    expect(key.accessKeyId).toBe('myappkey');
    await expect(
      t.iam.createAccessKey(
        S,
        { userName: 'alice' },
        { accessKeyId: 'myappkey', secretAccessKey: 'another-secret' },
      ),
    ).rejects.toMatchObject({ code: 'EntityAlreadyExists' });
    await expect(
      t.iam.createAccessKey(
        S,
        { userName: 'alice' },
        { accessKeyId: 'ROOTKEY', secretAccessKey: 'another-secret' },
      ),
    ).rejects.toMatchObject({ code: 'EntityAlreadyExists' });
    await t.iam.createAccessKey(S, { userName: 'alice' });
    await expect(t.iam.createAccessKey(S, { userName: 'alice' })).rejects.toMatchObject({
      code: 'LimitExceeded',
    });
  });

  it('assembles the policies in force and drops them on detach, group removal or group disable', async () => {
    await t.iam.createUser(S, { userName: 'alice' });
    const { key } = await t.iam.createAccessKey(S, { userName: 'alice' });
    const principal = () => {
      const p = t.cache.lookup(key.accessKeyId)?.principal;
      if (!p) throw new Error('no principal');
      return p;
    };
    const ids = () => t.cache.policiesFor(principal())?.identityPolicies.map((r) => r.id) ?? [];
    expect(ids()).toEqual([]);

    await t.iam.putInlinePolicy(S, 'user', 'alice', 'ReadOnlyPolicy', DOC);
    await t.iam.createPolicy(S, { policyName: 'Managed', document: DOC });
    await t.iam.attachPolicy(S, 'user', 'alice', 'arn:aws:iam:::policy/Managed');
    await t.iam.attachPolicy(S, 'user', 'alice', 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');
    await t.iam.createGroup(S, { groupName: 'devs' });
    await t.iam.addUserToGroup(S, 'devs', 'alice');
    await t.iam.attachPolicy(S, 'group', 'devs', 'arn:aws:iam::000000000000:policy/readonly');
    await t.iam.putInlinePolicy(S, 'group', 'devs', 'g', DOC);
    await t.iam.setUserAttributes(S, 'alice', { role: 'Reader' });
    expect(ids()).toEqual([
      'arn:aws:iam::000000000000:user/alice/inline/ReadOnlyPolicy',
      'arn:aws:iam::000000000000:policy/Managed',
      'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      'arn:aws:iam::000000000000:group/devs/inline/g',
      'arn:aws:iam::000000000000:policy/readonly',
      'role/Reader',
    ]);

    await t.iam.updateGroup(S, 'devs', { disabled: 'true' });
    expect(ids()).not.toContain('arn:aws:iam::000000000000:policy/readonly');
    await t.iam.updateGroup(S, 'devs', { disabled: 'false' });
    expect(ids()).toContain('arn:aws:iam::000000000000:policy/readonly');
    await t.iam.removeUserFromGroup(S, 'devs', 'alice');
    expect(ids()).not.toContain('arn:aws:iam::000000000000:group/devs/inline/g');
    await t.iam.detachPolicy(S, 'user', 'alice', 'arn:aws:iam::000000000000:policy/Managed');
    expect(ids()).not.toContain('arn:aws:iam::000000000000:policy/Managed');

    // A new default version replaces the document in force.
    await t.iam.attachPolicy(S, 'user', 'alice', 'arn:aws:iam:::policy/Managed');
    const before = t.cache
      .policiesFor(principal())
      ?.identityPolicies.find((r) => r.id.endsWith('policy/Managed'));
    await t.iam.createPolicyVersion(
      S,
      'arn:aws:iam:::policy/Managed',
      DOC.replace('my-bucket', 'other'),
      true,
    );
    const after = t.cache
      .policiesFor(principal())
      ?.identityPolicies.find((r) => r.id.endsWith('policy/Managed'));
    expect(before?.version).toBe('v1');
    expect(after?.version).toBe('v2');

    await t.iam.putUserPermissionsBoundary(S, 'alice', 'arn:aws:iam::000000000000:policy/readwrite');
    expect(t.cache.policiesFor(principal())?.permissionsBoundary?.id).toBe(
      'arn:aws:iam::000000000000:policy/readwrite',
    );
    await t.iam.deleteUserPermissionsBoundary(S, 'alice');
    expect(t.cache.policiesFor(principal())?.permissionsBoundary).toBeUndefined();
  });

  it('enforces the deletion rules of users, groups and policies', async () => {
    await t.iam.createUser(S, { userName: 'alice' });
    await t.iam.createGroup(S, { groupName: 'devs' });
    await t.iam.addUserToGroup(S, 'devs', 'alice');
    await t.iam.createPolicy(S, { policyName: 'P', document: DOC });
    await t.iam.attachPolicy(S, 'group', 'devs', 'arn:aws:iam:::policy/P');
    await expect(t.iam.deletePolicy(S, 'arn:aws:iam:::policy/P')).rejects.toMatchObject({
      code: 'DeleteConflict',
    });
    await expect(t.iam.deleteGroup(S, 'devs')).rejects.toMatchObject({ code: 'DeleteConflict' });
    const { key } = await t.iam.createAccessKey(S, { userName: 'alice' });
    await expect(t.iam.deleteUser(S, 'alice')).rejects.toMatchObject({ code: 'DeleteConflict' });
    await t.iam.deleteAccessKey(S, { userName: 'alice' }, key.accessKeyId);
    await t.iam.deleteUser(S, 'alice'); // leaves the group on its way out
    expect((await t.iam.getGroup(S, 'devs', {})).users.items).toEqual([]);
    await t.iam.detachPolicy(S, 'group', 'devs', 'arn:aws:iam:::policy/P');
    await t.iam.deleteGroup(S, 'devs');
    await t.iam.deletePolicy(S, 'arn:aws:iam:::policy/P');
    await expect(t.iam.deletePolicy(S, 'arn:aws:iam:::policy/readonly')).rejects.toMatchObject({
      code: 'UnmodifiableEntity',
    });
    await expect(
      t.iam.createPolicyVersion(S, 'arn:aws:iam::aws:policy/AmazonS3FullAccess', DOC, true),
    ).rejects.toMatchObject({ code: 'UnmodifiableEntity' });
    await expect(t.iam.createPolicy(S, { policyName: 'readwrite', document: DOC })).rejects.toMatchObject({
      code: 'EntityAlreadyExists',
    });
  });

  it('validates documents with the policy engine and enforces sizes', async () => {
    await t.iam.createUser(S, { userName: 'alice' });
    await expect(t.iam.putInlinePolicy(S, 'user', 'alice', 'p', '{nope')).rejects.toMatchObject({
      code: 'MalformedPolicyDocument',
    });
    await expect(
      t.iam.putInlinePolicy(
        S,
        'user',
        'alice',
        'p',
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:Nope', Resource: '*' }],
        }),
      ),
    ).rejects.toMatchObject({ code: 'MalformedPolicyDocument' });
    const big = (n: number) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${'b'.repeat(n)}/*` }],
      });
    await t.iam.putInlinePolicy(S, 'user', 'alice', 'one', big(1000));
    // The aggregate of a user's inline policies is limited to 2048 non-whitespace characters.
    await expect(t.iam.putInlinePolicy(S, 'user', 'alice', 'two', big(1000))).rejects.toMatchObject({
      code: 'LimitExceeded',
    });
    await t.iam.putInlinePolicy(S, 'user', 'alice', 'ONE', big(1500)); // replaces, case-insensitively
    await expect(t.iam.createPolicy(S, { policyName: 'huge', document: big(7000) })).rejects.toMatchObject({
      code: 'LimitExceeded',
    });
  });

  it('pages users with opaque markers', async () => {
    for (const n of ['e', 'b', 'd', 'a', 'c']) await t.iam.createUser(S, { userName: n });
    const p1 = await t.iam.listUsers(S, { maxItems: 2 });
    expect(p1.items.map((u) => u.name)).toEqual(['a', 'b']);
    expect(p1.isTruncated).toBe(true);
    const p2 = await t.iam.listUsers(S, { maxItems: 2, marker: p1.marker });
    const p3 = await t.iam.listUsers(S, { maxItems: 2, marker: p2.marker });
    expect([...p2.items, ...p3.items].map((u) => u.name)).toEqual(['c', 'd', 'e']);
    expect(p3.isTruncated).toBe(false);
    await expect(t.iam.listUsers(S, { maxItems: 0 })).rejects.toMatchObject({ code: 'ValidationError' });
  });

  it('lists policies by scope, with built-ins and attachment counts', async () => {
    await t.iam.createPolicy(S, { policyName: 'Mine', document: DOC, path: '/team/' });
    await t.iam.createUser(S, { userName: 'alice' });
    await t.iam.attachPolicy(S, 'user', 'alice', 'arn:aws:iam:::policy/readonly');
    const names = async (scope: string, onlyAttached = false) =>
      (await t.iam.listPolicies(S, { scope, onlyAttached })).items.map((p) => p.name);
    expect(await names('Local')).toEqual(['Mine', 'readonly', 'readwrite', 'writeonly']);
    expect(await names('AWS')).toEqual([
      'AmazonS3FullAccess',
      'AmazonS3ReadOnlyAccess',
      'IAMFullAccess',
      'IAMReadOnlyAccess',
    ]);
    expect(await names('All', true)).toEqual(['readonly']);
    const all = await t.iam.listPolicies(S, { maxItems: 5 });
    const rest = await t.iam.listPolicies(S, { maxItems: 5, marker: all.marker });
    expect([...all.items, ...rest.items]).toHaveLength(8);
    expect((await t.iam.resolvePolicy(S, 'arn:aws:iam::000000000000:policy/team/Mine')).path).toBe('/team/');
    await expect(t.iam.resolvePolicy(S, 'arn:aws:iam::000000000000:policy/Mine')).rejects.toMatchObject({
      code: 'NoSuchEntity',
    });
    await expect(t.iam.resolvePolicy(S, 'arn:aws:iam::123456789012:policy/readonly')).rejects.toMatchObject({
      code: 'NoSuchEntity',
    });
  });

  it('service accounts act as their parent, narrowed by their policy, until they expire', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const u = await makeIam({ now: () => now });
    try {
      await u.iam.createUser(S, { userName: 'alice' });
      const { view, secret } = await u.iam.createServiceAccount(S, {
        parentUser: 'alice',
        description: 'ci',
        expiration: String(Date.parse('2030-01-02T00:00:00Z') / 1000),
        policy: DOC,
      });
      expect(view).toMatchObject({ parentUser: 'alice', status: 'Active', description: 'ci' });
      expect(view.accessKeyId).toMatch(/^CA00/);
      const cred = u.cache.lookup(view.accessKeyId);
      expect(cred?.secretAccessKey).toBe(secret);
      expect(cred?.principal).toMatchObject({ kind: 'service-account', userName: 'alice' });
      if (!cred) throw new Error('no credential');
      expect(u.cache.policiesFor(cred.principal)?.sessionPolicies.map((p) => p.id)).toEqual([
        `service-account/${view.id}`,
      ]);
      await expect(u.iam.deleteUser(S, 'alice')).rejects.toMatchObject({ code: 'DeleteConflict' });
      now = new Date('2030-01-03T00:00:00Z');
      expect(u.cache.lookup(view.accessKeyId)).toBeUndefined();
      await u.iam.updateServiceAccount(S, view.id, { expiration: '' });
      expect(u.cache.lookup(view.accessKeyId)).toBeDefined();
      await u.iam.updateServiceAccount(S, view.id, { status: 'Inactive' });
      expect(u.cache.lookup(view.accessKeyId)).toBeUndefined();
      expect((await u.iam.listServiceAccounts(S, 'alice')).map((s) => s.status)).toEqual(['Inactive']);
      await u.iam.deleteServiceAccount(S, view.id);
      await u.iam.deleteUser(S, 'alice');
    } finally {
      await u.store.close();
    }
  });

  it('isolates tenants: own root, own names, nothing visible across', async () => {
    const { tenant, accessKeyId, secret } = await t.iam.createTenant({ tenantName: 'acme' });
    expect(accessKeyId).toMatch(/^CK01/);
    const root = t.cache.lookup(accessKeyId);
    expect(root?.secretAccessKey).toBe(secret);
    expect(root?.principal).toMatchObject({
      kind: 'root',
      tenantId: tenant.id,
      arn: `arn:aws:iam::${tenant.accountId}:root`,
    });
    const A: Scope = { tenantId: tenant.id, accountId: tenant.accountId };
    await t.iam.createUser(S, { userName: 'alice' });
    await t.iam.createUser(A, { userName: 'alice' });
    await t.iam.createPolicy(S, { policyName: 'P', document: DOC });
    await expect(
      t.iam.attachPolicy(A, 'user', 'alice', 'arn:aws:iam::000000000000:policy/P'),
    ).rejects.toMatchObject({
      code: 'NoSuchEntity',
    });
    await expect(t.iam.attachPolicy(A, 'user', 'alice', 'arn:aws:iam:::policy/P')).rejects.toMatchObject({
      code: 'NoSuchEntity',
    });
    await t.iam.attachPolicy(A, 'user', 'alice', 'arn:aws:iam:::policy/readonly');
    expect((await t.iam.listUsers(A, {})).items).toHaveLength(1);
    const { key } = await t.iam.createAccessKey(A, { userName: 'alice' });
    await expect(t.iam.getAccessKeyLastUsed(S, key.accessKeyId)).rejects.toMatchObject({
      code: 'NoSuchEntity',
    });
    await expect(t.iam.deleteTenant('acme')).rejects.toMatchObject({ code: 'DeleteConflict' });
    await t.iam.detachPolicy(A, 'user', 'alice', 'arn:aws:iam:::policy/readonly');
    await t.iam.deleteAccessKey(A, { userName: 'alice' }, key.accessKeyId);
    await t.iam.deleteUser(A, 'alice');
    await t.iam.deleteTenant('acme');
    expect(t.cache.lookup(accessKeyId)).toBeUndefined();
  });

  it('records key use in memory and writes it when asked', async () => {
    await t.iam.createUser(S, { userName: 'alice' });
    const { key } = await t.iam.createAccessKey(S, { userName: 'alice' });
    expect((await t.iam.getAccessKeyLastUsed(S, key.accessKeyId)).key.lastUsed).toBeUndefined();
    t.cache.noteKeyUse(key.accessKeyId, 's3', 'us-east-1');
    const r = await t.iam.getAccessKeyLastUsed(S, key.accessKeyId);
    expect(r.userName).toBe('alice');
    expect(r.key.lastUsed).toMatchObject({ service: 's3', region: 'us-east-1' });
  });
});
