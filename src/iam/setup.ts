// One call for the composition root: master key (COFFER_MASTER_KEY or the 0600 key file), the
// SQLite identity store on the index database, the loaded identity cache, the IAM service, the
// identity authorizer and the IAM surface's dependencies.
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { CredentialLookup } from '../auth/types.js';
import type { Config } from '../config/config.js';
import { SqliteIdentityStore } from '../meta/sqlite/iam-store.js';
import { createIdentityAuthorizer, type ResourceAuthorizer } from './authorizer.js';
import { IdentityCache } from './identity-cache.js';
import { loadOrCreateMasterKeyFile, masterKeyFromConfig, SecretBox } from './secrets.js';
import { IamService, type IamLimits } from './service.js';

export interface IdentitySetupOptions {
  config: Pick<Config, 'dataDir' | 'masterKey'>;
  /** The open index database (shared file) or a path. */
  db: Database.Database | string;
  root: { accessKeyId: string; secretAccessKey: string };
  /** Default tenant's 12-digit account id (default 000000000000). */
  defaultAccountId?: string;
  limits?: Partial<IamLimits>;
}

export interface Identity {
  store: SqliteIdentityStore;
  cache: IdentityCache;
  iam: IamService;
  /** Decides with the bucket's side too (owning tenant, bucket policy): what the S3 surface needs. */
  authorize: ResourceAuthorizer;
  lookup: CredentialLookup;
  close(): Promise<void>;
}

export const masterKeyPath = (dataDir: string): string => join(dataDir, '.coffer', 'master.key');

export async function createIdentity(options: IdentitySetupOptions): Promise<Identity> {
  const key =
    options.config.masterKey !== undefined
      ? masterKeyFromConfig(options.config.masterKey)
      : loadOrCreateMasterKeyFile(masterKeyPath(options.config.dataDir));
  const box = new SecretBox(key);
  const store = new SqliteIdentityStore({
    db: options.db,
    defaultTenant: { accountId: options.defaultAccountId ?? '000000000000' },
  });
  const cache = await IdentityCache.create({
    store,
    box,
    rootAccessKeyId: options.root.accessKeyId,
    rootSecret: options.root.secretAccessKey,
  });
  // A different master key (COFFER_MASTER_KEY changed, or the key file replaced) leaves every stored
  // secret unreadable, and every key but the environment's root would then fail as unknown, with
  // nothing said: refuse to start instead, saying why.
  const { unreadable, total } = cache.unreadableSecrets();
  if (total > 0 && unreadable === total) {
    await store.close();
    throw new Error(
      `none of the ${total} stored access key secrets can be decrypted with this master key: ` +
        (options.config.masterKey !== undefined
          ? 'COFFER_MASTER_KEY is not the one they were sealed with'
          : `${masterKeyPath(options.config.dataDir)} is not the key they were sealed with`),
    );
  }
  const iam = new IamService({
    store,
    cache,
    box,
    rootAccessKeyId: options.root.accessKeyId,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return {
    store,
    cache,
    iam,
    authorize: createIdentityAuthorizer(cache),
    lookup: cache.lookup,
    async close() {
      await cache.flushKeyUse();
      await store.close();
    },
  };
}
