// The authorisation step of the S3 request path: every action the operation table names for the
// operation is put to the Authorizer; only an 'allow' for all of them yields a `Granted`, the sole
// input handlers accept. The brand's symbol is private to this module, so no handler is reachable
// without a decision.
import type { Authorizer } from '../../auth/authorize.js';
import type { AuthenticatedRequest, Decision } from '../../auth/types.js';
import { CofferError } from '../../errors/error.js';
import type { RequestContext } from '../../kernel/request-context.js';
import type { BucketRecord } from '../../meta/ports.js';
import type { ActionSpec } from '../operations.js';
import type { ResolvedRequest } from '../resolve.js';
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
  /** Asks for one more action on a key of the same bucket (DeleteObjects checks s3:DeleteObject per key). */
  allows(action: string, key: string): boolean;
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

export interface AuthorizeDeps {
  authorize: Authorizer;
  onDecision?: ((e: DecisionEvent) => void) | undefined;
}

export function authorizeRequest(
  deps: AuthorizeDeps,
  ctx: RequestContext,
  request: ResolvedRequest,
  auth: AuthenticatedRequest,
  bucket: BucketRecord | undefined,
): Granted {
  const principal = auth.auth.principal;
  const context = conditionContext(ctx, auth.auth, request.op);
  const principalArn = principal.kind === 'anonymous' ? '*' : principal.arn;
  const decide = (action: string, resource: string): Decision => {
    const d = deps.authorize({ principal, action, resource, context });
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
    const d = decide(spec.action, resource);
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
    allows: (action, key) => decide(action, objectArn(bucketName, key)).effect === 'allow',
  };
}
