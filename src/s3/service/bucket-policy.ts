// Bucket policies: validation as S3 does it on PutBucketPolicy (a resource policy of the engine,
// ≤ 20 KB, resources within the bucket) and the compiled-policy cache the request path reads, so a
// policy is parsed once per change, never per request.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
import { CofferError, isCofferError } from '../../errors/error.js';
import {
  compilePolicy,
  POLICY_SIZE_LIMITS,
  type CompiledPolicy,
  type PolicyRef,
} from '../../policy/index.js';
import type { BucketRecord } from '../../meta/ports.js';

const malformed = (message: string): CofferError => new CofferError('MalformedPolicy', message);

/** How decisions name a bucket's policy (the statement's Sid or index is added by the engine). */
export const bucketPolicyId = (bucket: string): string => `arn:aws:s3:::${bucket}#policy`;

/**
 * S3 refuses a policy whose Resource / NotResource entries are not this bucket or objects in it,
 * "*" included ("Policy has invalid resource").
 */
function checkResources(bucket: string, policy: CompiledPolicy): void {
  const arn = `arn:aws:s3:::${bucket}`;
  for (const s of policy.statements) {
    for (const r of s.resources) {
      if (r.all || (r.source !== arn && !r.source.startsWith(`${arn}/`))) {
        throw malformed('Policy has invalid resource');
      }
    }
  }
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * S3 refuses what a bucket policy cannot mean: an action of another service ("Policy has invalid
 * action": iam:CreateUser would never be asked of a bucket) and a principal ARN with a wildcard
 * ("Invalid principal in policy": S3 matches principals exactly, so it would match nobody, silently).
 * `doc` has already compiled, so its shape is known good.
 */
function checkActionsAndPrincipals(doc: unknown): void {
  const statements = asList((doc as { Statement?: unknown }).Statement) as Record<string, unknown>[];
  for (const s of statements) {
    for (const a of [...asList(s.Action), ...asList(s.NotAction)]) {
      if (typeof a === 'string' && a !== '*' && !a.toLowerCase().startsWith('s3:')) {
        throw malformed('Policy has invalid action');
      }
    }
    for (const p of [s.Principal, s.NotPrincipal]) {
      if (p === undefined || p === '*' || typeof p !== 'object' || p === null) continue;
      for (const v of asList((p as Record<string, unknown>).AWS)) {
        if (typeof v === 'string' && v !== '*' && v.includes('*'))
          throw malformed('Invalid principal in policy');
      }
    }
  }
}

/**
 * Validates a PutBucketPolicy body and compiles it. S3 answers MalformedPolicy (400) for every
 * problem; the engine's MalformedPolicyDocument messages are kept as the message.
 */
export function validateBucketPolicy(bucket: string, text: string): PolicyRef {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed("Policies must be valid JSON and the first byte must be '{'");
  }
  // AWS measures the 20 KB limit on the document without insignificant whitespace.
  if (Buffer.byteLength(JSON.stringify(doc)) > POLICY_SIZE_LIMITS.bucketPolicy) {
    throw malformed('Policy exceeds the maximum allowed document size.');
  }
  let policy: CompiledPolicy;
  try {
    policy = compilePolicy(doc, { kind: 'resource' });
  } catch (e) {
    if (isCofferError(e) && e.code === 'MalformedPolicyDocument') throw malformed(e.message);
    throw e;
  }
  checkResources(bucket, policy);
  checkActionsAndPrincipals(doc);
  return { id: bucketPolicyId(bucket), policy };
}

/** Stands in for a stored policy the engine no longer accepts: nobody but the root (which may fix it) gets in. */
const UNREADABLE: CompiledPolicy = compilePolicy(
  {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'UnreadableBucketPolicy', Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' },
    ],
  },
  { kind: 'resource' },
);

/**
 * Compiled bucket policies by bucket name. An entry is reused while the record's policy text is
 * the one it was compiled from, so a change made by another server (same database) is picked up
 * on the next request too; put and delete update the entry at once.
 */
export class BucketPolicyCache {
  readonly #byBucket = new Map<string, { text: string; ref: PolicyRef }>();

  /** The compiled policy of a bucket, or undefined when it has none. */
  of(bucket: BucketRecord): PolicyRef | undefined {
    const text = bucket.policy;
    if (text === undefined) {
      if (this.#byBucket.size > 0) this.#byBucket.delete(bucket.name);
      return undefined;
    }
    const hit = this.#byBucket.get(bucket.name);
    if (hit !== undefined && hit.text === text) return hit.ref;
    let ref: PolicyRef;
    try {
      ref = validateBucketPolicy(bucket.name, text);
    } catch {
      // Fail closed: a stored policy that no longer validates must not turn into "no policy".
      ref = { id: bucketPolicyId(bucket.name), policy: UNREADABLE };
    }
    this.#byBucket.set(bucket.name, { text, ref });
    return ref;
  }

  /** Records a policy just validated by PutBucketPolicy. */
  set(bucket: string, text: string, ref: PolicyRef): void {
    this.#byBucket.set(bucket, { text, ref });
  }

  /** DeleteBucketPolicy, DeleteBucket. */
  delete(bucket: string): void {
    this.#byBucket.delete(bucket);
  }
}
