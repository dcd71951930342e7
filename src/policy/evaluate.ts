// Pure policy evaluation: (principal, action, resource, context, policies) → Decision naming the
// deciding statement. Follows AWS "Policy evaluation logic" for one account and cross-account:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
import { splitArn } from './conditions.js';
import type { ContextReader, Pattern } from './pattern.js';
import type {
  CompiledPrincipals,
  CompiledStatement,
  ConditionContext,
  Decision,
  DecidingStatement,
  EvalPrincipal,
  EvalRequest,
  PolicyRef,
} from './types.js';

/** Case-insensitive view of the context; the lower-cased map is built on first use only. */
class LazyContext implements ContextReader {
  private map: Map<string, string | readonly string[]> | undefined;
  constructor(private readonly raw: ConditionContext) {}
  get(lowerKey: string): string | readonly string[] | undefined {
    if (this.map === undefined) {
      this.map = new Map();
      for (const k in this.raw) {
        const v = this.raw[k];
        if (v !== undefined) this.map.set(k.toLowerCase(), v);
      }
    }
    return this.map.get(lowerKey);
  }
}

interface Probe {
  action: string;
  resource: string;
  /** The request ARN split in six, or undefined when it is not an ARN (e.g. `*`). */
  arn: string[] | undefined;
  ctx: ContextReader;
}

function actionMatches(s: CompiledStatement, action: string): boolean {
  let hit = false;
  for (const m of s.actions) {
    if (m(action)) {
      hit = true;
      break;
    }
  }
  return hit !== s.notAction;
}

function resourceMatches(s: CompiledStatement, p: Probe): boolean {
  // Trust policies may omit Resource: the statement then applies to its own resource.
  if (s.resources.length === 0) return true;
  let hit = false;
  let unresolved = false;
  for (const r of s.resources) {
    if (r.all) {
      hit = true;
      break;
    }
    const arn = p.arn;
    if (arn === undefined || arn[0] !== 'arn') continue;
    let ok: boolean | undefined = true;
    for (let i = 0; i < 5 && ok === true; i++) ok = (r.parts[i] as Pattern).test(arn[i + 1] as string, p.ctx);
    if (ok === true) {
      hit = true;
      break;
    }
    if (ok === undefined) unresolved = true;
  }
  // A variable whose key is absent makes the entry match nothing; in NotResource that entry
  // cannot be shown not to match, so the statement does not apply (AWS: the element is false).
  if (s.notResource) return !hit && !unresolved;
  return hit;
}

function conditionsMatch(s: CompiledStatement, ctx: ContextReader): boolean {
  for (const c of s.conditions) if (!c.test(ctx)) return false;
  return true;
}

/** Action, resource and condition all match (principal is checked separately). */
function applies(s: CompiledStatement, p: Probe): boolean {
  return actionMatches(s, p.action) && resourceMatches(s, p) && conditionsMatch(s, p.ctx);
}

const NONE = 0;
/** The principal is named exactly (its ARN, its session ARN, `*`, its service, its canonical id). */
const EXACT = 1;
/** An assumed-role session matched through its role's ARN. */
const ROLE = 2;
/** Matched through its account (`123456789012` or `arn:aws:iam::123456789012:root`). */
const ACCOUNT = 3;
type PrincipalMatch = typeof NONE | typeof EXACT | typeof ROLE | typeof ACCOUNT;

function matchPrincipal(pr: CompiledPrincipals, who: EvalPrincipal, anonymous: boolean): PrincipalMatch {
  if (pr.wildcard) return EXACT;
  if (anonymous) return NONE;
  if (who.service !== undefined) return pr.services.has(who.service.toLowerCase()) ? EXACT : NONE;
  if (pr.arns.has(who.arn)) return EXACT;
  if (who.canonicalUserId !== undefined && pr.canonicalUsers.has(who.canonicalUserId.toLowerCase()))
    return EXACT;
  if (who.roleArn !== undefined && pr.arns.has(who.roleArn)) return ROLE;
  if (pr.accounts.has(who.account)) return ACCOUNT;
  return NONE;
}

/** How a resource-policy statement's Principal/NotPrincipal applies to the caller. */
function statementPrincipal(
  s: CompiledStatement,
  who: EvalPrincipal,
  anonymous: boolean,
  hasBoundary: boolean,
): PrincipalMatch {
  const pr = s.principals;
  if (pr === undefined) return EXACT;
  const m = matchPrincipal(pr, who, anonymous);
  if (!s.notPrincipal) return m;
  // AWS: a Deny with NotPrincipal always denies a principal that has a permissions boundary.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
  if (s.effect === 'Deny' && hasBoundary && !anonymous) return EXACT;
  return m === NONE ? EXACT : NONE;
}

function ref(policy: PolicyRef, s: CompiledStatement): DecidingStatement {
  return {
    policy: policy.id,
    ...(policy.version !== undefined ? { version: policy.version } : {}),
    ...(s.sid !== undefined && s.sid !== '' ? { sid: s.sid } : {}),
    index: s.index,
  };
}

const label = (d: DecidingStatement): string =>
  `${d.policy}${d.version !== undefined ? ` (${d.version})` : ''} statement ${d.sid ?? `#${d.index}`}`;

/** First statement with `effect` that applies, in document order. */
function firstMatch(policy: PolicyRef, effect: 'Allow' | 'Deny', p: Probe): CompiledStatement | undefined {
  for (const s of policy.policy.statements) {
    if (s.effect === effect && applies(s, p)) return s;
  }
  return undefined;
}

/**
 * Decides one request. Order (AWS): an explicit Deny in any applicable policy wins; then an
 * Allow is needed, from identity policies (narrowed by the permissions boundary and by every
 * session / service-account policy) or from the resource policy, per the same-account and
 * cross-account rules; otherwise the implicit deny stands.
 */
export function evaluate(req: EvalRequest): Decision {
  const who = req.principal;
  const anonymous = who.anonymous === true || who.arn === '*';
  const p: Probe = {
    action: req.action.toLowerCase(),
    resource: req.resource,
    arn: splitArn(req.resource),
    ctx: new LazyContext(req.context),
  };
  const boundary = req.permissionsBoundary;
  const hasBoundary = boundary !== undefined;
  const resourcePolicy = req.resourcePolicy;

  // 1. Explicit deny anywhere. Anonymous callers have no identity-side policies (AWS).
  if (!anonymous) {
    for (const pol of req.identityPolicies) {
      const s = firstMatch(pol, 'Deny', p);
      if (s) return explicitDeny(pol, s, 'identity-based policy');
    }
  }
  if (resourcePolicy) {
    for (const s of resourcePolicy.policy.statements) {
      if (s.effect !== 'Deny' || !applies(s, p)) continue;
      if (statementPrincipal(s, who, anonymous, hasBoundary) !== NONE) {
        return explicitDeny(resourcePolicy, s, 'resource-based policy');
      }
    }
  }
  if (!anonymous && boundary) {
    const s = firstMatch(boundary, 'Deny', p);
    if (s) return explicitDeny(boundary, s, 'permissions boundary');
  }
  const sessions = anonymous ? [] : (req.sessionPolicies ?? []);
  for (const pol of sessions) {
    const s = firstMatch(pol, 'Deny', p);
    if (s) return explicitDeny(pol, s, 'session policy');
  }

  // 2. Allow from the resource policy: the first statement naming the caller, and how.
  let rpAllow: CompiledStatement | undefined;
  let rpMatch: PrincipalMatch = NONE;
  if (resourcePolicy) {
    for (const s of resourcePolicy.policy.statements) {
      if (s.effect !== 'Allow' || !applies(s, p)) continue;
      const m = statementPrincipal(s, who, anonymous, hasBoundary);
      // Prefer a statement naming the principal over one naming only its account.
      if (m !== NONE && (rpMatch === NONE || m < rpMatch)) {
        rpAllow = s;
        rpMatch = m;
        if (m === EXACT) break;
      }
    }
  }
  const rpDecision = (why: string): Decision => ({
    effect: 'allow',
    statement: ref(resourcePolicy as PolicyRef, rpAllow as CompiledStatement),
    reason: `allowed by resource-based policy ${label(ref(resourcePolicy as PolicyRef, rpAllow as CompiledStatement))}${why}`,
  });

  if (anonymous) {
    // Anonymous requests are allowed only by a resource policy that grants everyone.
    if (rpAllow && rpMatch === EXACT) return rpDecision('');
    return { effect: 'implicitDeny', reason: 'no resource-based policy allows anonymous access' };
  }

  // Session and service-account policies bound everything the caller does (intersection).
  for (const pol of sessions) {
    if (!firstMatch(pol, 'Allow', p)) {
      return { effect: 'implicitDeny', reason: `session policy ${pol.id} does not allow ${req.action}` };
    }
  }

  let idPolicy: PolicyRef | undefined;
  let idAllow: CompiledStatement | undefined;
  for (const pol of req.identityPolicies) {
    const s = firstMatch(pol, 'Allow', p);
    if (s) {
      idPolicy = pol;
      idAllow = s;
      break;
    }
  }
  const boundaryAllows = boundary === undefined || firstMatch(boundary, 'Allow', p) !== undefined;
  const identityDecision = (): Decision => {
    const d = ref(idPolicy as PolicyRef, idAllow as CompiledStatement);
    return { effect: 'allow', statement: d, reason: `allowed by identity-based policy ${label(d)}` };
  };

  if (who.service !== undefined) {
    // Service principals are authorised by resource policies alone.
    if (rpAllow) return rpDecision('');
    return { effect: 'implicitDeny', reason: 'no resource-based policy allows this service principal' };
  }

  const sameAccount = (req.resourceAccount ?? who.account) === who.account;
  if (sameAccount) {
    if (boundaryAllows) {
      if (idAllow) return identityDecision();
      // Same account: a resource policy naming the principal (or its role) suffices; one that
      // names only the account delegates to identity policies, which did not allow.
      if (rpAllow && rpMatch !== ACCOUNT) return rpDecision('');
    } else if (rpAllow && rpMatch === EXACT) {
      // A resource policy naming the user or session ARN directly is not limited by the
      // boundary (AWS docs, "Permissions boundaries" evaluation table).
      return rpDecision(' (names the principal directly, so the permissions boundary does not apply)');
    }
    if (!boundaryAllows && (idAllow || rpAllow)) {
      return {
        effect: 'implicitDeny',
        reason: `permissions boundary ${boundary?.id ?? ''} does not allow ${req.action}`,
      };
    }
    return { effect: 'implicitDeny', reason: `no policy allows ${req.action} on ${req.resource}` };
  }

  // Cross-account: both the caller's identity policies (within its boundary) and the resource
  // policy must allow.
  if (idAllow && boundaryAllows && rpAllow) return identityDecision();
  if (!idAllow) return { effect: 'implicitDeny', reason: `no identity-based policy allows ${req.action}` };
  if (!boundaryAllows) {
    return {
      effect: 'implicitDeny',
      reason: `permissions boundary ${boundary?.id ?? ''} does not allow ${req.action}`,
    };
  }
  return {
    effect: 'implicitDeny',
    reason: `cross-account request: the resource-based policy does not allow ${req.action} for ${who.arn}`,
  };
}

function explicitDeny(pol: PolicyRef, s: CompiledStatement, what: string): Decision {
  const d = ref(pol, s);
  return { effect: 'explicitDeny', statement: d, reason: `explicitly denied by ${what} ${label(d)}` };
}
