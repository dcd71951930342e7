// Public types of the policy engine: compiled policies, the evaluation input, and the Decision
// (shaped exactly like auth's Decision, which stays structurally compatible without an import).
import type { ContextReader, Matcher, Pattern } from './pattern.js';

export type PolicyKind = 'identity' | 'resource';
export type Effect = 'Allow' | 'Deny';

/** Context values as the authoriser supplies them; keys are case-insensitive. */
export type ConditionContext = Readonly<Record<string, string | readonly string[]>>;

export type DecisionEffect = 'allow' | 'explicitDeny' | 'implicitDeny';

export interface DecidingStatement {
  /** Policy identifier: ARN or name. */
  policy: string;
  version?: string;
  sid?: string;
  /** 0-based index of the statement within its policy. */
  index: number;
}

export interface Decision {
  effect: DecisionEffect;
  statement?: DecidingStatement;
  reason: string;
}

/** A condition operator compiled for one key. */
export interface CompiledCondition {
  /** The operator as written, e.g. `ForAnyValue:StringLikeIfExists`. */
  readonly operator: string;
  /** Lower-cased context key. */
  readonly key: string;
  test(ctx: ContextReader): boolean;
}

export interface CompiledResource {
  readonly source: string;
  /** `*`: every resource. */
  readonly all: boolean;
  /** Partition, service, region, account, resource patterns (ARN minus the `arn:` head). */
  readonly parts: readonly Pattern[];
}

export interface CompiledPrincipals {
  /** `"*"` or `{"AWS": "*"}`: everyone, including anonymous callers. */
  readonly wildcard: boolean;
  /** Account ids (from a bare id or `arn:aws:iam::ID:root`). */
  readonly accounts: ReadonlySet<string>;
  /** IAM user/role and STS session ARNs, matched exactly. */
  readonly arns: ReadonlySet<string>;
  readonly services: ReadonlySet<string>;
  readonly canonicalUsers: ReadonlySet<string>;
}

export interface CompiledStatement {
  readonly index: number;
  readonly sid?: string;
  readonly effect: Effect;
  /** Action patterns, matched against the lower-cased action. */
  readonly actions: readonly Matcher[];
  readonly notAction: boolean;
  readonly resources: readonly CompiledResource[];
  readonly notResource: boolean;
  /** Present only in resource policies. */
  readonly principals?: CompiledPrincipals;
  readonly notPrincipal: boolean;
  readonly conditions: readonly CompiledCondition[];
}

export interface CompiledPolicy {
  readonly kind: PolicyKind;
  readonly version: '2012-10-17' | '2008-10-17';
  readonly id?: string;
  readonly statements: readonly CompiledStatement[];
  /** The document as parsed (plain JSON), for display. */
  readonly document: unknown;
}

/** A compiled policy and how a decision names it. */
export interface PolicyRef {
  policy: CompiledPolicy;
  /** ARN or name. */
  id: string;
  /** Managed policy version id (v1 …). */
  version?: string;
}

/**
 * Who calls. `arn: '*'` (or `anonymous: true`) is the anonymous principal, which can only be
 * allowed by a resource policy. For an assumed-role session, `roleArn` is the role's ARN so a
 * resource policy naming the role matches its sessions.
 */
export interface EvalPrincipal {
  arn: string;
  /** 12-digit account id; empty for anonymous. */
  account: string;
  anonymous?: boolean;
  roleArn?: string;
  canonicalUserId?: string;
  /** Set when the caller is an AWS service principal (e.g. `logging.s3.amazonaws.com`). */
  service?: string;
}

export interface EvalRequest {
  principal: EvalPrincipal;
  /** `service:Action`, e.g. `s3:GetObject` (case-insensitive). */
  action: string;
  /** Resource ARN, e.g. `arn:aws:s3:::bucket/key`, or `*`. */
  resource: string;
  /** Account owning the resource (the bucket's tenant). Defaults to the principal's account. */
  resourceAccount?: string;
  context: ConditionContext;
  identityPolicies: readonly PolicyRef[];
  /** The resource's own policy (e.g. bucket policy). */
  resourcePolicy?: PolicyRef;
  permissionsBoundary?: PolicyRef;
  /** Session policies and service-account policies: each must allow (intersection). */
  sessionPolicies?: readonly PolicyRef[];
}
