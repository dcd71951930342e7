// The authorisation step of the S3 request path: every action the operation table names for the
// operation is put to the Authorizer, with the resource's side (owning tenant, bucket policy) of the
// bucket it touches; only an 'allow' for all of them yields a `Granted`, the sole input handlers
// accept. The brand's symbol is private to this module, so no handler is reachable without a decision.
import type { Principal } from '../../auth/principal.js';
import type { AuthenticatedRequest, AuthorizationRequest, Decision } from '../../auth/types.js';
import type { ResourceSide } from '../../iam/authorizer.js';
import { CofferError } from '../../errors/error.js';
import type { RequestContext } from '../../kernel/request-context.js';
import type { BucketRecord } from '../../meta/ports.js';
import type { ActionSpec } from '../operations.js';
import type { ResolvedRequest } from '../resolve.js';
import type { Tag } from '../../meta/ports.js';
import { conditionContext } from './conditions.js';
import type { DecisionEvent } from './types.js';

const brand = Symbol('s3.granted');

export interface Granted {
  readonly [brand]: true;
  readonly ctx: RequestContext;
  readonly request: ResolvedRequest;
  readonly auth: AuthenticatedRequest;
  /** The bucket's record, loaded before authorisation (bucket policies need it); absent if none. */
  readonly bucket: BucketRecord | undefined;
  readonly decisions: readonly Decision[];
  /**
   * Asks for one more action on a key of the same bucket (DeleteObjects checks s3:DeleteObject per
   * key), or on the bucket itself when `key` is undefined. Decided and audited like the others.
   */
  allows(action: string, key: string | undefined): boolean;
}

export const bucketArn = (bucket: string): string => `arn:aws:s3:::${bucket}`;
export const objectArn = (bucket: string, key: string): string => `arn:aws:s3:::${bucket}/${key}`;

function resourceOf(spec: ActionSpec, r: ResolvedRequest): string | undefined {
  switch (spec.resource) {
    case 'all':
      // Account-level actions (ListAllMyBuckets) have no resource type; policies name them with "*"
      // or "arn:aws:s3:::*" (WEKA's readonly does), and this ARN is matched by both.
      return 'arn:aws:s3:::*';
    case 'bucket':
      return bucketArn(r.bucket ?? '');
    case 'object':
      return objectArn(r.bucket ?? '', r.key ?? '');
    case 'copySource':
      return r.copySource === undefined ? undefined : objectArn(r.copySource.bucket, r.copySource.key);
    case 'eachKey':
      return undefined; // checked per key by the handler through `allows`
  }
}

/**
 * Decides one action. `resource` is the side of the bucket the action touches (its tenant is the
 * resource account, its policy the resource policy); undefined when no existing bucket is involved.
 * An implementation that ignores it (e.g. a root-only test authorizer) ignores tenants and bucket
 * policies: the composition root passes the identity authorizer (src/iam/authorizer.ts).
 */
export type S3Authorizer = (request: AuthorizationRequest, resource?: ResourceSide) => Decision;

/** The buckets a request touches, loaded before authorisation, with their compiled policies. */
export interface BucketSides {
  /** The bucket the request names. */
  bucket: ResourceSide | undefined;
  /** The bucket of x-amz-copy-source (CopyObject, UploadPartCopy). */
  copySource: ResourceSide | undefined;
  /** The target object's current tags, for s3:ExistingObjectTag/<key> (when the operation uses it). */
  existingTags?: readonly Tag[] | undefined;
  /** The copy source's tags: its s3:GetObject is decided as a read of that object would be. */
  copySourceTags?: readonly Tag[] | undefined;
}

/**
 * Which bucket's side an action is decided with. CreateBucket acts in the caller's own account
 * whoever holds the name (S3 then answers BucketAlreadyExists, not AccessDenied); account-level
 * actions have no bucket; a copy's read is the source bucket's business.
 */
function sideOf(spec: ActionSpec, r: ResolvedRequest, sides: BucketSides): ResourceSide | undefined {
  if (r.op.name === 'CreateBucket') return undefined;
  switch (spec.resource) {
    case 'all':
      return undefined;
    case 'copySource':
      return sides.copySource;
    case 'bucket':
    case 'object':
    case 'eachKey':
      return sides.bucket;
  }
}

export interface AuthorizeDeps {
  authorize: S3Authorizer;
  onDecision?: ((e: DecisionEvent) => void) | undefined;
}

/**
 * A request's condition context, built on first use and shared by its questions: the root acting
 * in its own bucket without a bucket policy never needs it.
 */
class ConditionContext {
  private built: Record<string, string | string[]> | undefined = undefined;
  private builtForSource: Record<string, string | string[]> | undefined = undefined;

  constructor(
    private readonly ctx: RequestContext,
    private readonly auth: AuthenticatedRequest,
    private readonly request: ResolvedRequest,
    private readonly sides: BucketSides,
  ) {}

  get value(): Record<string, string | string[]> {
    return (this.built ??= conditionContext(
      this.ctx,
      this.auth.auth,
      this.request.op,
      this.sides.existingTags,
    ));
  }

  /**
   * The context of the copy source's read: the request's, with s3:ExistingObjectTag/<key> taken from
   * the source object, so a Deny on reading tagged objects cannot be passed by copying them.
   */
  get forCopySource(): Record<string, string | string[]> {
    if (this.builtForSource !== undefined) return this.builtForSource;
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(this.value)) if (!k.startsWith(EXISTING_TAG_PREFIX)) out[k] = v;
    for (const t of this.sides.copySourceTags ?? []) out[EXISTING_TAG_PREFIX + t.key] = t.value;
    return (this.builtForSource = out);
  }
}

const EXISTING_TAG_PREFIX = 's3:ExistingObjectTag/';

// Classes rather than object literals with a getter, which V8 builds on a slow path, each with a
// hidden class of its own (see createRequestContext).
class Question implements AuthorizationRequest {
  constructor(
    readonly principal: Principal,
    readonly action: string,
    readonly resource: string,
    private readonly lazy: ConditionContext,
    private readonly copySource: boolean,
  ) {}

  get context(): Readonly<Record<string, string | string[]>> {
    return this.copySource ? this.lazy.forCopySource : this.lazy.value;
  }
}

export function authorizeRequest(
  deps: AuthorizeDeps,
  ctx: RequestContext,
  request: ResolvedRequest,
  auth: AuthenticatedRequest,
  bucket: BucketRecord | undefined,
  sides: BucketSides,
): Granted {
  const principal = auth.auth.principal;
  const context = new ConditionContext(ctx, auth, request, sides);
  const principalArn = principal.kind === 'anonymous' ? '*' : principal.arn;
  const decide = (
    action: string,
    resource: string,
    side: ResourceSide | undefined,
    copySource = false,
  ): Decision => {
    const d = deps.authorize(new Question(principal, action, resource, context, copySource), side);
    if (deps.onDecision) {
      const e: DecisionEvent = {
        requestId: ctx.requestId,
        operation: request.op.name,
        action,
        resource,
        principalArn,
        effect: d.effect,
        reason: d.reason,
      };
      if (d.statement) e.statement = d.statement;
      deps.onDecision(e);
    }
    return d;
  };
  const decisions: Decision[] = [];
  for (const spec of request.op.actions) {
    const resource = resourceOf(spec, request);
    if (resource === undefined) continue;
    const d = decide(spec.action, resource, sideOf(spec, request, sides), spec.resource === 'copySource');
    decisions.push(d);
    if (d.effect !== 'allow') throw new CofferError('AccessDenied');
  }
  const bucketName = request.bucket ?? '';
  return {
    [brand]: true,
    ctx,
    request,
    auth,
    bucket,
    decisions,
    allows: (action, key) =>
      decide(action, key === undefined ? bucketArn(bucketName) : objectArn(bucketName, key), sides.bucket)
        .effect === 'allow',
  };
}
