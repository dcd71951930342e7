// The IAM query API, one table row per action: which resource the action is authorised on (and
// whether the seed's self-service rule applies), and what it does. `handleIamAction` is pure of
// HTTP: (principal, form parameters) → { status, xml }. Authorisation happens here, once, before
// any row runs; rows never authorise themselves.
import type { Authorizer } from '../../auth/authorize.js';
import type { Decision } from '../../auth/types.js';
import type { Principal } from '../../auth/principal.js';
import { errorCatalogue } from '../../errors/codes.js';
import { CofferError, isCofferError } from '../../errors/error.js';
import type { IamTag } from '../../meta/iam-ports.js';
import { evaluate, parsePolicy } from '../../policy/index.js';
import type { EvalRequest, PolicyRef } from '../../policy/index.js';
import { principalContext } from '../authorizer.js';
import type { IdentityCache } from '../identity-cache.js';
import { DEFAULT_TENANT, policyArn, type IamService, type KeyOwner, type Scope } from '../service.js';
import { checkMaxItems } from '../validate.js';
import {
  el,
  encodeDocument,
  errorResponse,
  esc,
  groupXml,
  isoDate,
  keyMetadataXml,
  members,
  paging,
  policyXml,
  response,
  serviceAccountXml,
  tagsXml,
  userXml,
  versionXml,
} from './xml.js';

export interface IamApiDeps {
  iam: IamService;
  cache: IdentityCache;
  authorize: Authorizer;
}

type Caller = Exclude<Principal, { kind: 'anonymous' }>;

interface Call {
  deps: IamApiDeps;
  principal: Caller;
  scope: Scope;
  params: URLSearchParams;
  /** Condition keys of the request (aws:SourceIp, aws:SecureTransport, aws:CurrentTime …). */
  context: Record<string, string>;
  p(name: string): string | undefined;
}

interface Authz {
  resource: string;
  /** The seed's self-service rule: a user acting on itself needs no grant (an explicit deny still wins). */
  self?: boolean;
}

interface ActionSpec {
  authz(c: Call): Authz | Promise<Authz>;
  /** The inner XML of `<ActionResult>`, or undefined for actions whose reply has no result. */
  run(c: Call): Promise<string | undefined>;
}

// ------------------------------------------------------------------ parameter helpers

/** `Name.member.N` values in N order. */
function memberList(params: URLSearchParams, name: string): string[] {
  const out: [number, string][] = [];
  const prefix = `${name}.member.`;
  for (const [k, v] of params) {
    if (!k.startsWith(prefix)) continue;
    const n = Number(k.slice(prefix.length));
    if (Number.isInteger(n) && n > 0) out.push([n, v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** `Name.member.N.Field` structures in N order. */
function memberStructs(params: URLSearchParams, name: string): Map<string, string>[] {
  const byIndex = new Map<number, Map<string, string>>();
  const prefix = `${name}.member.`;
  for (const [k, v] of params) {
    if (!k.startsWith(prefix)) continue;
    const rest = k.slice(prefix.length);
    const dot = rest.indexOf('.');
    const n = Number(rest.slice(0, dot));
    if (dot < 0 || !Number.isInteger(n) || n < 1) continue;
    const m = byIndex.get(n) ?? new Map<string, string>();
    m.set(rest.slice(dot + 1), v);
    byIndex.set(n, m);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
}

function tagsParam(params: URLSearchParams): IamTag[] {
  return memberStructs(params, 'Tags').map((m) => {
    const key = m.get('Key');
    if (key === undefined || key === '') throw new CofferError('InvalidInput', 'Every tag needs a Key.');
    return { key, value: m.get('Value') ?? '' };
  });
}

const page = (c: Call) => ({
  marker: c.p('Marker'),
  maxItems: c.p('MaxItems'),
  pathPrefix: c.p('PathPrefix'),
});
const arnOf = (c: Call, kind: 'user' | 'group', path: string, name: string) =>
  `arn:aws:iam::${c.scope.accountId}:${kind}${path}${name}`;

/** A named user's ARN (path from the cache), and whether it is the caller itself. */
function userTarget(c: Call, name: string | undefined): Authz & { owner: KeyOwner } {
  if (name === undefined || name === '') {
    // No UserName: the caller itself (AWS: "determined implicitly from the access key signing the request").
    if (c.principal.kind === 'root') return { resource: c.principal.arn, owner: { root: true } };
    return {
      resource: c.principal.arn,
      owner: { userName: c.principal.userName },
      self: c.principal.kind === 'user',
    };
  }
  const u = c.deps.cache.user(c.scope.tenantId, name);
  const self = c.principal.kind === 'user' && u !== undefined && u.id === c.principal.userId;
  return { resource: arnOf(c, 'user', u?.path ?? '/', u?.name ?? name), owner: { userName: name }, self };
}

const userOnly = (c: Call): Authz => ({ resource: userTarget(c, c.p('UserName')).resource });
const groupTarget = (c: Call): Authz => {
  const name = c.p('GroupName') ?? '';
  const g = c.deps.cache.group(c.scope.tenantId, name);
  return { resource: arnOf(c, 'group', g?.path ?? '/', g?.name ?? name) };
};
/** Policy ARN with the empty account (SeaweedFS spelling) read as the caller's. */
const policyTarget = (c: Call): Authz => ({
  resource: (c.p('PolicyArn') ?? '').replace(/^arn:aws:iam:::/, `arn:aws:iam::${c.scope.accountId}:`),
});
const everything = (c: Call, kind: string): Authz => ({
  resource: `arn:aws:iam::${c.scope.accountId}:${kind}/*`,
});

const MANAGED_POLICY_ATTACHMENT = /^(Attach|Detach)(User|Group|Role)Policy$/;

/**
 * The IAM condition keys of a call (AWS Service Authorization Reference, IAM): what the call asks
 * for (the managed policy it attaches or detaches, the boundary it sets, the tags it adds or
 * removes) and what its target user carries (its tags, its current boundary). Without them a Deny
 * conditioned on them never applied, so a user allowed iam:AttachUserPolicy "except IAMFullAccess"
 * could attach IAMFullAccess to itself; and an Allow conditioned on them never matched.
 */
function iamConditionKeys(c: Call, action: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const sameAccount = (arn: string) => arn.replace(/^arn:aws:iam:::/, `arn:aws:iam::${c.scope.accountId}:`);
  const policyArn = c.p('PolicyArn');
  if (policyArn !== undefined && MANAGED_POLICY_ATTACHMENT.test(action))
    out['iam:PolicyARN'] = sameAccount(policyArn);
  const userName = c.p('UserName');
  const target = userName === undefined ? undefined : c.deps.cache.user(c.scope.tenantId, userName);
  if (target !== undefined) {
    for (const t of target.tags) {
      out[`aws:ResourceTag/${t.key}`] = t.value;
      out[`iam:ResourceTag/${t.key}`] = t.value;
    }
    if (target.permissionsBoundary !== undefined) out['iam:PermissionsBoundary'] = target.permissionsBoundary;
  }
  // The boundary being set is the one a condition judges (CreateUser, PutUserPermissionsBoundary).
  const boundary = c.p('PermissionsBoundary');
  if (boundary !== undefined) out['iam:PermissionsBoundary'] = sameAccount(boundary);
  const tagKeys: string[] = [];
  for (const m of memberStructs(c.params, 'Tags')) {
    const key = m.get('Key');
    if (key === undefined) continue;
    out[`aws:RequestTag/${key}`] = m.get('Value') ?? '';
    tagKeys.push(key);
  }
  tagKeys.push(...memberList(c.params, 'TagKeys'));
  if (tagKeys.length > 0) out['aws:TagKeys'] = tagKeys;
  return out;
}

/**
 * Self-service needs no grant, but a permissions boundary still caps it: an administrator who
 * bounded a user to, say, s3:* has not let it mint keys. True when the principal has no boundary.
 */
function boundaryAllows(
  cache: IdentityCache,
  principal: Caller,
  action: string,
  resource: string,
  context: Record<string, string | string[]>,
): boolean {
  const boundary = cache.policiesFor(principal)?.permissionsBoundary;
  if (boundary === undefined) return true;
  return (
    evaluate({
      principal: { arn: principal.arn, account: principal.accountId },
      action,
      resource,
      context,
      identityPolicies: [boundary],
    }).effect === 'allow'
  );
}

const keyOwner = (c: Call): KeyOwner => userTarget(c, c.p('UserName')).owner;
const ownerName = (o: KeyOwner): string | undefined => ('root' in o ? undefined : o.userName);

// ------------------------------------------------------------------ simulation

function simulate(
  c: Call,
  policies: { identity: PolicyRef[]; boundary?: PolicyRef; session: PolicyRef[] },
  principalArn: string,
): string {
  const actions = memberList(c.params, 'ActionNames');
  if (actions.length === 0)
    throw new CofferError('ValidationError', 'ActionNames must name at least one action.');
  const resources = memberList(c.params, 'ResourceArns');
  const context: Record<string, string | string[]> = {};
  for (const e of memberStructs(c.params, 'ContextEntries')) {
    const name = e.get('ContextKeyName');
    if (name === undefined) continue;
    const values = [...e.entries()]
      .filter(([k]) => k.startsWith('ContextKeyValues.member.'))
      .sort((a, b) => Number(a[0].split('.')[2]) - Number(b[0].split('.')[2]))
      .map(([, v]) => v);
    context[name] = (e.get('ContextKeyType') ?? '').endsWith('List') ? values : (values[0] ?? '');
  }
  let resourcePolicy: PolicyRef | undefined;
  const rp = c.p('ResourcePolicy');
  if (rp !== undefined && rp !== '')
    resourcePolicy = { policy: parsePolicy(rp, { kind: 'resource' }), id: 'ResourcePolicy' };
  const results: string[] = [];
  for (const action of actions) {
    for (const resource of resources.length > 0 ? resources : ['*']) {
      const req: EvalRequest = {
        principal: { arn: principalArn, account: c.scope.accountId },
        action,
        resource,
        context,
        identityPolicies: policies.identity,
        sessionPolicies: policies.session,
        ...(policies.boundary ? { permissionsBoundary: policies.boundary } : {}),
        ...(resourcePolicy ? { resourcePolicy } : {}),
      };
      const d = evaluate(req);
      const decision = d.effect === 'allow' ? 'allowed' : d.effect;
      const matched = d.statement
        ? members(
            'MatchedStatements',
            [d.statement],
            (s) =>
              el('SourcePolicyId', s.policy) +
              el('SourcePolicyType', s.policy === 'ResourcePolicy' ? 'resource' : 'IAM Policy'),
          )
        : '<MatchedStatements/>';
      results.push(
        `<member>${el('EvalActionName', action)}${el('EvalResourceName', resource)}${el('EvalDecision', decision)}` +
          `${matched}<MissingContextValues/></member>`,
      );
    }
  }
  return `<EvaluationResults>${results.join('')}</EvaluationResults>${el('IsTruncated', false)}`;
}

function inputPolicies(c: Call, list: string): PolicyRef[] {
  return memberList(c.params, list).map((doc, i) => c.deps.cache.compile(doc, `PolicyInputList.${i + 1}`));
}

// ------------------------------------------------------------------ the table

/**
 * The seven actions on a user's or a group's own policies (inline: Put/Get/Delete/List…Policy;
 * managed: Attach/Detach/ListAttached…Policies), which differ only in the target's kind, its
 * parameter and how its resource is named.
 */
function policiesOf(kind: 'user' | 'group'): Record<string, ActionSpec> {
  const Kind = kind === 'user' ? 'User' : 'Group';
  const nameParam = `${Kind}Name`;
  const authz = kind === 'user' ? userOnly : groupTarget;
  const target = (c: Call): string | undefined => c.p(nameParam);
  return {
    [`Put${Kind}Policy`]: {
      authz,
      async run(c) {
        await c.deps.iam.putInlinePolicy(c.scope, kind, target(c), c.p('PolicyName'), c.p('PolicyDocument'));
        return undefined;
      },
    },
    [`Get${Kind}Policy`]: {
      authz,
      async run(c) {
        const r = await c.deps.iam.getInlinePolicy(c.scope, kind, target(c), c.p('PolicyName'));
        return (
          el(nameParam, r.targetName) +
          el('PolicyName', r.policyName) +
          el('PolicyDocument', encodeDocument(r.document))
        );
      },
    },
    [`Delete${Kind}Policy`]: {
      authz,
      async run(c) {
        await c.deps.iam.deleteInlinePolicy(c.scope, kind, target(c), c.p('PolicyName'));
        return undefined;
      },
    },
    [`List${Kind}Policies`]: {
      authz,
      async run(c) {
        const r = await c.deps.iam.listInlinePolicies(c.scope, kind, target(c), page(c));
        return members('PolicyNames', r.items, (x) => esc(x.name)) + paging(r);
      },
    },
    [`Attach${Kind}Policy`]: {
      authz,
      async run(c) {
        await c.deps.iam.attachPolicy(c.scope, kind, target(c), c.p('PolicyArn'));
        return undefined;
      },
    },
    [`Detach${Kind}Policy`]: {
      authz,
      async run(c) {
        await c.deps.iam.detachPolicy(c.scope, kind, target(c), c.p('PolicyArn'));
        return undefined;
      },
    },
    [`ListAttached${Kind}Policies`]: {
      authz,
      async run(c) {
        const r = await c.deps.iam.listAttachedPolicies(c.scope, kind, target(c), page(c));
        return (
          members('AttachedPolicies', r.items, (x) => el('PolicyName', x.name) + el('PolicyArn', x.arn)) +
          paging(r)
        );
      },
    },
  };
}

const requireDefaultTenant = (c: Call, name: string | undefined): Authz => {
  if (c.principal.tenantId !== DEFAULT_TENANT) {
    throw new CofferError('AccessDenied', 'Only principals of the default tenant can manage tenants.');
  }
  return { resource: `arn:aws:iam::${c.scope.accountId}:tenant/${name ?? '*'}` };
};

export const actions: Readonly<Record<string, ActionSpec>> = {
  // --- users ---
  CreateUser: {
    authz: userOnly,
    async run(c) {
      const u = await c.deps.iam.createUser(c.scope, {
        userName: c.p('UserName'),
        path: c.p('Path'),
        tags: tagsParam(c.params),
        permissionsBoundary: c.p('PermissionsBoundary'),
      });
      return `<User>${userXml(c.scope, u, true)}</User>`;
    },
  },
  GetUser: {
    authz: (c) => userTarget(c, c.p('UserName')),
    async run(c) {
      const t = userTarget(c, c.p('UserName'));
      if ('root' in t.owner) {
        const tenant = c.deps.cache.tenant(c.scope.tenantId);
        return (
          `<User>${el('UserId', c.scope.accountId)}${el('Arn', `arn:aws:iam::${c.scope.accountId}:root`)}` +
          `${el('CreateDate', isoDate(tenant?.createdAt ?? new Date(0)))}</User>`
        );
      }
      const u = await c.deps.iam.requireUser(c.scope, t.owner.userName);
      return `<User>${userXml(c.scope, u, true)}</User>`;
    },
  },
  UpdateUser: {
    authz: userOnly,
    async run(c) {
      await c.deps.iam.updateUser(c.scope, c.p('UserName'), {
        newUserName: c.p('NewUserName'),
        newPath: c.p('NewPath'),
      });
      return undefined;
    },
  },
  DeleteUser: {
    authz: userOnly,
    async run(c) {
      await c.deps.iam.deleteUser(c.scope, c.p('UserName'));
      return undefined;
    },
  },
  ListUsers: {
    authz: (c) => everything(c, 'user'),
    async run(c) {
      const r = await c.deps.iam.listUsers(c.scope, page(c));
      return members('Users', r.items, (u) => userXml(c.scope, u, false)) + paging(r);
    },
  },
  SetUserStatus: {
    authz: userOnly,
    async run(c) {
      await c.deps.iam.setUserStatus(c.scope, c.p('UserName'), c.p('Status'));
      return undefined;
    },
  },
  // Extension (PRODUCT.md §2): a user's role — Reader, Writer or SuperUser — is shorthand for a
  // built-in policy evaluated by the engine like any other; `None` removes it.
  SetUserRole: {
    authz: userOnly,
    async run(c) {
      const role = c.p('Role');
      if (role !== 'Reader' && role !== 'Writer' && role !== 'SuperUser' && role !== 'None') {
        throw new CofferError('ValidationError', 'Role must be one of Reader, Writer, SuperUser or None.');
      }
      await c.deps.iam.setUserAttributes(c.scope, c.p('UserName') ?? '', {
        role: role === 'None' ? null : role,
      });
      return undefined;
    },
  },
  TagUser: {
    authz: userOnly,
    async run(c) {
      await c.deps.iam.tagUser(c.scope, c.p('UserName'), tagsParam(c.params));
      return undefined;
    },
  },
  UntagUser: {
    authz: userOnly,
    async run(c) {
      const keys = memberList(c.params, 'TagKeys');
      if (keys.length === 0) throw new CofferError('InvalidInput', 'At least one TagKeys entry is required.');
      await c.deps.iam.untagUser(c.scope, c.p('UserName'), keys);
      return undefined;
    },
  },
  ListUserTags: {
    authz: userOnly,
    async run(c) {
      const u = await c.deps.iam.requireUser(c.scope, c.p('UserName'));
      return tagsXml(u.tags) + el('IsTruncated', false);
    },
  },
  PutUserPermissionsBoundary: {
    authz: userOnly,
    async run(c) {
      await c.deps.iam.putUserPermissionsBoundary(c.scope, c.p('UserName'), c.p('PermissionsBoundary'));
      return undefined;
    },
  },
  DeleteUserPermissionsBoundary: {
    authz: userOnly,
    async run(c) {
      await c.deps.iam.deleteUserPermissionsBoundary(c.scope, c.p('UserName'));
      return undefined;
    },
  },

  // --- access keys (self-service) ---
  CreateAccessKey: {
    authz: (c) => userTarget(c, c.p('UserName')),
    async run(c) {
      const { key, secret, userName } = await c.deps.iam.createAccessKey(c.scope, keyOwner(c), {
        accessKeyId: c.p('AccessKeyId'),
        secretAccessKey: c.p('SecretAccessKey'),
      });
      return (
        `<AccessKey>${el('UserName', userName)}${el('AccessKeyId', key.accessKeyId)}${el('Status', key.status)}` +
        `${el('SecretAccessKey', secret)}${el('CreateDate', isoDate(key.createdAt))}</AccessKey>`
      );
    },
  },
  DeleteAccessKey: {
    authz: (c) => userTarget(c, c.p('UserName')),
    async run(c) {
      await c.deps.iam.deleteAccessKey(c.scope, keyOwner(c), c.p('AccessKeyId'));
      return undefined;
    },
  },
  UpdateAccessKey: {
    authz: (c) => userTarget(c, c.p('UserName')),
    async run(c) {
      await c.deps.iam.updateAccessKey(c.scope, keyOwner(c), c.p('AccessKeyId'), c.p('Status'));
      return undefined;
    },
  },
  ListAccessKeys: {
    authz: (c) => userTarget(c, c.p('UserName')),
    async run(c) {
      const owner = keyOwner(c);
      const { keys, userName } = await c.deps.iam.listAccessKeys(c.scope, owner);
      return (
        el('UserName', userName ?? ownerName(owner)) +
        members('AccessKeyMetadata', keys, (k) => keyMetadataXml(k, userName)) +
        el('IsTruncated', false)
      );
    },
  },
  GetAccessKeyLastUsed: {
    async authz(c) {
      const id = c.p('AccessKeyId') ?? '';
      const ownerId = await c.deps.iam.accessKeyOwner(c.scope, id);
      const u = ownerId === undefined ? undefined : c.deps.cache.userById(c.scope.tenantId, ownerId);
      if (!u) return { resource: `arn:aws:iam::${c.scope.accountId}:root` };
      return {
        resource: arnOf(c, 'user', u.path, u.name),
        self: c.principal.kind === 'user' && u.id === c.principal.userId,
      };
    },
    async run(c) {
      const { key, userName } = await c.deps.iam.getAccessKeyLastUsed(c.scope, c.p('AccessKeyId'));
      const used = key.lastUsed;
      return (
        el('UserName', userName) +
        `<AccessKeyLastUsed>${el('LastUsedDate', used && isoDate(used.date))}${el('ServiceName', used?.service ?? 'N/A')}` +
        `${el('Region', used?.region ?? 'N/A')}</AccessKeyLastUsed>`
      );
    },
  },

  // --- a user's inline and attached policies ---
  ...policiesOf('user'),

  // --- managed policies ---
  CreatePolicy: {
    authz: (c) => ({ resource: policyArn(c.scope.accountId, c.p('Path') || '/', c.p('PolicyName') ?? '') }),
    async run(c) {
      const v = await c.deps.iam.createPolicy(c.scope, {
        policyName: c.p('PolicyName'),
        path: c.p('Path'),
        description: c.p('Description'),
        document: c.p('PolicyDocument'),
      });
      return `<Policy>${policyXml(v)}</Policy>`;
    },
  },
  GetPolicy: {
    authz: policyTarget,
    async run(c) {
      return `<Policy>${policyXml(await c.deps.iam.resolvePolicy(c.scope, c.p('PolicyArn')))}</Policy>`;
    },
  },
  DeletePolicy: {
    authz: policyTarget,
    async run(c) {
      await c.deps.iam.deletePolicy(c.scope, c.p('PolicyArn'));
      return undefined;
    },
  },
  ListPolicies: {
    authz: (c) => everything(c, 'policy'),
    async run(c) {
      const r = await c.deps.iam.listPolicies(c.scope, {
        ...page(c),
        scope: c.p('Scope'),
        onlyAttached: c.p('OnlyAttached') === 'true',
      });
      return members('Policies', r.items, policyXml) + paging(r);
    },
  },
  ListEntitiesForPolicy: {
    authz: policyTarget,
    async run(c) {
      const policy = await c.deps.iam.resolvePolicy(c.scope, c.p('PolicyArn'));
      const filter = c.p('EntityFilter');
      const FILTERS = ['User', 'Group', 'Role', 'LocalManagedPolicy', 'AWSManagedPolicy'];
      if (filter !== undefined && !FILTERS.includes(filter)) {
        throw new CofferError('ValidationError', `EntityFilter must be one of ${FILTERS.join(', ')}.`);
      }
      const prefix = c.p('PathPrefix') ?? '/';
      const found = c.deps.cache.entitiesForPolicy(c.scope.tenantId, policy.arn);
      // One ordered list (groups, then users) paged by position; there are no roles to list.
      const all = [
        ...(filter === undefined || filter === 'Group' ? found.groups : []).map((g) => ({
          kind: 'group',
          e: g,
        })),
        ...(filter === undefined || filter === 'User' ? found.users : []).map((u) => ({
          kind: 'user',
          e: u,
        })),
      ].filter((x) => x.e.path.startsWith(prefix));
      const max = checkMaxItems(c.p('MaxItems'));
      const start = c.p('Marker') === undefined ? 0 : Number(c.p('Marker'));
      if (!Number.isInteger(start) || start < 0) throw new CofferError('InvalidInput', 'Invalid Marker.');
      const items = all.slice(start, start + max);
      const isTruncated = start + max < all.length;
      const entity = (name: string, id: string, Kind: 'User' | 'Group') =>
        `<member>${el(`${Kind}Name`, name)}${el(`${Kind}Id`, id)}</member>`;
      return (
        `<PolicyGroups>${items
          .filter((x) => x.kind === 'group')
          .map((x) => entity(x.e.name, x.e.id, 'Group'))
          .join('')}</PolicyGroups>` +
        `<PolicyUsers>${items
          .filter((x) => x.kind === 'user')
          .map((x) => entity(x.e.name, x.e.id, 'User'))
          .join('')}</PolicyUsers><PolicyRoles/>` +
        paging(isTruncated ? { isTruncated, marker: String(start + max) } : { isTruncated })
      );
    },
  },
  GetPolicyVersion: {
    authz: policyTarget,
    async run(c) {
      const v = await c.deps.iam.getPolicyVersion(c.scope, c.p('PolicyArn'), c.p('VersionId'));
      return `<PolicyVersion>${versionXml(v, true)}</PolicyVersion>`;
    },
  },
  ListPolicyVersions: {
    authz: policyTarget,
    async run(c) {
      const vs = await c.deps.iam.listPolicyVersions(c.scope, c.p('PolicyArn'));
      return members('Versions', vs, (v) => versionXml(v, false)) + el('IsTruncated', false);
    },
  },
  CreatePolicyVersion: {
    authz: policyTarget,
    async run(c) {
      const v = await c.deps.iam.createPolicyVersion(
        c.scope,
        c.p('PolicyArn'),
        c.p('PolicyDocument'),
        c.p('SetAsDefault') === 'true',
      );
      return `<PolicyVersion>${versionXml(v, false)}</PolicyVersion>`;
    },
  },
  DeletePolicyVersion: {
    authz: policyTarget,
    async run(c) {
      await c.deps.iam.deletePolicyVersion(c.scope, c.p('PolicyArn'), c.p('VersionId'));
      return undefined;
    },
  },
  SetDefaultPolicyVersion: {
    authz: policyTarget,
    async run(c) {
      await c.deps.iam.setDefaultPolicyVersion(c.scope, c.p('PolicyArn'), c.p('VersionId'));
      return undefined;
    },
  },
  // --- groups ---
  CreateGroup: {
    authz: groupTarget,
    async run(c) {
      const g = await c.deps.iam.createGroup(c.scope, { groupName: c.p('GroupName'), path: c.p('Path') });
      return `<Group>${groupXml(c.scope, g)}</Group>`;
    },
  },
  GetGroup: {
    authz: groupTarget,
    async run(c) {
      const { group, users } = await c.deps.iam.getGroup(c.scope, c.p('GroupName'), page(c));
      return (
        `<Group>${groupXml(c.scope, group)}</Group>` +
        members('Users', users.items, (u) => userXml(c.scope, u, false)) +
        paging(users)
      );
    },
  },
  ListGroups: {
    authz: (c) => everything(c, 'group'),
    async run(c) {
      const r = await c.deps.iam.listGroups(c.scope, page(c));
      return members('Groups', r.items, (g) => groupXml(c.scope, g)) + paging(r);
    },
  },
  UpdateGroup: {
    authz: groupTarget,
    async run(c) {
      await c.deps.iam.updateGroup(c.scope, c.p('GroupName'), {
        newGroupName: c.p('NewGroupName'),
        newPath: c.p('NewPath'),
        disabled: c.p('Disabled'),
      });
      return undefined;
    },
  },
  DeleteGroup: {
    authz: groupTarget,
    async run(c) {
      await c.deps.iam.deleteGroup(c.scope, c.p('GroupName'));
      return undefined;
    },
  },
  AddUserToGroup: {
    authz: groupTarget,
    async run(c) {
      await c.deps.iam.addUserToGroup(c.scope, c.p('GroupName'), c.p('UserName'));
      return undefined;
    },
  },
  RemoveUserFromGroup: {
    authz: groupTarget,
    async run(c) {
      await c.deps.iam.removeUserFromGroup(c.scope, c.p('GroupName'), c.p('UserName'));
      return undefined;
    },
  },
  ListGroupsForUser: {
    authz: userOnly,
    async run(c) {
      const r = await c.deps.iam.listGroupsForUser(c.scope, c.p('UserName'), page(c));
      return members('Groups', r.items, (g) => groupXml(c.scope, g)) + paging(r);
    },
  },
  // --- a group's inline and attached policies ---
  ...policiesOf('group'),

  // --- service accounts (SeaweedFS extension) ---
  CreateServiceAccount: {
    authz: (c) => ({ resource: userTarget(c, c.p('ParentUser') ?? '').resource }),
    async run(c) {
      const { view, secret } = await c.deps.iam.createServiceAccount(c.scope, {
        parentUser: c.p('ParentUser'),
        description: c.p('Description'),
        name: c.p('Name'),
        expiration: c.p('Expiration'),
        policy: c.p('Policy'),
        accessKeyId: c.p('AccessKeyId'),
        secretAccessKey: c.p('SecretAccessKey'),
      });
      return `<ServiceAccount>${serviceAccountXml(view, secret)}</ServiceAccount>`;
    },
  },
  GetServiceAccount: {
    authz: (c) => everything(c, 'user'),
    async run(c) {
      return `<ServiceAccount>${serviceAccountXml(await c.deps.iam.getServiceAccount(c.scope, c.p('ServiceAccountId')))}</ServiceAccount>`;
    },
  },
  ListServiceAccounts: {
    authz: (c) => everything(c, 'user'),
    async run(c) {
      const list = await c.deps.iam.listServiceAccounts(c.scope, c.p('ParentUser'));
      return members('ServiceAccounts', list, (v) => serviceAccountXml(v)) + el('IsTruncated', false);
    },
  },
  UpdateServiceAccount: {
    authz: (c) => everything(c, 'user'),
    async run(c) {
      const has = (k: string) => c.params.has(k);
      await c.deps.iam.updateServiceAccount(c.scope, c.p('ServiceAccountId'), {
        status: c.p('Status'),
        ...(has('Description') ? { description: c.p('Description') ?? '' } : {}),
        ...(has('Expiration') ? { expiration: c.p('Expiration') ?? '' } : {}),
        ...(has('Policy') ? { policy: c.p('Policy') ?? '' } : {}),
        ...(has('Name') ? { name: c.p('Name') ?? '' } : {}),
      });
      return undefined;
    },
  },
  DeleteServiceAccount: {
    authz: (c) => everything(c, 'user'),
    async run(c) {
      await c.deps.iam.deleteServiceAccount(c.scope, c.p('ServiceAccountId'));
      return undefined;
    },
  },

  // --- account ---
  GetAccountSummary: {
    authz: () => ({ resource: '*' }),
    async run(c) {
      const s = await c.deps.iam.accountSummary(c.scope);
      return `<SummaryMap>${Object.entries(s)
        .map(([k, v]) => `<entry>${el('key', k)}${el('value', v)}</entry>`)
        .join('')}</SummaryMap>`;
    },
  },
  SimulatePrincipalPolicy: {
    authz: (c) => ({ resource: c.p('PolicySourceArn') ?? '*' }),
    async run(c) {
      const source = c.p('PolicySourceArn') ?? '';
      const m = /^arn:aws:iam::(\d{12}):user(\/(?:[\x21-\x7e]*\/)?)([\w+=,.@-]+)$/.exec(source);
      if (!m || m[1] !== c.scope.accountId) {
        throw new CofferError('InvalidInput', `PolicySourceArn ${source} must name a user of this account.`);
      }
      const u = await c.deps.iam.requireUser(c.scope, m[3]);
      const pol = c.deps.cache.userPolicies(c.scope.tenantId, u.id);
      const boundaryDocs = inputPolicies(c, 'PermissionsBoundaryPolicyInputList');
      const boundary = boundaryDocs[0] ?? pol?.permissionsBoundary;
      return simulate(
        c,
        {
          identity: [...(pol?.identityPolicies ?? []), ...inputPolicies(c, 'PolicyInputList')],
          session: [],
          ...(boundary ? { boundary } : {}),
        },
        arnOf(c, 'user', u.path, u.name),
      );
    },
  },
  SimulateCustomPolicy: {
    authz: () => ({ resource: '*' }),
    async run(c) {
      const identity = inputPolicies(c, 'PolicyInputList');
      if (identity.length === 0)
        throw new CofferError('ValidationError', 'PolicyInputList must hold at least one policy.');
      const boundary = inputPolicies(c, 'PermissionsBoundaryPolicyInputList')[0];
      const caller = c.p('CallerArn') ?? `arn:aws:iam::${c.scope.accountId}:user/simulated`;
      return Promise.resolve(
        simulate(c, { identity, session: [], ...(boundary ? { boundary } : {}) }, caller),
      );
    },
  },

  // --- tenants (Coffer extension; default tenant only) ---
  CreateTenant: {
    authz: (c) => requireDefaultTenant(c, c.p('TenantName')),
    async run(c) {
      const r = await c.deps.iam.createTenant({
        tenantName: c.p('TenantName'),
        accountId: c.p('AccountId'),
        accessKeyId: c.p('AccessKeyId'),
        secretAccessKey: c.p('SecretAccessKey'),
      });
      return (
        `<Tenant>${el('TenantName', r.tenant.name)}${el('TenantId', r.tenant.id)}${el('AccountId', r.tenant.accountId)}` +
        `${el('CreateDate', isoDate(r.tenant.createdAt))}</Tenant>` +
        `<AccessKey>${el('AccessKeyId', r.accessKeyId)}${el('Status', 'Active')}${el('SecretAccessKey', r.secret)}` +
        `${el('CreateDate', isoDate(r.tenant.createdAt))}</AccessKey>`
      );
    },
  },
  ListTenants: {
    authz: (c) => requireDefaultTenant(c, undefined),
    async run(c) {
      const ts = await c.deps.iam.listTenants();
      return (
        members(
          'Tenants',
          ts,
          (t) =>
            el('TenantName', t.name) +
            el('TenantId', t.id) +
            el('AccountId', t.accountId) +
            el('CreateDate', isoDate(t.createdAt)),
        ) + el('IsTruncated', false)
      );
    },
  },
  DeleteTenant: {
    authz: (c) => requireDefaultTenant(c, c.p('TenantName')),
    async run(c) {
      await c.deps.iam.deleteTenant(c.p('TenantName'));
      return undefined;
    },
  },
};

export interface IamReply {
  status: number;
  xml: string;
  /** Error code, when the reply is an error (for audit and metrics). */
  errorCode?: string;
  action?: string;
  /** The authorisation decision taken for this call, for audit (absent when refused before deciding). */
  decision?: Decision & { action: string; resource: string };
}

/** Turns any thrown value into the IAM error reply; unknown errors become ServiceFailure. */
export function errorReply(e: unknown, requestId: string): IamReply {
  if (isCofferError(e)) {
    const type = e.status >= 500 ? 'Receiver' : 'Sender';
    return { status: e.status, xml: errorResponse(type, e.code, e.message, requestId), errorCode: e.code };
  }
  return {
    status: 500,
    xml: errorResponse('Receiver', 'ServiceFailure', errorCatalogue.InternalError.message, requestId),
    errorCode: 'ServiceFailure',
  };
}

/**
 * One IAM call: the action's row is looked up, authorised (`iam:<Action>` on its resource, with
 * the self-service rule), then run. Never throws: errors become AWS error replies.
 */
export async function handleIamAction(
  deps: IamApiDeps,
  principal: Principal,
  params: URLSearchParams,
  requestId: string,
  requestContext: Record<string, string> = {},
): Promise<IamReply> {
  const action = params.get('Action') ?? '';
  let decided: Decision | undefined;
  let auditDecision: IamReply['decision'];
  try {
    if (action === '') throw new CofferError('MissingAction', 'Missing Action');
    const spec = Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (!spec) {
      // The caller's text, bounded: it is echoed in the reply.
      const shown = action.length > 128 ? `${action.slice(0, 128)}…` : action;
      throw new CofferError('InvalidAction', `Could not find operation ${shown} for version 2010-05-08`);
    }
    if (principal.kind === 'anonymous') throw new CofferError('AccessDenied', 'IAM requests must be signed.');
    const scope: Scope = { tenantId: principal.tenantId, accountId: principal.accountId };
    const call: Call = {
      deps,
      principal,
      scope,
      params,
      context: { ...principalContext(deps.cache, principal), ...requestContext },
      p: (name) => params.get(name) ?? undefined,
    };
    const authz = await spec.authz(call);
    decided = deps.authorize({
      principal,
      action: `iam:${action}`,
      resource: authz.resource,
      context: { ...call.context, ...iamConditionKeys(call, action) },
    });
    const decision = decided;
    const allowed =
      decision.effect === 'allow' ||
      (decision.effect === 'implicitDeny' &&
        authz.self === true &&
        boundaryAllows(deps.cache, principal, `iam:${action}`, authz.resource, call.context));
    // Self-service (a user managing its own keys) is allowed by the API's rules, not by a statement.
    auditDecision = {
      ...decision,
      ...(allowed && decision.effect !== 'allow' ? { effect: 'allow' as const, reason: 'self-service' } : {}),
      action: `iam:${action}`,
      resource: authz.resource,
    };
    if (!allowed) {
      throw new CofferError(
        'AccessDenied',
        `User: ${principal.arn} is not authorized to perform: iam:${action} on resource: ${authz.resource}` +
          (decision.effect === 'explicitDeny' ? ' with an explicit deny' : ''),
      );
    }
    const result = await spec.run(call);
    return { status: 200, xml: response(action, requestId, result), action, decision: auditDecision };
  } catch (e) {
    // Only names from the action table go on (metrics labels, audit events): an unknown Action is the
    // caller's arbitrary text, and a megabyte of it per request once made /metrics too big to render.
    return {
      ...errorReply(e, requestId),
      ...(Object.hasOwn(actions, action) ? { action } : {}),
      ...(auditDecision ? { decision: auditDecision } : {}),
    };
  }
}
