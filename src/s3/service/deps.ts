// What the S3 services work over: configuration, the two ports and the compiled bucket policies.
import type { Config } from '../../config/config.js';
import type { MetaStore } from '../../meta/ports.js';
import type { BlobStore } from '../../storage/ports.js';
import type { BucketPolicyCache } from './bucket-policy.js';

export interface ServiceDeps {
  readonly config: Config;
  readonly meta: MetaStore;
  readonly blobs: BlobStore;
  /** Updated by Put/DeleteBucketPolicy and DeleteBucket; read on every request. */
  readonly policies: BucketPolicyCache;
}
