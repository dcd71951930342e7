// Authorisation: (principal, action, resource, context) → Decision. Until the IAM policy engine is
// wired in (issue 3), the only identity is the root of the default tenant, which may do everything;
// every other principal is implicitly denied. The signature is final: the engine replaces the body.
import type { AuthorizationRequest, Decision } from './types.js';

export type Authorizer = (request: AuthorizationRequest) => Decision;

export const rootOnlyAuthorizer: Authorizer = (request) =>
  request.principal.kind === 'root'
    ? { effect: 'allow', reason: 'account root is allowed every action' }
    : { effect: 'implicitDeny', reason: 'no policy allows this action' };
