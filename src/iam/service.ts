// The IAM domain service: users, groups, access keys, service accounts, managed and inline
// policies, attachments, boundaries and tenants, over the IdentityStore. It validates input,
// applies AWS's rules and limits, and reloads the identity cache after every change so the very
// next request sees it. Authorisation is not done here: the API surface decides before calling.
import { randomBytes } from 'node:crypto';
import { CofferError } from '../errors/error.js';
import type {
  AccessKeyRecord,
  EntityStatus,
  GroupRecord,
  IamTag,
  IdentityStore,
  ManagedPolicyRecord,
  PolicyTarget,
  PolicyVersionRecord,
  TenantRecord,
  UserRecord,
} from '../meta/iam-ports.js';
import { builtinPolicies, parsePolicy, POLICY_SIZE_LIMITS } from '../policy/index.js';
import type { IdentityCache } from './identity-cache.js';
import {
  generateAccessKeyId,
  generateAccountId,
  generateEntityId,
  generateSecretAccessKey,
  MAX_TENANT_SEQ,
  type SecretBox,
} from './secrets.js';
import {
  checkMaxItems,
  checkName,
  checkPath,
  checkPathPrefix,
  checkStatus,
  checkTags,
  decodeMarker,
  encodeMarker,
  MAX_TAGS,
  policySize,
} from './validate.js';

export const DEFAULT_TENANT = 'default';

/** The tenant a call acts in (the caller's). */
export interface Scope {
  tenantId: string;
  accountId: string;
}

export interface PageRequest {
  marker?: string | undefined;
  maxItems?: string | number | undefined;
  pathPrefix?: string | undefined;
}

export interface Page<T> {
  items: T[];
  isTruncated: boolean;
  /** Present when truncated: pass back as `marker`. */
  marker?: string;
}

/** Whose access keys: a user by name, or the tenant's root. */
export type KeyOwner = { userName: string } | { root: true };

export interface IamLimits {
  accessKeysPerUser: number;
  serviceAccountsPerUser: number;
  managedPoliciesPerUser: number;
  managedPoliciesPerGroup: number;
  policyVersions: number;
}

export const DEFAULT_LIMITS: IamLimits = {
  accessKeysPerUser: 2,
  serviceAccountsPerUser: 100,
  managedPoliciesPerUser: 20,
  managedPoliciesPerGroup: 20,
  policyVersions: 5,
};

/** A managed policy as the API shows it: stored (local) or built in (predefined / AWS managed). */
export interface PolicyView {
  name: string;
  id: string;
  path: string;
  arn: string;
  defaultVersionId: string;
  attachmentCount: number;
  boundaryUsageCount: number;
  description?: string;
  createdAt: Date;
  updatedAt: Date;
  builtin: 'weka' | 'aws' | undefined;
  /** Store id of a local policy. */
  policyId?: string;
}

export interface ServiceAccountView {
  id: string;
  parentUser: string;
  accessKeyId: string;
  status: EntityStatus;
  createdAt: Date;
  description?: string;
  name?: string;
  policy?: string;
  expiresAt?: Date;
}

export interface IamServiceOptions {
  store: IdentityStore;
  cache: IdentityCache;
  box: SecretBox;
  /** The default tenant's root key id (served from config, not stored). */
  rootAccessKeyId: string;
  limits?: Partial<IamLimits>;
  now?: () => Date;
}

const BUILTIN_DATE = new Date('2024-01-01T00:00:00.000Z');

/** Deterministic ANPA id for a built-in policy (AWS shows stable ids for its managed policies). */
function builtinPolicyId(arn: string): string {
  let h = 0x811c9dc5;
  let id = 'ANPA';
  for (let round = 0; id.length < 21; round++) {
    for (const c of `${round}:${arn}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    id += (h % 36).toString(36).toUpperCase();
  }
  return id;
}

export const userArn = (scope: Scope, u: Pick<UserRecord, 'path' | 'name'>): string =>
  `arn:aws:iam::${scope.accountId}:user${u.path}${u.name}`;
export const groupArn = (scope: Scope, g: Pick<GroupRecord, 'path' | 'name'>): string =>
  `arn:aws:iam::${scope.accountId}:group${g.path}${g.name}`;
export const policyArn = (accountId: string, path: string, name: string): string =>
  `arn:aws:iam::${accountId}:policy${path}${name}`;

const ARN = /^arn:aws:iam::([0-9]{12}|aws|):policy(\/(?:[\x21-\x7e]*\/)?)([\w+=,.@-]+)$/;

export class IamService {
  readonly #store: IdentityStore;
  readonly #cache: IdentityCache;
  readonly #box: SecretBox;
  readonly #limits: IamLimits;
  readonly #now: () => Date;
  readonly #rootAccessKeyId: string;

  constructor(options: IamServiceOptions) {
    this.#store = options.store;
    this.#cache = options.cache;
    this.#box = options.box;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#now = options.now ?? (() => new Date());
    this.#rootAccessKeyId = options.rootAccessKeyId;
  }

  get limits(): Readonly<IamLimits> {
    return this.#limits;
  }

  /** Every change ends here: the cache must reflect it before the reply goes out. */
  async #changed(scope: Scope | string): Promise<void> {
    await this.#cache.reload(typeof scope === 'string' ? scope : scope.tenantId);
  }

  async #page<T extends { name: string }>(
    req: PageRequest,
    fetch: (q: { after?: string; limit: number; pathPrefix?: string }) => Promise<T[]>,
  ): Promise<Page<T>> {
    const limit = checkMaxItems(req.maxItems);
    const after = decodeMarker(req.marker);
    const pathPrefix = checkPathPrefix(req.pathPrefix);
    const rows = await fetch({
      limit: limit + 1,
      ...(after === undefined ? {} : { after }),
      ...(pathPrefix === undefined ? {} : { pathPrefix }),
    });
    if (rows.length <= limit) return { items: rows, isTruncated: false };
    const items = rows.slice(0, limit);
    return { items, isTruncated: true, marker: encodeMarker(items[items.length - 1]?.name ?? '') };
  }

  // ---------------------------------------------------------------- users

  async requireUser(scope: Scope, name: string | undefined): Promise<UserRecord> {
    const userName = checkName('userName', name, 64);
    const u = await this.#store.getUser(scope.tenantId, userName);
    if (!u) throw new CofferError('NoSuchEntity', `The user with name ${userName} cannot be found.`);
    return u;
  }

  async createUser(
    scope: Scope,
    input: {
      userName?: string | undefined;
      path?: string | undefined;
      tags?: IamTag[];
      permissionsBoundary?: string | undefined;
    },
  ): Promise<UserRecord> {
    const name = checkName('userName', input.userName, 64);
    const path = checkPath('path', input.path);
    const tags = input.tags ?? [];
    checkTags(tags);
    if (tags.length > MAX_TAGS)
      throw new CofferError('LimitExceeded', `Cannot exceed quota for TagsPerUser: ${MAX_TAGS}`);
    const user: UserRecord = {
      tenantId: scope.tenantId,
      id: generateEntityId('AIDA'),
      name,
      path,
      status: 'Active',
      tags,
      createdAt: this.#now(),
    };
    if (input.permissionsBoundary !== undefined && input.permissionsBoundary !== '') {
      user.permissionsBoundary = (await this.resolvePolicy(scope, input.permissionsBoundary)).arn;
    }
    await this.#store.createUser(user);
    await this.#changed(scope);
    return user;
  }

  async updateUser(
    scope: Scope,
    name: string | undefined,
    input: { newUserName?: string | undefined; newPath?: string | undefined },
  ): Promise<UserRecord> {
    const u = await this.requireUser(scope, name);
    const patch: { name?: string; path?: string } = {};
    if (input.newUserName !== undefined && input.newUserName !== '')
      patch.name = checkName('newUserName', input.newUserName, 64);
    if (input.newPath !== undefined && input.newPath !== '') patch.path = checkPath('newPath', input.newPath);
    const updated = await this.#store.updateUser(scope.tenantId, u.id, patch);
    await this.#changed(scope);
    return updated;
  }

  async setUserStatus(scope: Scope, name: string | undefined, status: string | undefined): Promise<void> {
    const s = checkStatus(status);
    const u = await this.requireUser(scope, name);
    await this.#store.updateUser(scope.tenantId, u.id, { status: s });
    await this.#changed(scope);
  }

  /** Admin-API fields (role, password hash, POSIX ids): not reachable from the IAM query API. */
  async setUserAttributes(
    scope: Scope,
    name: string,
    patch: {
      role?: NonNullable<UserRecord['role']> | null;
      passwordHash?: string | null;
      uid?: number | null;
      gid?: number | null;
    },
  ): Promise<UserRecord> {
    const u = await this.requireUser(scope, name);
    const updated = await this.#store.updateUser(scope.tenantId, u.id, patch);
    await this.#changed(scope);
    return updated;
  }

  async deleteUser(scope: Scope, name: string | undefined): Promise<void> {
    const u = await this.requireUser(scope, name);
    await this.#store.deleteUser(scope.tenantId, u.id);
    await this.#changed(scope);
  }

  listUsers(scope: Scope, req: PageRequest): Promise<Page<UserRecord>> {
    return this.#page(req, (q) => this.#store.listUsers(scope.tenantId, q));
  }

  async tagUser(scope: Scope, name: string | undefined, tags: IamTag[]): Promise<void> {
    const u = await this.requireUser(scope, name);
    if (tags.length === 0) throw new CofferError('InvalidInput', 'At least one tag is required.');
    checkTags(tags);
    const merged = [...u.tags];
    for (const t of tags) {
      const i = merged.findIndex((m) => m.key.toLowerCase() === t.key.toLowerCase());
      if (i >= 0) merged[i] = t;
      else merged.push(t);
    }
    if (merged.length > MAX_TAGS)
      throw new CofferError('LimitExceeded', `Cannot exceed quota for TagsPerUser: ${MAX_TAGS}`);
    await this.#store.updateUser(scope.tenantId, u.id, { tags: merged });
    await this.#changed(scope);
  }

  async untagUser(scope: Scope, name: string | undefined, keys: string[]): Promise<void> {
    const u = await this.requireUser(scope, name);
    const drop = new Set(keys.map((k) => k.toLowerCase()));
    await this.#store.updateUser(scope.tenantId, u.id, {
      tags: u.tags.filter((t) => !drop.has(t.key.toLowerCase())),
    });
    await this.#changed(scope);
  }

  async putUserPermissionsBoundary(
    scope: Scope,
    name: string | undefined,
    arn: string | undefined,
  ): Promise<void> {
    const u = await this.requireUser(scope, name);
    const p = await this.resolvePolicy(scope, arn);
    await this.#store.updateUser(scope.tenantId, u.id, { permissionsBoundary: p.arn });
    await this.#changed(scope);
  }

  async deleteUserPermissionsBoundary(scope: Scope, name: string | undefined): Promise<void> {
    const u = await this.requireUser(scope, name);
    if (u.permissionsBoundary === undefined) {
      throw new CofferError('NoSuchEntity', `The user ${u.name} has no permissions boundary.`);
    }
    await this.#store.updateUser(scope.tenantId, u.id, { permissionsBoundary: null });
    await this.#changed(scope);
  }

  // ---------------------------------------------------------------- access keys

  async #ownerId(scope: Scope, owner: KeyOwner): Promise<{ userId: string | undefined; userName?: string }> {
    if ('root' in owner) return { userId: undefined };
    const u = await this.requireUser(scope, owner.userName);
    return { userId: u.id, userName: u.name };
  }

  async #requireKey(
    scope: Scope,
    owner: KeyOwner,
    accessKeyId: string | undefined,
  ): Promise<AccessKeyRecord> {
    if (accessKeyId === undefined || accessKeyId === '') {
      throw new CofferError(
        'ValidationError',
        "1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null",
      );
    }
    const { userId } = await this.#ownerId(scope, owner);
    const k = await this.#store.getAccessKey(accessKeyId);
    if (!k || k.tenantId !== scope.tenantId || k.userId !== userId || k.kind !== 'long-term') {
      throw new CofferError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`);
    }
    return k;
  }

  async #tenantSeq(scope: Scope): Promise<number> {
    const t = this.#cache.tenant(scope.tenantId) ?? (await this.#store.getTenant(scope.tenantId));
    if (!t) throw new CofferError('NoSuchEntity', `The tenant ${scope.tenantId} cannot be found.`);
    return t.seq;
  }

  /** Caller-supplied pair (SeaweedFS extension): both or neither; id 4–128 alphanumerics, secret 8–128 chars. */
  static checkSuppliedKey(
    accessKeyId: string | undefined,
    secret: string | undefined,
  ): { id: string; secret: string } | undefined {
    const hasId = accessKeyId !== undefined && accessKeyId !== '';
    const hasSecret = secret !== undefined && secret !== '';
    if (!hasId && !hasSecret) return undefined;
    if (!hasId || !hasSecret) {
      throw new CofferError('InvalidInput', 'AccessKeyId and SecretAccessKey must be supplied together.');
    }
    if (!/^[A-Za-z0-9]{4,128}$/.test(accessKeyId)) {
      throw new CofferError('InvalidInput', 'AccessKeyId must be 4 to 128 ASCII letters or digits.');
    }
    if (secret.length < 8 || secret.length > 128) {
      throw new CofferError('InvalidInput', 'SecretAccessKey must be 8 to 128 characters.');
    }
    return { id: accessKeyId, secret };
  }

  async #uniqueKeyId(accessKeyId: string): Promise<void> {
    if (accessKeyId === this.#rootAccessKeyId || (await this.#store.getAccessKey(accessKeyId))) {
      throw new CofferError('EntityAlreadyExists', `The access key ${accessKeyId} already exists.`);
    }
  }

  async createAccessKey(
    scope: Scope,
    owner: KeyOwner,
    supplied?: { accessKeyId?: string | undefined; secretAccessKey?: string | undefined },
  ): Promise<{ key: AccessKeyRecord; secret: string; userName?: string }> {
    const pair = IamService.checkSuppliedKey(supplied?.accessKeyId, supplied?.secretAccessKey);
    const { userId, userName } = await this.#ownerId(scope, owner);
    const accessKeyId = pair?.id ?? generateAccessKeyId('long-term', await this.#tenantSeq(scope));
    const secret = pair?.secret ?? generateSecretAccessKey();
    await this.#uniqueKeyId(accessKeyId);
    const key: AccessKeyRecord = {
      accessKeyId,
      tenantId: scope.tenantId,
      ...(userId === undefined ? {} : { userId }),
      secretCipher: this.#box.seal(secret, accessKeyId),
      status: 'Active',
      kind: 'long-term',
      createdAt: this.#now(),
    };
    await this.#store.createAccessKey(key, { maxPerOwner: this.#limits.accessKeysPerUser });
    await this.#changed(scope);
    return { key, secret, ...(userName === undefined ? {} : { userName }) };
  }

  async updateAccessKey(
    scope: Scope,
    owner: KeyOwner,
    accessKeyId: string | undefined,
    status: string | undefined,
  ): Promise<void> {
    const s = checkStatus(status);
    if (accessKeyId === this.#rootAccessKeyId && 'root' in owner) {
      throw new CofferError(
        'UnmodifiableEntity',
        'The configured root access key cannot be changed through the IAM API.',
      );
    }
    const k = await this.#requireKey(scope, owner, accessKeyId);
    await this.#store.updateAccessKey(k.accessKeyId, { status: s });
    await this.#changed(scope);
  }

  async deleteAccessKey(scope: Scope, owner: KeyOwner, accessKeyId: string | undefined): Promise<void> {
    if (accessKeyId === this.#rootAccessKeyId && 'root' in owner) {
      throw new CofferError(
        'UnmodifiableEntity',
        'The configured root access key cannot be deleted through the IAM API.',
      );
    }
    const k = await this.#requireKey(scope, owner, accessKeyId);
    await this.#store.deleteAccessKey(k.accessKeyId);
    await this.#changed(scope);
  }

  async listAccessKeys(
    scope: Scope,
    owner: KeyOwner,
  ): Promise<{ keys: AccessKeyRecord[]; userName?: string }> {
    const { userId, userName } = await this.#ownerId(scope, owner);
    const keys = await this.#store.listAccessKeys(scope.tenantId, userId, 'long-term');
    if (userId === undefined && scope.tenantId === DEFAULT_TENANT) {
      const t = this.#cache.tenant(DEFAULT_TENANT);
      keys.unshift({
        accessKeyId: this.#rootAccessKeyId,
        tenantId: DEFAULT_TENANT,
        secretCipher: '',
        status: 'Active',
        kind: 'long-term',
        createdAt: t?.createdAt ?? BUILTIN_DATE,
      });
    }
    return { keys, ...(userName === undefined ? {} : { userName }) };
  }

  /** The key's owner and last use; NoSuchEntity for keys of other tenants. */
  async getAccessKeyLastUsed(
    scope: Scope,
    accessKeyId: string | undefined,
  ): Promise<{ key: AccessKeyRecord; userName?: string }> {
    await this.#cache.flushKeyUse();
    const k = accessKeyId === undefined ? undefined : await this.#store.getAccessKey(accessKeyId);
    if (!k || k.tenantId !== scope.tenantId) {
      throw new CofferError('NoSuchEntity', `The Access Key with id ${accessKeyId ?? ''} cannot be found.`);
    }
    const u = k.userId === undefined ? undefined : await this.#store.getUserById(k.userId);
    return { key: k, ...(u === undefined ? {} : { userName: u.name }) };
  }

  /** Owner of a key in this tenant, without loading it from the store (for self-service checks). */
  async accessKeyOwner(scope: Scope, accessKeyId: string): Promise<string | undefined> {
    const k = await this.#store.getAccessKey(accessKeyId);
    return k && k.tenantId === scope.tenantId ? k.userId : undefined;
  }

  // ---------------------------------------------------------------- service accounts

  #saView(k: AccessKeyRecord, parentUser: string): ServiceAccountView {
    const sa = k.serviceAccount;
    const v: ServiceAccountView = {
      id: sa?.id ?? k.accessKeyId,
      parentUser,
      accessKeyId: k.accessKeyId,
      status: k.status,
      createdAt: k.createdAt,
    };
    if (sa?.description !== undefined) v.description = sa.description;
    if (sa?.name !== undefined) v.name = sa.name;
    if (sa?.policy !== undefined) v.policy = sa.policy;
    if (sa?.expiresAt !== undefined) v.expiresAt = sa.expiresAt;
    return v;
  }

  #checkExpiration(value: string): Date | null {
    if (value === '' || value === '0') return null;
    const secs = Number(value);
    const date = /^\d+$/.test(value) ? new Date(secs * 1000) : new Date(value);
    if (Number.isNaN(date.getTime())) {
      throw new CofferError('InvalidInput', 'Expiration must be a Unix time in seconds or an ISO 8601 date.');
    }
    if (date.getTime() <= this.#now().getTime())
      throw new CofferError('InvalidInput', 'Expiration must be in the future.');
    return date;
  }

  #checkDescription(d: string): string {
    if (d.length > 1000)
      throw new CofferError('InvalidInput', 'Description exceeds the maximum length of 1000 characters.');
    return d;
  }

  async createServiceAccount(
    scope: Scope,
    input: {
      parentUser: string | undefined;
      description?: string | undefined;
      name?: string | undefined;
      expiration?: string | undefined;
      policy?: string | undefined;
      accessKeyId?: string | undefined;
      secretAccessKey?: string | undefined;
    },
  ): Promise<{ view: ServiceAccountView; secret: string }> {
    if (input.parentUser === undefined || input.parentUser === '') {
      throw new CofferError('InvalidInput', 'ParentUser is required.');
    }
    const parent = await this.requireUser(scope, input.parentUser);
    const pair = IamService.checkSuppliedKey(input.accessKeyId, input.secretAccessKey);
    const sa: NonNullable<AccessKeyRecord['serviceAccount']> = {
      id: `sa:${parent.name}:${randomBytes(16).toString('hex')}`,
    };
    if (input.description !== undefined && input.description !== '')
      sa.description = this.#checkDescription(input.description);
    if (input.name !== undefined && input.name !== '') sa.name = checkName('name', input.name, 64);
    if (input.expiration !== undefined) {
      const e = this.#checkExpiration(input.expiration);
      if (e) sa.expiresAt = e;
    }
    if (input.policy !== undefined && input.policy !== '')
      sa.policy = this.#checkDocument(input.policy, POLICY_SIZE_LIMITS.sessionPolicy);
    const accessKeyId = pair?.id ?? generateAccessKeyId('service-account', await this.#tenantSeq(scope));
    const secret = pair?.secret ?? generateSecretAccessKey();
    await this.#uniqueKeyId(accessKeyId);
    const key: AccessKeyRecord = {
      accessKeyId,
      tenantId: scope.tenantId,
      userId: parent.id,
      secretCipher: this.#box.seal(secret, accessKeyId),
      status: 'Active',
      kind: 'service-account',
      createdAt: this.#now(),
      serviceAccount: sa,
    };
    await this.#store.createAccessKey(key, { maxPerOwner: this.#limits.serviceAccountsPerUser });
    await this.#changed(scope);
    return { view: this.#saView(key, parent.name), secret };
  }

  async #requireServiceAccount(scope: Scope, id: string | undefined): Promise<AccessKeyRecord> {
    if (id === undefined || id === '') throw new CofferError('InvalidInput', 'ServiceAccountId is required.');
    const k = await this.#store.getServiceAccount(scope.tenantId, id);
    if (!k) throw new CofferError('NoSuchEntity', `The service account ${id} cannot be found.`);
    return k;
  }

  async #parentName(k: AccessKeyRecord): Promise<string> {
    const u = k.userId === undefined ? undefined : await this.#store.getUserById(k.userId);
    return u?.name ?? '';
  }

  async getServiceAccount(scope: Scope, id: string | undefined): Promise<ServiceAccountView> {
    const k = await this.#requireServiceAccount(scope, id);
    return this.#saView(k, await this.#parentName(k));
  }

  async listServiceAccounts(scope: Scope, parentUser: string | undefined): Promise<ServiceAccountView[]> {
    const parent =
      parentUser === undefined || parentUser === '' ? undefined : await this.requireUser(scope, parentUser);
    const keys = await this.#store.listServiceAccounts(scope.tenantId, parent?.id);
    const names = new Map<string, string>();
    const out: ServiceAccountView[] = [];
    for (const k of keys) {
      const uid = k.userId ?? '';
      if (!names.has(uid)) names.set(uid, await this.#parentName(k));
      out.push(this.#saView(k, names.get(uid) ?? ''));
    }
    return out;
  }

  async updateServiceAccount(
    scope: Scope,
    id: string | undefined,
    patch: {
      status?: string | undefined;
      description?: string | undefined;
      expiration?: string | undefined;
      policy?: string | undefined;
      name?: string | undefined;
    },
  ): Promise<void> {
    const k = await this.#requireServiceAccount(scope, id);
    const p: Parameters<IdentityStore['updateAccessKey']>[1] = {};
    if (patch.status !== undefined && patch.status !== '') p.status = checkStatus(patch.status);
    if (patch.description !== undefined)
      p.description = patch.description === '' ? null : this.#checkDescription(patch.description);
    if (patch.name !== undefined) p.name = patch.name === '' ? null : checkName('name', patch.name, 64);
    if (patch.expiration !== undefined) p.expiresAt = this.#checkExpiration(patch.expiration);
    if (patch.policy !== undefined) {
      p.policy =
        patch.policy === '' ? null : this.#checkDocument(patch.policy, POLICY_SIZE_LIMITS.sessionPolicy);
    }
    await this.#store.updateAccessKey(k.accessKeyId, p);
    await this.#changed(scope);
  }

  async deleteServiceAccount(scope: Scope, id: string | undefined): Promise<void> {
    const k = await this.#requireServiceAccount(scope, id);
    await this.#store.deleteAccessKey(k.accessKeyId);
    await this.#changed(scope);
  }

  // ---------------------------------------------------------------- policy documents

  /** Validates a document with the policy engine (precise MalformedPolicyDocument) and its size. */
  #checkDocument(document: string | undefined, maxSize: number): string {
    if (document === undefined || document === '') {
      throw new CofferError(
        'ValidationError',
        "1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null",
      );
    }
    if (policySize(document) > maxSize) {
      throw new CofferError('LimitExceeded', `Cannot exceed quota for PolicySize: ${maxSize}`);
    }
    parsePolicy(document, { kind: 'identity' });
    return document;
  }

  /** Parses a policy ARN; an empty account (`arn:aws:iam:::policy/Name`) means the caller's tenant. */
  async resolvePolicy(scope: Scope, arn: string | undefined): Promise<PolicyView> {
    const m = ARN.exec(arn ?? '');
    if (!m) throw new CofferError('InvalidInput', `ARN ${arn ?? ''} is not valid.`);
    const [, account = '', path = '/', name = ''] = m;
    const notFound = () =>
      new CofferError('NoSuchEntity', `Policy ${arn ?? ''} does not exist or is not attachable.`);
    const builtin = builtinPolicies.get(name);
    if (account === 'aws') {
      if (builtin?.origin !== 'aws' || path !== '/') throw notFound();
      return this.#builtinView(
        scope,
        `arn:aws:iam::aws:policy/${name}`,
        builtin.name,
        'aws',
        builtin.description,
      );
    }
    if (account !== '' && account !== scope.accountId) throw notFound();
    if (builtin?.origin === 'weka' && path === '/') {
      return this.#builtinView(
        scope,
        policyArn(scope.accountId, '/', builtin.name),
        builtin.name,
        'weka',
        builtin.description,
      );
    }
    const p = await this.#store.getPolicy(scope.tenantId, name);
    // The SeaweedFS spelling names a policy without account (and path): match it by name alone.
    if (!p || (account !== '' && p.path !== path) || p.name !== name) throw notFound();
    return this.#localView(p);
  }

  async #builtinView(
    scope: Scope,
    arn: string,
    name: string,
    origin: 'weka' | 'aws',
    description: string,
  ): Promise<PolicyView> {
    return {
      name,
      id: builtinPolicyId(arn),
      path: '/',
      arn,
      defaultVersionId: 'v1',
      attachmentCount: await this.#store.countAttachments(scope.tenantId, arn),
      boundaryUsageCount: 0,
      description,
      createdAt: BUILTIN_DATE,
      updatedAt: BUILTIN_DATE,
      builtin: origin,
    };
  }

  #localView(p: ManagedPolicyRecord): PolicyView {
    const v: PolicyView = {
      name: p.name,
      id: p.id,
      path: p.path,
      arn: p.arn,
      defaultVersionId: p.defaultVersionId,
      attachmentCount: p.attachmentCount,
      boundaryUsageCount: p.boundaryUsageCount,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
      builtin: undefined,
      policyId: p.id,
    };
    if (p.description !== undefined) v.description = p.description;
    return v;
  }

  #immutable(p: PolicyView): never {
    throw new CofferError(
      'UnmodifiableEntity',
      `Policy ${p.arn} is built in and cannot be changed or deleted.`,
    );
  }

  async createPolicy(
    scope: Scope,
    input: {
      policyName?: string | undefined;
      path?: string | undefined;
      description?: string | undefined;
      document?: string | undefined;
    },
  ): Promise<PolicyView> {
    const name = checkName('policyName', input.policyName, 128);
    const path = checkPath('path', input.path);
    const document = this.#checkDocument(input.document, POLICY_SIZE_LIMITS.managedPolicy);
    if (builtinPolicies.has(name) && builtinPolicies.get(name)?.origin !== 'role') {
      throw new CofferError(
        'EntityAlreadyExists',
        `A policy called ${name} already exists (built in). Duplicate names are not allowed.`,
      );
    }
    if (input.description !== undefined && input.description.length > 1000) {
      throw new CofferError('ValidationError', 'Description must be at most 1000 characters.');
    }
    const p = await this.#store.createPolicy({
      tenantId: scope.tenantId,
      id: generateEntityId('ANPA'),
      name,
      path,
      arn: policyArn(scope.accountId, path, name),
      ...(input.description === undefined || input.description === ''
        ? {}
        : { description: input.description }),
      document,
      createdAt: this.#now(),
    });
    await this.#changed(scope);
    return this.#localView(p);
  }

  async deletePolicy(scope: Scope, arn: string | undefined): Promise<void> {
    const p = await this.resolvePolicy(scope, arn);
    if (p.builtin !== undefined || p.policyId === undefined) this.#immutable(p);
    await this.#store.deletePolicy(scope.tenantId, p.policyId);
    await this.#changed(scope);
  }

  /** ListPolicies: Scope All | AWS | Local, OnlyAttached, PathPrefix, paged by name. */
  async listPolicies(
    scope: Scope,
    req: PageRequest & { scope?: string | undefined; onlyAttached?: boolean },
  ): Promise<Page<PolicyView>> {
    const which = req.scope === undefined || req.scope === '' ? 'All' : req.scope;
    if (which !== 'All' && which !== 'AWS' && which !== 'Local') {
      throw new CofferError('ValidationError', `Invalid Scope '${which}': it must be All, AWS or Local.`);
    }
    const limit = checkMaxItems(req.maxItems);
    const after = decodeMarker(req.marker)?.toLowerCase();
    const prefix = checkPathPrefix(req.pathPrefix);
    const views: PolicyView[] = [];
    for (const b of builtinPolicies.values()) {
      if (b.origin === 'role') continue;
      if ((b.origin === 'aws' && which === 'Local') || (b.origin === 'weka' && which === 'AWS')) continue;
      if (after !== undefined && b.name.toLowerCase() <= after) continue;
      if (prefix !== undefined && !'/'.startsWith(prefix)) continue;
      const arn =
        b.origin === 'aws' ? `arn:aws:iam::aws:policy/${b.name}` : policyArn(scope.accountId, '/', b.name);
      const v = await this.#builtinView(scope, arn, b.name, b.origin, b.description);
      if (req.onlyAttached && v.attachmentCount === 0) continue;
      views.push(v);
    }
    if (which !== 'AWS') {
      const local = await this.#store.listPolicies(scope.tenantId, {
        limit: limit + 1,
        ...(after === undefined ? {} : { after }),
        ...(prefix === undefined ? {} : { pathPrefix: prefix }),
        ...(req.onlyAttached ? { onlyAttached: true } : {}),
      });
      views.push(...local.map((p) => this.#localView(p)));
    }
    views.sort((a, b) =>
      a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0,
    );
    if (views.length <= limit) return { items: views, isTruncated: false };
    const items = views.slice(0, limit);
    return { items, isTruncated: true, marker: encodeMarker(items[items.length - 1]?.name ?? '') };
  }

  async #versions(p: PolicyView): Promise<PolicyVersionRecord[]> {
    if (p.policyId !== undefined) return this.#store.listPolicyVersions(p.policyId);
    const b = builtinPolicies.get(p.name);
    return b ? [{ versionId: 'v1', document: b.text, isDefault: true, createdAt: BUILTIN_DATE }] : [];
  }

  async getPolicyVersion(
    scope: Scope,
    arn: string | undefined,
    versionId: string | undefined,
  ): Promise<PolicyVersionRecord> {
    const p = await this.resolvePolicy(scope, arn);
    const v = (await this.#versions(p)).find((x) => x.versionId === versionId);
    if (!v)
      throw new CofferError(
        'NoSuchEntity',
        `Policy ${p.arn} version ${versionId ?? ''} does not exist or is not attachable.`,
      );
    return v;
  }

  async listPolicyVersions(scope: Scope, arn: string | undefined): Promise<PolicyVersionRecord[]> {
    return this.#versions(await this.resolvePolicy(scope, arn));
  }

  async createPolicyVersion(
    scope: Scope,
    arn: string | undefined,
    document: string | undefined,
    setAsDefault: boolean,
  ): Promise<PolicyVersionRecord> {
    const p = await this.resolvePolicy(scope, arn);
    if (p.policyId === undefined) this.#immutable(p);
    const doc = this.#checkDocument(document, POLICY_SIZE_LIMITS.managedPolicy);
    const v = await this.#store.createPolicyVersion(p.policyId, doc, {
      setAsDefault,
      maxVersions: this.#limits.policyVersions,
      now: this.#now(),
    });
    await this.#changed(scope);
    return v;
  }

  async deletePolicyVersion(
    scope: Scope,
    arn: string | undefined,
    versionId: string | undefined,
  ): Promise<void> {
    const p = await this.resolvePolicy(scope, arn);
    if (p.policyId === undefined) this.#immutable(p);
    if (!(await this.#store.deletePolicyVersion(p.policyId, versionId ?? ''))) {
      throw new CofferError('NoSuchEntity', `Policy ${p.arn} version ${versionId ?? ''} does not exist.`);
    }
    await this.#changed(scope);
  }

  async setDefaultPolicyVersion(
    scope: Scope,
    arn: string | undefined,
    versionId: string | undefined,
  ): Promise<void> {
    const p = await this.resolvePolicy(scope, arn);
    if (p.policyId === undefined) this.#immutable(p);
    if (!(await this.#store.setDefaultPolicyVersion(p.policyId, versionId ?? '', this.#now()))) {
      throw new CofferError('NoSuchEntity', `Policy ${p.arn} version ${versionId ?? ''} does not exist.`);
    }
    await this.#changed(scope);
  }

  /** Default version's document of any policy the caller can see. */
  async policyDocument(
    scope: Scope,
    arn: string | undefined,
  ): Promise<{ view: PolicyView; document: string }> {
    const view = await this.resolvePolicy(scope, arn);
    const v = await this.getPolicyVersion(scope, view.arn, view.defaultVersionId);
    return { view, document: v.document };
  }

  // ---------------------------------------------------------------- attachments and inline policies

  async #target(
    scope: Scope,
    kind: 'user' | 'group',
    name: string | undefined,
  ): Promise<PolicyTarget & { name: string }> {
    if (kind === 'user') {
      const u = await this.requireUser(scope, name);
      return { kind, id: u.id, name: u.name };
    }
    const g = await this.requireGroup(scope, name);
    return { kind, id: g.id, name: g.name };
  }

  async attachPolicy(
    scope: Scope,
    kind: 'user' | 'group',
    name: string | undefined,
    arn: string | undefined,
  ): Promise<void> {
    const t = await this.#target(scope, kind, name);
    const p = await this.resolvePolicy(scope, arn);
    const max = kind === 'user' ? this.#limits.managedPoliciesPerUser : this.#limits.managedPoliciesPerGroup;
    await this.#store.attachPolicy(scope.tenantId, t, p.arn, max);
    await this.#changed(scope);
  }

  async detachPolicy(
    scope: Scope,
    kind: 'user' | 'group',
    name: string | undefined,
    arn: string | undefined,
  ): Promise<void> {
    const t = await this.#target(scope, kind, name);
    const p = await this.resolvePolicy(scope, arn);
    if (!(await this.#store.detachPolicy(scope.tenantId, t, p.arn))) {
      throw new CofferError(
        'NoSuchEntity',
        `Policy ${p.arn} was not found or is not attached to ${kind} ${t.name}.`,
      );
    }
    await this.#changed(scope);
  }

  async listAttachedPolicies(
    scope: Scope,
    kind: 'user' | 'group',
    name: string | undefined,
    req: PageRequest,
  ): Promise<Page<{ name: string; arn: string }>> {
    const t = await this.#target(scope, kind, name);
    const arns = await this.#store.listAttachedPolicies(t);
    const prefix = checkPathPrefix(req.pathPrefix);
    const all = arns
      .map((arn) => {
        const m = ARN.exec(arn);
        return { name: m?.[3] ?? arn, arn, path: m?.[2] ?? '/' };
      })
      .filter((x) => prefix === undefined || x.path.startsWith(prefix))
      .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
    return this.#page({ ...req, pathPrefix: undefined }, (q) =>
      Promise.resolve(
        all
          .filter((x) => q.after === undefined || x.name.toLowerCase() > q.after.toLowerCase())
          .slice(0, q.limit),
      ),
    );
  }

  async putInlinePolicy(
    scope: Scope,
    kind: 'user' | 'group',
    name: string | undefined,
    policyName: string | undefined,
    document: string | undefined,
  ): Promise<void> {
    const t = await this.#target(scope, kind, name);
    const pname = checkName('policyName', policyName, 128);
    const max = kind === 'user' ? POLICY_SIZE_LIMITS.userInlineTotal : POLICY_SIZE_LIMITS.groupInlineTotal;
    const doc = this.#checkDocument(document, max);
    // AWS counts the aggregate size of a principal's inline policies.
    const others = (await this.#store.listInlinePolicies(t)).filter(
      (p) => p.name.toLowerCase() !== pname.toLowerCase(),
    );
    const total = others.reduce((n, p) => n + policySize(p.document), policySize(doc));
    if (total > max) {
      throw new CofferError(
        'LimitExceeded',
        `Maximum policy size of ${max} bytes exceeded for ${kind} ${t.name}.`,
      );
    }
    await this.#store.putInlinePolicy(t, pname, doc);
    await this.#changed(scope);
  }

  async getInlinePolicy(
    scope: Scope,
    kind: 'user' | 'group',
    name: string | undefined,
    policyName: string | undefined,
  ): Promise<{ targetName: string; policyName: string; document: string }> {
    const t = await this.#target(scope, kind, name);
    const p = await this.#store.getInlinePolicy(t, checkName('policyName', policyName, 128));
    if (!p) {
      throw new CofferError(
        'NoSuchEntity',
        `The ${kind} policy with name ${policyName ?? ''} cannot be found.`,
      );
    }
    return { targetName: t.name, policyName: p.name, document: p.document };
  }

  async deleteInlinePolicy(
    scope: Scope,
    kind: 'user' | 'group',
    name: string | undefined,
    policyName: string | undefined,
  ): Promise<void> {
    const t = await this.#target(scope, kind, name);
    if (!(await this.#store.deleteInlinePolicy(t, checkName('policyName', policyName, 128)))) {
      throw new CofferError(
        'NoSuchEntity',
        `The ${kind} policy with name ${policyName ?? ''} cannot be found.`,
      );
    }
    await this.#changed(scope);
  }

  async listInlinePolicies(
    scope: Scope,
    kind: 'user' | 'group',
    name: string | undefined,
    req: PageRequest,
  ): Promise<Page<{ name: string }>> {
    const t = await this.#target(scope, kind, name);
    const all = await this.#store.listInlinePolicies(t);
    return this.#page({ marker: req.marker, maxItems: req.maxItems }, (q) =>
      Promise.resolve(
        all
          .filter((p) => q.after === undefined || p.name.toLowerCase() > q.after.toLowerCase())
          .slice(0, q.limit),
      ),
    );
  }

  // ---------------------------------------------------------------- groups

  async requireGroup(scope: Scope, name: string | undefined): Promise<GroupRecord> {
    const groupName = checkName('groupName', name, 128);
    const g = await this.#store.getGroup(scope.tenantId, groupName);
    if (!g) throw new CofferError('NoSuchEntity', `The group with name ${groupName} cannot be found.`);
    return g;
  }

  async createGroup(
    scope: Scope,
    input: { groupName?: string | undefined; path?: string | undefined },
  ): Promise<GroupRecord> {
    const g: GroupRecord = {
      tenantId: scope.tenantId,
      id: generateEntityId('AGPA'),
      name: checkName('groupName', input.groupName, 128),
      path: checkPath('path', input.path),
      enabled: true,
      createdAt: this.#now(),
    };
    await this.#store.createGroup(g);
    await this.#changed(scope);
    return g;
  }

  async getGroup(
    scope: Scope,
    name: string | undefined,
    req: PageRequest,
  ): Promise<{ group: GroupRecord; users: Page<UserRecord> }> {
    const group = await this.requireGroup(scope, name);
    const users = await this.#page({ marker: req.marker, maxItems: req.maxItems }, (q) =>
      this.#store.listGroupMembers(group.id, q),
    );
    return { group, users };
  }

  listGroups(scope: Scope, req: PageRequest): Promise<Page<GroupRecord>> {
    return this.#page(req, (q) => this.#store.listGroups(scope.tenantId, q));
  }

  async listGroupsForUser(
    scope: Scope,
    userName: string | undefined,
    req: PageRequest,
  ): Promise<Page<GroupRecord>> {
    const u = await this.requireUser(scope, userName);
    return this.#page({ marker: req.marker, maxItems: req.maxItems }, (q) =>
      this.#store.listGroupsForUser(u.id, q),
    );
  }

  /** Rename / move, and the SeaweedFS `Disabled=true|false` extension. */
  async updateGroup(
    scope: Scope,
    name: string | undefined,
    input: { newGroupName?: string | undefined; newPath?: string | undefined; disabled?: string | undefined },
  ): Promise<GroupRecord> {
    const g = await this.requireGroup(scope, name);
    const patch: { name?: string; path?: string; enabled?: boolean } = {};
    if (input.newGroupName !== undefined && input.newGroupName !== '')
      patch.name = checkName('newGroupName', input.newGroupName, 128);
    if (input.newPath !== undefined && input.newPath !== '') patch.path = checkPath('newPath', input.newPath);
    if (input.disabled !== undefined && input.disabled !== '') {
      if (input.disabled !== 'true' && input.disabled !== 'false') {
        throw new CofferError('InvalidInput', "Disabled must be 'true' or 'false'.");
      }
      patch.enabled = input.disabled === 'false';
    }
    const updated = await this.#store.updateGroup(scope.tenantId, g.id, patch);
    await this.#changed(scope);
    return updated;
  }

  async deleteGroup(scope: Scope, name: string | undefined): Promise<void> {
    const g = await this.requireGroup(scope, name);
    await this.#store.deleteGroup(scope.tenantId, g.id);
    await this.#changed(scope);
  }

  async addUserToGroup(
    scope: Scope,
    groupName: string | undefined,
    userName: string | undefined,
  ): Promise<void> {
    const g = await this.requireGroup(scope, groupName);
    const u = await this.requireUser(scope, userName);
    await this.#store.addUserToGroup(g.id, u.id);
    await this.#changed(scope);
  }

  async removeUserFromGroup(
    scope: Scope,
    groupName: string | undefined,
    userName: string | undefined,
  ): Promise<void> {
    const g = await this.requireGroup(scope, groupName);
    const u = await this.requireUser(scope, userName);
    if (!(await this.#store.removeUserFromGroup(g.id, u.id))) {
      throw new CofferError('NoSuchEntity', `The user ${u.name} is not a member of group ${g.name}.`);
    }
    await this.#changed(scope);
  }

  // ---------------------------------------------------------------- account and tenants

  async accountSummary(scope: Scope): Promise<Record<string, number>> {
    const c = await this.#store.accountSummary(scope.tenantId);
    const rootKeys = c.accessKeysOfRoot + (scope.tenantId === DEFAULT_TENANT ? 1 : 0);
    // Key names and quotas as AWS's GetAccountSummary reports them.
    return {
      Users: c.users,
      UsersQuota: 5000,
      Groups: c.groups,
      GroupsQuota: 300,
      Policies: c.policies,
      PoliciesQuota: 1500,
      PolicyVersionsInUse: c.policyVersionsInUse,
      PolicyVersionsInUseQuota: 10000,
      AttachedPoliciesPerUserQuota: this.#limits.managedPoliciesPerUser,
      AttachedPoliciesPerGroupQuota: this.#limits.managedPoliciesPerGroup,
      AccessKeysPerUserQuota: this.#limits.accessKeysPerUser,
      AccountAccessKeysPresent: rootKeys > 0 ? 1 : 0,
      AccountMFAEnabled: 0,
      GroupsPerUserQuota: 10,
      PolicySizeQuota: POLICY_SIZE_LIMITS.managedPolicy,
      GroupPolicySizeQuota: POLICY_SIZE_LIMITS.groupInlineTotal,
      UserPolicySizeQuota: POLICY_SIZE_LIMITS.userInlineTotal,
      VersionsPerPolicyQuota: this.#limits.policyVersions,
      MFADevices: 0,
      MFADevicesInUse: 0,
      ServerCertificates: 0,
      ServerCertificatesQuota: 20,
      Roles: 0,
      RolesQuota: 1000,
      InstanceProfiles: 0,
      InstanceProfilesQuota: 1000,
      Providers: 0,
      ServiceAccounts: c.serviceAccounts,
      AttachedPolicies: c.attachedPolicies,
    };
  }

  /** Creates a tenant (an AWS-style account) with its own root key pair; the secret is returned once. */
  async createTenant(input: {
    tenantName?: string | undefined;
    accountId?: string | undefined;
    accessKeyId?: string | undefined;
    secretAccessKey?: string | undefined;
  }): Promise<{ tenant: TenantRecord; accessKeyId: string; secret: string }> {
    const name = checkName('tenantName', input.tenantName, 64);
    let accountId = input.accountId ?? '';
    if (accountId !== '' && !/^\d{12}$/.test(accountId))
      throw new CofferError('InvalidInput', 'AccountId must be 12 digits.');
    if (accountId === '') accountId = generateAccountId();
    const pair = IamService.checkSuppliedKey(input.accessKeyId, input.secretAccessKey);
    if (pair) await this.#uniqueKeyId(pair.id);
    const secret = pair?.secret ?? generateSecretAccessKey();
    let accessKeyId = pair?.id ?? '';
    const tenant = await this.#store.createTenant(
      { id: `t-${randomBytes(8).toString('hex')}`, name, accountId, createdAt: this.#now() },
      (t) => {
        if (t.seq > MAX_TENANT_SEQ)
          throw new CofferError('LimitExceeded', `Cannot exceed ${MAX_TENANT_SEQ} tenants.`);
        if (accessKeyId === '') accessKeyId = generateAccessKeyId('long-term', t.seq);
        return [
          {
            accessKeyId,
            tenantId: t.id,
            secretCipher: this.#box.seal(secret, accessKeyId),
            status: 'Active',
            kind: 'long-term',
            createdAt: t.createdAt,
          },
        ];
      },
    );
    await this.#changed(tenant.id);
    return { tenant, accessKeyId, secret };
  }

  async listTenants(): Promise<TenantRecord[]> {
    return this.#store.listTenants();
  }

  async deleteTenant(name: string | undefined): Promise<void> {
    const t = await this.#store.getTenantByName(checkName('tenantName', name, 64));
    if (!t) throw new CofferError('NoSuchEntity', `The tenant with name ${name ?? ''} cannot be found.`);
    await this.#store.deleteTenant(t.id);
    await this.#changed(t.id);
  }
}
