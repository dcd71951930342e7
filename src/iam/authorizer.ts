// An Authorizer over the identity cache: the caller's identity policies (narrowed by its boundary
// and service-account policy) decide, through the policy engine. Enough for IAM calls, which have no
// resource policies; the S3 side adds the bucket policy on top (evaluateIdentity is exported for that).
import type { Authorizer } from '../auth/authorize.js';
import type { Principal } from '../auth/principal.js';
import type { AuthorizationRequest, Decision } from '../auth/types.js';
import { evaluate } from '../policy/index.js';
import type { EvalRequest, PolicyRef } from '../policy/index.js';
import type { IdentityCache } from './identity-cache.js';

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
    principal: { arn: p.arn, account: p.accountId },
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

/** Root may do everything in its own tenant; users are decided by their policies; anonymous by nothing. */
export function createIdentityAuthorizer(cache: IdentityCache): Authorizer {
  return (request): Decision => {
    const p = request.principal;
    if (p.kind === 'root')
      return { effect: 'allow', reason: 'the account root is allowed every action in its account' };
    const req = identityEvalRequest(cache, request);
    if (!req) return { effect: 'implicitDeny', reason: 'no identity policies apply to this principal' };
    return evaluate(req);
  };
}
