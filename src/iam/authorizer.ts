// The Authorizer over the identity cache: the caller's identity policies (narrowed by its boundary
// and service-account policy) and, for S3, the resource's side (owning tenant and bucket policy)
// decide through the policy engine, with AWS's same-account / cross-account / anonymous rules.
import type { Principal } from '../auth/principal.js';
import type { AuthorizationRequest, Decision } from '../auth/types.js';
import { evaluate, parsePolicy } from '../policy/index.js';
import type { EvalRequest, PolicyRef } from '../policy/index.js';
import type { IdentityCache } from './identity-cache.js';

/**
 * The resource's side of a decision: the tenant that owns it (a bucket's tenant) and its own
 * policy (the bucket policy, compiled once by the caller). Absent for IAM calls and for S3
 * requests that name no existing bucket (ListBuckets, CreateBucket): the caller's own account.
 */
export interface ResourceSide {
  tenantId: string;
  policy?: PolicyRef;
}

/** An Authorizer that also takes the resource's side (the S3 surface always passes it). */
export type ResourceAuthorizer = (request: AuthorizationRequest, resource?: ResourceSide) => Decision;

/** Principal-derived condition keys (aws:PrincipalTag/…, aws:username …) merged under the request's own. */
export function principalContext(cache: IdentityCache, principal: Principal): Record<string, string> {
  const out: Record<string, string> = {};
  if (principal.kind === 'anonymous') return out;
  out['aws:PrincipalAccount'] = principal.accountId;
  out['aws:PrincipalArn'] = principal.arn;
  if (principal.kind === 'root') {
    out['aws:userid'] = principal.accountId;
    out['aws:PrincipalType'] = 'Account';
    return out;
  }
  out['aws:userid'] = principal.userId;
  out['aws:username'] = principal.userName;
  out['aws:PrincipalType'] = 'User';
  for (const t of cache.policiesFor(principal)?.tags ?? []) out[`aws:PrincipalTag/${t.key}`] = t.value;
  return out;
}

/** Builds the engine's request for a principal's identity side; undefined when it has no policies (unknown user). */
export function identityEvalRequest(
  cache: IdentityCache,
  request: AuthorizationRequest,
  extra: { resourcePolicy?: PolicyRef; resourceAccount?: string } = {},
): EvalRequest | undefined {
  const p = request.principal;
  if (p.kind === 'anonymous' || p.kind === 'root') return undefined;
  const pol = cache.policiesFor(p);
  if (!pol) return undefined;
  const req: EvalRequest = {
    principal: {
      arn: p.arn,
      account: p.accountId,
      // A bucket policy naming the role matches its sessions (AWS).
      ...(p.kind === 'session' && p.roleArn !== undefined ? { roleArn: p.roleArn } : {}),
    },
    action: request.action,
    resource: request.resource,
    context: { ...principalContext(cache, p), ...request.context },
    identityPolicies: pol.identityPolicies,
    sessionPolicies: pol.sessionPolicies,
    ...extra,
  };
  if (pol.permissionsBoundary) req.permissionsBoundary = pol.permissionsBoundary;
  return req;
}

/**
 * The account root's identity side: everything, but only in its own account. Expressed as a policy
 * so that cross-account requests and bucket-policy Denies go through the engine like anyone's.
 */
const ROOT_POLICY: PolicyRef = {
  id: 'account root',
  policy: parsePolicy(
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    {
      kind: 'identity',
    },
  ),
};

/**
 * "The root user of the bucket owner's account can always perform GetBucketPolicy,
 * PutBucketPolicy and DeleteBucketPolicy, even if the bucket policy denies it" (AWS, "Bucket
 * policy examples" / re:Post "I accidentally denied everyone access to my bucket"): the way out of
 * a policy that locks everyone out.
 */
const ROOT_ALWAYS = new Set(['s3:getbucketpolicy', 's3:putbucketpolicy', 's3:deletebucketpolicy']);

/** A tenant id the cache does not know is never anyone's account: cross-account for every caller. */
const unknownAccount = (tenantId: string): string => `tenant:${tenantId}`;

/**
 * Root may do everything in its own tenant (unless its bucket policy denies it); users are decided
 * by their policies and the bucket policy; anonymous callers by the bucket policy alone (AWS:
 * anonymous access is granted only by a resource policy whose Principal is "*").
 */
export function createIdentityAuthorizer(cache: IdentityCache): ResourceAuthorizer {
  return (request: AuthorizationRequest, resource?: ResourceSide): Decision => {
    const p = request.principal;
    const resourceAccount =
      resource === undefined
        ? undefined
        : (cache.tenant(resource.tenantId)?.accountId ?? unknownAccount(resource.tenantId));
    const resourcePolicy = resource?.policy;
    // The root's common case (own bucket, no bucket policy) needs no condition context: build it
    // only for the engine (the request's context may itself be computed on first access).
    if (
      p.kind === 'root' &&
      (resourceAccount === undefined || resourceAccount === p.accountId) &&
      (resourcePolicy === undefined || ROOT_ALWAYS.has(request.action.toLowerCase()))
    ) {
      return { effect: 'allow', reason: 'the account root is allowed every action in its account' };
    }
    // A bucket policy is read and changed only by identities of the bucket owner's account, whatever
    // any policy says (AWS: others get 405 for Get/Put/DeleteBucketPolicy): else a bucket policy
    // granting "Principal": "*" the action s3:* would hand the policy itself to anyone.
    if (
      resourceAccount !== undefined &&
      ROOT_ALWAYS.has(request.action.toLowerCase()) &&
      (p.kind === 'anonymous' || p.accountId !== resourceAccount)
    ) {
      return {
        effect: 'implicitDeny',
        reason: "only identities of the bucket owner's account may read or change its bucket policy",
      };
    }
    const context =
      resourceAccount === undefined
        ? request.context
        : {
            ...request.context,
            'aws:ResourceAccount': resourceAccount,
            's3:ResourceAccount': resourceAccount,
          };

    if (p.kind === 'anonymous') {
      if (resourcePolicy === undefined) {
        return { effect: 'implicitDeny', reason: 'anonymous requests are allowed only by a bucket policy' };
      }
      return evaluate({
        principal: { arn: '*', account: '', anonymous: true },
        action: request.action,
        resource: request.resource,
        ...(resourceAccount !== undefined ? { resourceAccount } : {}),
        context,
        identityPolicies: [],
        resourcePolicy,
      });
    }

    if (p.kind === 'root') {
      return evaluate({
        principal: { arn: p.arn, account: p.accountId },
        action: request.action,
        resource: request.resource,
        ...(resourceAccount !== undefined ? { resourceAccount } : {}),
        context: { ...principalContext(cache, p), ...context },
        identityPolicies: [ROOT_POLICY],
        ...(resourcePolicy !== undefined ? { resourcePolicy } : {}),
      });
    }

    const req = identityEvalRequest(
      cache,
      { ...request, context },
      {
        ...(resourcePolicy !== undefined ? { resourcePolicy } : {}),
        ...(resourceAccount !== undefined ? { resourceAccount } : {}),
      },
    );
    if (!req) return { effect: 'implicitDeny', reason: 'no identity policies apply to this principal' };
    return evaluate(req);
  };
}
