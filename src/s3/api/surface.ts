// The S3 surface: resolve → authenticate → load the bucket → authorise every required action →
// handler → one responder. CORS preflight is answered before authentication from the bucket's rules;
// CORS headers are added to replies (errors included) whose Origin matches a rule.
import type { AuthenticatedRequest, SignedRequest } from '../../auth/types.js';
import type { ResourceSide } from '../../iam/authorizer.js';
import type { Config } from '../../config/config.js';
import { CofferError } from '../../errors/error.js';
import type { RequestContext } from '../../kernel/request-context.js';
import type { BucketRecord, MetaStore } from '../../meta/ports.js';
import type { BlobStore } from '../../storage/ports.js';
import { resolve, type ResolvedRequest } from '../resolve.js';
import { cachedBuckets } from '../service/bucket-cache.js';
import { CachedObjectStore } from '../service/object-cache.js';
import { BucketPolicyCache } from '../service/bucket-policy.js';
import type { ServiceDeps } from '../service/deps.js';
import { authorizeRequest, type Granted, type S3Authorizer } from './authorization.js';
import { corsHeaders, preflight } from './cors.js';
import { handlers, type HandledOperation } from './handlers/index.js';
import { declaredBytes, writeError, writeReply } from './responder.js';
import type { DecisionEvent, LogEvent, ReplyHeaders } from './types.js';

export interface S3SurfaceDeps {
  config: Config;
  meta: MetaStore;
  blobs: BlobStore;
  /** Verifies the signature (throws CofferError) and yields the principal and a verifying body wrapper. */
  authenticate: (req: SignedRequest) => AuthenticatedRequest;
  /**
   * Decides each action with the touched bucket's side (tenant, compiled bucket policy); the
   * identity authorizer (`createIdentityAuthorizer`) is one. A plain one-argument Authorizer also
   * fits but then ignores tenants and bucket policies (tests with a root-only authorizer).
   */
  authorize: S3Authorizer;
  log?: (event: LogEvent) => void;
  onDecision?: (event: DecisionEvent) => void;
  /** Called once per request after the reply is written (audit, metrics). */
  onComplete?: (event: CompletionEvent) => void;
}

export interface CompletionEvent {
  requestId: string;
  operation: string | undefined;
  bucket: string | undefined;
  key: string | undefined;
  status: number;
  errorCode: string | undefined;
  principalArn: string | undefined;
  accessKeyId: string | undefined;
  /** Body bytes the reply declared (Content-Length; none for HEAD, 204, 304). */
  bytesOut: number;
}

const EXISTING_TAG = 's3:ExistingObjectTag/<key>';

export type S3Surface = (ctx: RequestContext) => Promise<void>;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function createS3Surface(deps: S3SurfaceDeps): S3Surface {
  const policies = new BucketPolicyCache();
  // Every request reads its bucket: through a cache that every bucket write of this surface clears.
  // Object records likewise (GET/HEAD), validated against the file on every read: every object
  // write goes through `objects`, and a bucket deletion forgets the bucket's entries.
  // Entries expire only when other servers write the same index. An index this process owns alone
  // has no writer that bypasses these caches, and re-reading every object's record once a second
  // cost GET 4 KiB ~10 % of its server CPU (a re-read takes the slow, asynchronous path).
  const caching = deps.meta.shared ? {} : { ttlMs: Infinity };
  const objects = new CachedObjectStore(deps.meta.objects, caching);
  const buckets = cachedBuckets(deps.meta.buckets, caching);
  const meta: MetaStore = {
    buckets: {
      ...buckets,
      delete: async (name: string) => {
        try {
          return await buckets.delete(name);
        } finally {
          objects.dropBucket(name);
        }
      },
    },
    objects,
    multipart: deps.meta.multipart,
    shared: deps.meta.shared,
    close: () => deps.meta.close(),
  };
  const services: ServiceDeps = { config: deps.config, meta, blobs: deps.blobs, policies };
  const sideOf = (b: BucketRecord | undefined): ResourceSide | undefined => {
    if (b === undefined) return undefined;
    const policy = policies.of(b);
    return policy === undefined ? { tenantId: b.tenantId } : { tenantId: b.tenantId, policy };
  };
  const authzDeps = { authorize: deps.authorize, onDecision: deps.onDecision };
  const domain = deps.config.domain;

  return async function s3(ctx: RequestContext): Promise<void> {
    let request: ResolvedRequest | undefined;
    let auth: AuthenticatedRequest | undefined;
    let granted: Granted | undefined;
    let cors: ReplyHeaders | undefined;
    let errorCode: string | undefined;
    let bytesOut = 0;
    try {
      request = resolve({
        method: ctx.method,
        rawPath: ctx.rawPath,
        query: ctx.query,
        headers: ctx.headers,
        host: ctx.host,
        domain,
      });
      const op = request.op;
      if (op.name === 'OptionsObject') {
        const bucket = request.bucket === undefined ? undefined : await meta.buckets.get(request.bucket);
        const pre = preflight(bucket, ctx.headers);
        const sending = writeReply(ctx, pre, undefined);
        bytesOut = declaredBytes(ctx, pre.status, pre.headers);
        await sending;
        return;
      }
      auth = deps.authenticate({
        method: ctx.method,
        rawPath: ctx.rawPath,
        rawQuery: ctx.rawQuery,
        headers: ctx.headers,
        // SigV2's signed resource starts with the bucket even when the Host header carries it.
        ...(request.virtualHosted && request.bucket !== undefined ? { hostBucket: request.bucket } : {}),
      });
      // Only `iam` and `sts` scopes are routed elsewhere, so a signature for any other service lands
      // here: S3 refuses one that was not made for it (it could have been captured from another API).
      if (auth.service !== 's3') throw wrongService(auth);
      let bucket: BucketRecord | undefined;
      if (request.bucket !== undefined) {
        bucket = buckets.peek(request.bucket) ?? (await meta.buckets.get(request.bucket));
        const origin = first(ctx.headers.origin);
        if (origin !== undefined) cors = corsHeaders(bucket, origin, ctx.method);
      }
      checkExpectedOwner(ctx, bucket);
      // The copy source may be another bucket (another tenant's, even): its policy decides the read.
      const src = request.copySource?.bucket;
      const copySource =
        src === undefined ? undefined : src === request.bucket ? bucket : await meta.buckets.get(src);
      // s3:ExistingObjectTag needs the object's tags before deciding: one (cached) index read, and
      // only when the operation uses the key (a copy's read of its source always does) and a policy
      // may ask: the account root in a bucket without a bucket policy is allowed unconditionally.
      const existingTags =
        request.key !== undefined &&
        (op.conditionKeys as readonly string[]).includes(EXISTING_TAG) &&
        tagsMayMatter(bucket, auth, policies)
          ? (await objects.get(bucket.name, request.key))?.tags
          : undefined;
      const copySourceTags =
        request.copySource !== undefined && tagsMayMatter(copySource, auth, policies)
          ? (await objects.get(copySource.name, request.copySource.key))?.tags
          : undefined;
      granted = authorizeRequest(authzDeps, ctx, request, auth, bucket, {
        bucket: sideOf(bucket),
        copySource: sideOf(copySource),
        existingTags,
        copySourceTags,
      });
      if (bucket === undefined && op.level !== 'service' && op.name !== 'CreateBucket') {
        throw new CofferError('NoSuchBucket', undefined, { extra: { BucketName: request.bucket ?? '' } });
      }
      const reply = await handlers[op.name as HandledOperation](granted, services);
      // writeReply fills in the headers (Content-Length of a body) before it returns its promise.
      const sending = writeReply(ctx, reply, cors);
      bytesOut = declaredBytes(ctx, reply.status, reply.headers);
      await sending;
    } catch (e) {
      // Here rather than in a .catch on the handler's promise: no extra promise per request.
      const written = writeError(
        ctx,
        granted === undefined ? e : hideMissingKey(e, granted),
        cors,
        deps.log,
        request?.op.name,
      );
      errorCode = written.error.code;
      if (written.bytesOut !== undefined) bytesOut = written.bytesOut;
    } finally {
      if (deps.onComplete) {
        const p = auth?.auth.principal;
        deps.onComplete({
          requestId: ctx.requestId,
          operation: request?.op.name,
          bucket: request?.bucket,
          key: request?.key,
          status: ctx.res.statusCode,
          errorCode,
          principalArn: p === undefined || p.kind === 'anonymous' ? undefined : p.arn,
          accessKeyId: p === undefined || p.kind === 'anonymous' ? undefined : p.accessKeyId,
          bytesOut,
        });
      }
    }
  };
}

/** x-amz-expected-bucket-owner: S3 refuses the request when the bucket belongs to another account. */
function checkExpectedOwner(ctx: RequestContext, bucket: BucketRecord | undefined): void {
  const expected = first(ctx.headers['x-amz-expected-bucket-owner']);
  if (expected !== undefined && bucket !== undefined && bucket.owner !== expected) {
    throw new CofferError('AccessDenied');
  }
}

function wrongService(auth: AuthenticatedRequest): CofferError {
  const presigned = auth.auth.authType === 'presigned';
  return new CofferError(
    presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed',
    `${presigned ? 'Error parsing the X-Amz-Credential parameter' : 'The authorization header is malformed'}; incorrect service "${auth.service}". This endpoint belongs to "s3".`,
  );
}

/**
 * Whether a decision in bucket `b` may ask for an object's tags: for anyone but the account root,
 * and for the root too when the bucket has a policy (the root is otherwise allowed unconditionally).
 */
function tagsMayMatter(
  b: BucketRecord | undefined,
  auth: AuthenticatedRequest,
  policies: BucketPolicyCache,
): b is BucketRecord {
  return b !== undefined && (auth.auth.principal.kind !== 'root' || policies.of(b) !== undefined);
}

/** The reads whose missing key S3 reports as such only to callers who may list the bucket. */
const READS_OF_ONE_KEY: ReadonlySet<string> = new Set(['GetObject', 'HeadObject', 'GetObjectAttributes']);

/**
 * As S3 documents for GetObject, HeadObject and GetObjectAttributes: a caller without s3:ListBucket
 * on the bucket gets AccessDenied for a key that does not exist, not NoSuchKey, so that reading
 * what one may read does not tell which other keys exist. Asked only on that failure.
 */
function hideMissingKey(e: unknown, granted: Granted): unknown {
  if (
    e instanceof CofferError &&
    e.code === 'NoSuchKey' &&
    READS_OF_ONE_KEY.has(granted.request.op.name) &&
    !granted.allows('s3:ListBucket', undefined)
  ) {
    return new CofferError('AccessDenied');
  }
  return e;
}
