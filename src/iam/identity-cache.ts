// The in-memory identity cache: serves the synchronous CredentialLookup (access key id → secret +
// Principal) and, per principal, the compiled policies in force, so the auth path never touches
// the database. It mirrors the store one tenant at a time; the IAM service reloads a tenant after
// every change it makes, and `reload()` lets other servers catch up later.
import type { Credential, CredentialLookup } from '../auth/types.js';
import type { Principal } from '../auth/principal.js';
import type {
  AccessKeyRecord,
  GroupRecord,
  IamTag,
  IdentityStore,
  TenantRecord,
  TenantSnapshot,
  UserRecord,
} from '../meta/iam-ports.js';
import { builtinPolicies, builtinPolicy, parsePolicy } from '../policy/index.js';
import type { CompiledPolicy, PolicyRef } from '../policy/index.js';
import type { SecretBox } from './secrets.js';

/** The policies that decide for one principal (root needs none: it may do everything in its tenant). */
export interface PrincipalPolicies {
  /** User inline + attached managed (default version) + enabled groups' inline and attached + role. */
  identityPolicies: PolicyRef[];
  permissionsBoundary?: PolicyRef;
  /** Service-account policy: narrows, never grants. */
  sessionPolicies: PolicyRef[];
  /** Principal tags (aws:PrincipalTag/…). */
  tags: IamTag[];
}

export interface RootKeyPair {
  rootAccessKeyId: string;
  rootSecret: string;
}

export interface IdentityCacheOptions extends RootKeyPair {
  store: IdentityStore;
  box: SecretBox;
  now?: () => Date;
}

interface TenantView {
  tenant: TenantRecord;
  users: Map<string, UserRecord>;
  usersByName: Map<string, UserRecord>;
  groups: Map<string, GroupRecord>;
  groupsOfUser: Map<string, string[]>;
  /** `user:<id>` / `group:<id>` → inline policies. */
  inline: Map<string, { name: string; document: string }[]>;
  attached: Map<string, string[]>;
  /** Local managed policies by canonical ARN (default version). */
  policies: Map<string, { name: string; versionId: string; document: string }>;
}

// A stored document that no longer compiles must not silently drop a Deny: fail closed.
const DENY_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}';

export const userArn = (accountId: string, u: Pick<UserRecord, 'path' | 'name'>): string =>
  `arn:aws:iam::${accountId}:user${u.path}${u.name}`;
export const rootArn = (accountId: string): string => `arn:aws:iam::${accountId}:root`;

export class IdentityCache {
  readonly #store: IdentityStore;
  readonly #box: SecretBox;
  readonly #now: () => Date;
  readonly #root: RootKeyPair;
  readonly #tenants = new Map<string, TenantView>();
  readonly #keys = new Map<string, AccessKeyRecord>();
  /** Decrypted secrets by access key id, kept while the sealed value is unchanged. */
  readonly #secrets = new Map<string, { sealed: string; secret: string }>();
  readonly #credentials = new Map<string, Credential>();
  readonly #policyMemo = new Map<string, PrincipalPolicies>();
  readonly #compiled = new Map<string, CompiledPolicy>();
  /** Reload sequence per tenant: an older reload finishing late must not overwrite a newer one. */
  readonly #applied = new Map<string, number>();
  #seq = 0;
  readonly #pendingUse = new Map<string, { date: Date; service: string; region: string }>();

  constructor(options: IdentityCacheOptions) {
    this.#store = options.store;
    this.#box = options.box;
    this.#now = options.now ?? (() => new Date());
    this.#root = { rootAccessKeyId: options.rootAccessKeyId, rootSecret: options.rootSecret };
  }

  /** Builds a cache and loads every tenant. */
  static async create(options: IdentityCacheOptions): Promise<IdentityCache> {
    const cache = new IdentityCache(options);
    await cache.reload();
    return cache;
  }

  /** The CredentialLookup port, bound. */
  readonly lookup: CredentialLookup = (accessKeyId) => this.#lookup(accessKeyId);

  /** Reloads one tenant (after a change to it) or all of them (at start, or on a notification from another server). */
  async reload(tenantId?: string): Promise<void> {
    if (tenantId === undefined) {
      const tenants = await this.#store.listTenants();
      const ids = new Set(tenants.map((t) => t.id));
      for (const id of [...this.#tenants.keys()]) if (!ids.has(id)) this.#drop(id);
      await Promise.all(tenants.map((t) => this.reload(t.id)));
      return;
    }
    const mine = ++this.#seq;
    const snap = await this.#store.loadTenantSnapshot(tenantId);
    if ((this.#applied.get(tenantId) ?? 0) > mine) return;
    this.#applied.set(tenantId, mine);
    if (snap === undefined) this.#drop(tenantId);
    else this.#apply(snap);
  }

  tenant(tenantId: string): TenantRecord | undefined {
    return this.#tenants.get(tenantId)?.tenant;
  }

  tenants(): TenantRecord[] {
    return [...this.#tenants.values()].map((v) => v.tenant);
  }

  /** A user by name (case-insensitive), from memory: used to build resource ARNs for authorisation. */
  user(tenantId: string, name: string): UserRecord | undefined {
    return this.#tenants.get(tenantId)?.usersByName.get(name.toLowerCase());
  }

  group(tenantId: string, name: string): GroupRecord | undefined {
    const lower = name.toLowerCase();
    for (const g of this.#tenants.get(tenantId)?.groups.values() ?? [])
      if (g.name.toLowerCase() === lower) return g;
    return undefined;
  }

  /** The users and groups a managed policy (canonical ARN) is attached to, by name. */
  entitiesForPolicy(tenantId: string, arn: string): { users: UserRecord[]; groups: GroupRecord[] } {
    const view = this.#tenants.get(tenantId);
    const users: UserRecord[] = [];
    const groups: GroupRecord[] = [];
    for (const [target, arns] of view?.attached ?? []) {
      if (!arns.includes(arn)) continue;
      const [kind, id = ''] = target.split(':');
      if (kind === 'user') {
        const u = view?.users.get(id);
        if (u !== undefined) users.push(u);
      } else {
        const g = view?.groups.get(id);
        if (g !== undefined) groups.push(g);
      }
    }
    const byName = (a: { name: string }, b: { name: string }) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    return { users: users.sort(byName), groups: groups.sort(byName) };
  }

  userById(tenantId: string, userId: string): UserRecord | undefined {
    return this.#tenants.get(tenantId)?.users.get(userId);
  }

  /** The policies in force for a principal, compiled; undefined for root, anonymous or an unknown principal. */
  policiesFor(principal: Principal): PrincipalPolicies | undefined {
    if (principal.kind === 'anonymous' || principal.kind === 'root') return undefined;
    const memoKey = `${principal.tenantId}\u0000${principal.kind === 'service-account' ? principal.accessKeyId : principal.userId}`;
    const memo = this.#policyMemo.get(memoKey);
    if (memo) return memo;
    const view = this.#tenants.get(principal.tenantId);
    const user = view?.users.get(principal.userId);
    if (!view || !user) return undefined;
    const result = this.#userPolicies(view, user);
    if (principal.kind === 'service-account') {
      const sa = this.#keys.get(principal.accessKeyId)?.serviceAccount;
      if (sa?.policy !== undefined)
        result.sessionPolicies.push(this.#ref(sa.policy, `service-account/${sa.id}`));
    }
    this.#policyMemo.set(memoKey, result);
    return result;
  }

  /** The policies in force for a user (SimulatePrincipalPolicy), uncached. */
  userPolicies(tenantId: string, userId: string): PrincipalPolicies | undefined {
    const view = this.#tenants.get(tenantId);
    const user = view?.users.get(userId);
    return view && user ? this.#userPolicies(view, user) : undefined;
  }

  /** Compiles (memoised by text) a document for evaluation; invalid documents throw MalformedPolicyDocument. */
  compile(document: string, id: string): PolicyRef {
    parsePolicy(document, { kind: 'identity' });
    return this.#ref(document, id);
  }

  /** Notes a key's use (auth path: memory only); written to the store by `flushKeyUse`. */
  noteKeyUse(accessKeyId: string, service: string, region: string): void {
    if (!this.#keys.has(accessKeyId)) return;
    this.#pendingUse.set(accessKeyId, { date: this.#now(), service, region: region === '' ? 'N/A' : region });
  }

  async flushKeyUse(): Promise<void> {
    const pending = [...this.#pendingUse];
    this.#pendingUse.clear();
    for (const [id, use] of pending) await this.#store.recordAccessKeyUse(id, use);
  }

  /** Resolves a policy ARN held in an attachment or boundary: local managed, tenant predefined or AWS managed. */
  resolvePolicyArn(tenantId: string, arn: string): PolicyRef | undefined {
    const view = this.#tenants.get(tenantId);
    if (!view) return undefined;
    const local = view.policies.get(arn);
    if (local) return this.#ref(local.document, arn, local.versionId);
    const builtin = builtinForArn(view.tenant.accountId, arn);
    return builtin && { policy: builtin.compiled, id: arn, version: 'v1' };
  }

  // ------------------------------------------------------------------ internals

  #lookup(accessKeyId: string): Credential | undefined {
    if (accessKeyId === this.#root.rootAccessKeyId) {
      const cached = this.#credentials.get(accessKeyId);
      if (cached) return cached;
      const t = this.#tenants.get('default')?.tenant;
      if (!t) return undefined;
      const cred: Credential = {
        accessKeyId,
        secretAccessKey: this.#root.rootSecret,
        principal: {
          kind: 'root',
          tenantId: t.id,
          accountId: t.accountId,
          accessKeyId,
          arn: rootArn(t.accountId),
        },
      };
      this.#credentials.set(accessKeyId, cred);
      return cred;
    }
    const key = this.#keys.get(accessKeyId);
    if (!key || key.status !== 'Active') return undefined;
    // Expiry is a matter of time, not of change: checked on every lookup, before the memo.
    const expires = key.serviceAccount?.expiresAt;
    if (expires !== undefined && expires.getTime() <= this.#now().getTime()) return undefined;
    const cached = this.#credentials.get(accessKeyId);
    if (cached) return cached;
    const view = this.#tenants.get(key.tenantId);
    if (!view) return undefined;
    const secretAccessKey = this.#secret(key);
    if (secretAccessKey === undefined) return undefined;
    const { tenant } = view;
    let principal: Principal;
    if (key.userId === undefined) {
      principal = {
        kind: 'root',
        tenantId: tenant.id,
        accountId: tenant.accountId,
        accessKeyId,
        arn: rootArn(tenant.accountId),
      };
    } else {
      const user = view.users.get(key.userId);
      if (!user || user.status !== 'Active') return undefined;
      const base = {
        tenantId: tenant.id,
        accountId: tenant.accountId,
        accessKeyId,
        arn: userArn(tenant.accountId, user),
        userId: user.id,
        userName: user.name,
      };
      principal =
        key.kind === 'service-account' ? { kind: 'service-account', ...base } : { kind: 'user', ...base };
    }
    const cred: Credential = { accessKeyId, secretAccessKey, principal };
    this.#credentials.set(accessKeyId, cred);
    return cred;
  }

  /**
   * How many stored access keys (of `total`) this master key cannot open: all of them means the
   * server was started with another master key than the one they were sealed with.
   */
  unreadableSecrets(): { unreadable: number; total: number } {
    let unreadable = 0;
    for (const k of this.#keys.values()) if (this.#secret(k) === undefined) unreadable++;
    return { unreadable, total: this.#keys.size };
  }

  #secret(key: AccessKeyRecord): string | undefined {
    const known = this.#secrets.get(key.accessKeyId);
    if (known && known.sealed === key.secretCipher) return known.secret;
    try {
      const secret = this.#box.open(key.secretCipher, key.accessKeyId);
      this.#secrets.set(key.accessKeyId, { sealed: key.secretCipher, secret });
      return secret;
    } catch {
      return undefined; // sealed under another master key or altered: the key cannot authenticate
    }
  }

  #userPolicies(view: TenantView, user: UserRecord): PrincipalPolicies {
    const identityPolicies: PolicyRef[] = [];
    const tenantId = view.tenant.id;
    const { accountId } = view.tenant;
    for (const p of view.inline.get(`user:${user.id}`) ?? []) {
      identityPolicies.push(this.#ref(p.document, `${userArn(accountId, user)}/inline/${p.name}`));
    }
    for (const arn of view.attached.get(`user:${user.id}`) ?? []) {
      identityPolicies.push(this.resolvePolicyArn(tenantId, arn) ?? this.#ref(DENY_ALL, arn));
    }
    for (const gid of view.groupsOfUser.get(user.id) ?? []) {
      const g = view.groups.get(gid);
      if (!g || !g.enabled) continue; // a disabled group's policies stop applying
      for (const p of view.inline.get(`group:${g.id}`) ?? []) {
        identityPolicies.push(
          this.#ref(p.document, `arn:aws:iam::${accountId}:group${g.path}${g.name}/inline/${p.name}`),
        );
      }
      for (const arn of view.attached.get(`group:${g.id}`) ?? []) {
        identityPolicies.push(this.resolvePolicyArn(tenantId, arn) ?? this.#ref(DENY_ALL, arn));
      }
    }
    if (user.role !== undefined) {
      identityPolicies.push({ policy: builtinPolicy(user.role).compiled, id: `role/${user.role}` });
    }
    const result: PrincipalPolicies = { identityPolicies, sessionPolicies: [], tags: user.tags };
    if (user.permissionsBoundary !== undefined) {
      result.permissionsBoundary =
        this.resolvePolicyArn(tenantId, user.permissionsBoundary) ??
        this.#ref(DENY_ALL, user.permissionsBoundary);
    }
    return result;
  }

  #ref(document: string, id: string, version?: string): PolicyRef {
    let policy = this.#compiled.get(document);
    if (!policy) {
      try {
        policy = parsePolicy(document, { kind: 'identity' });
      } catch {
        policy = parsePolicy(DENY_ALL, { kind: 'identity' });
      }
      this.#compiled.set(document, policy);
    }
    return version === undefined ? { policy, id } : { policy, id, version };
  }

  #drop(tenantId: string): void {
    this.#tenants.delete(tenantId);
    for (const [id, k] of this.#keys) if (k.tenantId === tenantId) this.#keys.delete(id);
    this.#invalidate();
  }

  #apply(snap: TenantSnapshot): void {
    const view: TenantView = {
      tenant: snap.tenant,
      users: new Map(snap.users.map((u) => [u.id, u])),
      usersByName: new Map(snap.users.map((u) => [u.name.toLowerCase(), u])),
      groups: new Map(snap.groups.map((g) => [g.id, g])),
      groupsOfUser: new Map(),
      inline: new Map(),
      attached: new Map(),
      policies: new Map(snap.policies.map((p) => [p.arn, p])),
    };
    for (const m of snap.memberships) push(view.groupsOfUser, m.userId, m.groupId);
    for (const p of snap.inline)
      push(view.inline, `${p.kind}:${p.id}`, { name: p.name, document: p.document });
    for (const a of snap.attachments) push(view.attached, `${a.kind}:${a.id}`, a.policyArn);
    this.#tenants.set(snap.tenant.id, view);
    for (const [id, k] of this.#keys) if (k.tenantId === snap.tenant.id) this.#keys.delete(id);
    for (const k of snap.keys) this.#keys.set(k.accessKeyId, k);
    this.#invalidate();
  }

  #invalidate(): void {
    this.#credentials.clear();
    this.#policyMemo.clear();
    // Compiled documents are keyed by their text, so they stay valid; drop them when many pile up.
    if (this.#compiled.size > 50_000) this.#compiled.clear();
    for (const id of this.#secrets.keys()) if (!this.#keys.has(id)) this.#secrets.delete(id);
  }
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The built-in policy an ARN names: AWS managed (`arn:aws:iam::aws:policy/…`) or a tenant's predefined one. */
export function builtinForArn(
  accountId: string,
  arn: string,
): (ReturnType<typeof builtinPolicy> & { arn: string }) | undefined {
  const m = /^arn:aws:iam::([0-9]{12}|aws|):policy\/([\w+=,.@-]+)$/.exec(arn);
  if (!m) return undefined;
  const [, account, name] = m;
  const p = builtinPolicies.get(name ?? '');
  if (!p) return undefined;
  if (account === 'aws' && p.origin === 'aws') return { ...p, arn };
  if ((account === accountId || account === '') && p.origin === 'weka') {
    return { ...p, arn: `arn:aws:iam::${accountId}:policy/${p.name}` };
  }
  return undefined;
}
