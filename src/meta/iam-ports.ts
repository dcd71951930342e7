// The identity store port: tenants, users, groups, access keys, managed and inline policies and
// their attachments. SQLite implements it now (src/meta/sqlite/iam-store.ts), PostgreSQL later:
// async, portable SQL, and every multi-step change (with the check that guards it) is one method, hence one transaction.

export type EntityStatus = 'Active' | 'Inactive';
export type UserRole = 'Reader' | 'Writer' | 'SuperUser';
export type AccessKeyKind = 'long-term' | 'service-account';

export interface IamTag {
  key: string;
  value: string;
}

export interface TenantRecord {
  /** Stable internal id; the default tenant's id is `default`. */
  id: string;
  /** Small sequence number encoded in generated access key ids (default tenant: 0). */
  seq: number;
  /** 12-digit AWS-style account id used in ARNs. */
  accountId: string;
  name: string;
  createdAt: Date;
}

export interface UserRecord {
  tenantId: string;
  /** AIDA… */
  id: string;
  name: string;
  path: string;
  status: EntityStatus;
  tags: IamTag[];
  role?: UserRole;
  passwordHash?: string;
  uid?: number;
  gid?: number;
  /** Policy ARN of the permissions boundary. */
  permissionsBoundary?: string;
  createdAt: Date;
}

/** Fields UpdateUser/SetUserStatus/TagUser/… may change; `null` clears an optional field. */
export interface UserPatch {
  name?: string;
  path?: string;
  status?: EntityStatus;
  tags?: IamTag[];
  role?: UserRole | null;
  passwordHash?: string | null;
  uid?: number | null;
  gid?: number | null;
  permissionsBoundary?: string | null;
}

export interface GroupRecord {
  tenantId: string;
  /** AGPA… */
  id: string;
  name: string;
  path: string;
  /** A disabled group's policies stop applying to its members (SeaweedFS extension). */
  enabled: boolean;
  createdAt: Date;
}

export interface GroupPatch {
  name?: string;
  path?: string;
  enabled?: boolean;
}

export interface ServiceAccountInfo {
  /** Public identifier used by the *ServiceAccount actions. */
  id: string;
  name?: string;
  description?: string;
  /** Optional policy document narrowing the parent's rights. */
  policy?: string;
  expiresAt?: Date;
}

export interface AccessKeyRecord {
  accessKeyId: string;
  tenantId: string;
  /** Owner; undefined for a key of the tenant's root. For a service account: the parent user. */
  userId?: string;
  /** Secret sealed by src/iam/secrets.ts (never the plain secret). */
  secretCipher: string;
  status: EntityStatus;
  kind: AccessKeyKind;
  createdAt: Date;
  lastUsed?: { date: Date; service: string; region: string };
  serviceAccount?: ServiceAccountInfo;
}

export interface AccessKeyPatch {
  status?: EntityStatus;
  description?: string | null;
  name?: string | null;
  policy?: string | null;
  expiresAt?: Date | null;
}

export interface ManagedPolicyRecord {
  tenantId: string;
  /** ANPA… */
  id: string;
  name: string;
  path: string;
  /** Canonical ARN: arn:aws:iam::<account>:policy<path><name>. */
  arn: string;
  description?: string;
  defaultVersionId: string;
  createdAt: Date;
  updatedAt: Date;
  /** Users and groups the policy is attached to. */
  attachmentCount: number;
  /** Users whose permissions boundary it is. */
  boundaryUsageCount: number;
}

export interface PolicyVersionRecord {
  versionId: string;
  document: string;
  isDefault: boolean;
  createdAt: Date;
}

export type PolicyTargetKind = 'user' | 'group';
export interface PolicyTarget {
  kind: PolicyTargetKind;
  /** User or group id. */
  id: string;
}

export interface InlinePolicyRecord {
  name: string;
  document: string;
}

/** Listing: ordered by name (case-insensitively), after the `after` name, at most `limit` rows. */
export interface ListQuery {
  after?: string;
  limit: number;
  pathPrefix?: string;
}

export interface PolicyListQuery extends ListQuery {
  onlyAttached?: boolean;
}

/** Everything the in-memory identity cache needs about one tenant. */
export interface TenantSnapshot {
  tenant: TenantRecord;
  users: UserRecord[];
  groups: GroupRecord[];
  memberships: { groupId: string; userId: string }[];
  keys: AccessKeyRecord[];
  inline: (InlinePolicyRecord & PolicyTarget)[];
  attachments: (PolicyTarget & { policyArn: string })[];
  /** Default version of every local managed policy. */
  policies: { arn: string; name: string; versionId: string; document: string }[];
}

export interface AccountSummaryCounts {
  users: number;
  groups: number;
  policies: number;
  policyVersionsInUse: number;
  accessKeysOfRoot: number;
  attachedPolicies: number;
  serviceAccounts: number;
}

export interface CreatePolicyInput {
  tenantId: string;
  id: string;
  name: string;
  path: string;
  arn: string;
  description?: string;
  document: string;
  createdAt: Date;
}

export interface IdentityStore {
  // --- tenants ---
  listTenants(): Promise<TenantRecord[]>;
  getTenant(id: string): Promise<TenantRecord | undefined>;
  getTenantByName(name: string): Promise<TenantRecord | undefined>;
  /**
   * Assigns the next `seq`; EntityAlreadyExists if the id, name or account id is taken. The root
   * keys (built from the new record, since key ids encode `seq`) go in the same transaction.
   */
  createTenant(
    tenant: Omit<TenantRecord, 'seq'>,
    rootKeys: (tenant: TenantRecord) => AccessKeyRecord[],
  ): Promise<TenantRecord>;
  /** DeleteConflict unless the tenant has no users, groups or policies; removes its root keys. */
  deleteTenant(id: string): Promise<void>;

  // --- users ---
  /** EntityAlreadyExists when the name is taken in the tenant (case-insensitively). */
  createUser(user: UserRecord): Promise<void>;
  getUser(tenantId: string, name: string): Promise<UserRecord | undefined>;
  getUserById(userId: string): Promise<UserRecord | undefined>;
  listUsers(tenantId: string, query: ListQuery): Promise<UserRecord[]>;
  /** EntityAlreadyExists on a rename onto a taken name; NoSuchEntity if gone. */
  updateUser(tenantId: string, userId: string, patch: UserPatch): Promise<UserRecord>;
  /** DeleteConflict while keys, service accounts or policies remain; group memberships are removed. */
  deleteUser(tenantId: string, userId: string): Promise<void>;

  // --- groups ---
  createGroup(group: GroupRecord): Promise<void>;
  getGroup(tenantId: string, name: string): Promise<GroupRecord | undefined>;
  listGroups(tenantId: string, query: ListQuery): Promise<GroupRecord[]>;
  updateGroup(tenantId: string, groupId: string, patch: GroupPatch): Promise<GroupRecord>;
  /** DeleteConflict while it has members or policies. */
  deleteGroup(tenantId: string, groupId: string): Promise<void>;
  /** Idempotent. */
  addUserToGroup(groupId: string, userId: string): Promise<void>;
  /** Resolves false if the user was not a member. */
  removeUserFromGroup(groupId: string, userId: string): Promise<boolean>;
  listGroupMembers(groupId: string, query: ListQuery): Promise<UserRecord[]>;
  listGroupsForUser(userId: string, query: ListQuery): Promise<GroupRecord[]>;

  // --- access keys and service accounts ---
  /**
   * EntityAlreadyExists if the id is taken; LimitExceeded if the owner already has `maxPerOwner`
   * keys of the same kind (checked in the same transaction).
   */
  createAccessKey(key: AccessKeyRecord, limits: { maxPerOwner: number }): Promise<void>;
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  /** Keys of one owner (userId undefined: the tenant's root), of one kind, by creation date. */
  listAccessKeys(
    tenantId: string,
    userId: string | undefined,
    kind: AccessKeyKind,
  ): Promise<AccessKeyRecord[]>;
  getServiceAccount(tenantId: string, serviceAccountId: string): Promise<AccessKeyRecord | undefined>;
  /** All service accounts of a tenant, or of one parent user. */
  listServiceAccounts(tenantId: string, userId?: string): Promise<AccessKeyRecord[]>;
  updateAccessKey(accessKeyId: string, patch: AccessKeyPatch): Promise<void>;
  deleteAccessKey(accessKeyId: string): Promise<boolean>;
  recordAccessKeyUse(
    accessKeyId: string,
    use: { date: Date; service: string; region: string },
  ): Promise<void>;

  // --- managed policies ---
  /** EntityAlreadyExists when the name is taken in the tenant. Creates version v1 as default. */
  createPolicy(input: CreatePolicyInput): Promise<ManagedPolicyRecord>;
  getPolicy(tenantId: string, name: string): Promise<ManagedPolicyRecord | undefined>;
  listPolicies(tenantId: string, query: PolicyListQuery): Promise<ManagedPolicyRecord[]>;
  /** DeleteConflict while attached anywhere or used as a boundary; removes all versions. */
  deletePolicy(tenantId: string, policyId: string): Promise<void>;
  /** LimitExceeded when the policy already has `maxVersions` versions. */
  createPolicyVersion(
    policyId: string,
    document: string,
    options: { setAsDefault: boolean; maxVersions: number; now: Date },
  ): Promise<PolicyVersionRecord>;
  getPolicyVersion(policyId: string, versionId: string): Promise<PolicyVersionRecord | undefined>;
  listPolicyVersions(policyId: string): Promise<PolicyVersionRecord[]>;
  /** DeleteConflict for the default version; resolves false if there is no such version. */
  deletePolicyVersion(policyId: string, versionId: string): Promise<boolean>;
  /** Resolves false if there is no such version. */
  setDefaultPolicyVersion(policyId: string, versionId: string, now: Date): Promise<boolean>;

  // --- attachments and inline policies ---
  /** Idempotent. LimitExceeded when the target already has `maxAttached` policies. */
  attachPolicy(tenantId: string, target: PolicyTarget, policyArn: string, maxAttached: number): Promise<void>;
  /** Resolves false if it was not attached. */
  detachPolicy(tenantId: string, target: PolicyTarget, policyArn: string): Promise<boolean>;
  listAttachedPolicies(target: PolicyTarget): Promise<string[]>;
  countAttachments(tenantId: string, policyArn: string): Promise<number>;
  putInlinePolicy(target: PolicyTarget, name: string, document: string): Promise<void>;
  getInlinePolicy(target: PolicyTarget, name: string): Promise<InlinePolicyRecord | undefined>;
  deleteInlinePolicy(target: PolicyTarget, name: string): Promise<boolean>;
  listInlinePolicies(target: PolicyTarget): Promise<InlinePolicyRecord[]>;

  // --- whole-tenant reads ---
  loadTenantSnapshot(tenantId: string): Promise<TenantSnapshot | undefined>;
  accountSummary(tenantId: string): Promise<AccountSummaryCounts>;

  close(): Promise<void>;
}
