// What the S3 services work over: configuration and the two ports.
import type { Config } from '../../config/config.js';
import type { MetaStore } from '../../meta/ports.js';
import type { BlobStore } from '../../storage/ports.js';

export interface ServiceDeps {
  readonly config: Config;
  readonly meta: MetaStore;
  readonly blobs: BlobStore;
}
