// Tests of the identity setup across a restart: the key file is created once, and keys created
// before the restart authenticate after it (same database file, same master key).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createIdentity, masterKeyPath } from './setup.js';

describe('createIdentity', () => {
  it('survives a restart with the generated key file, and not with another master key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-id-'));
    try {
      const root = { accessKeyId: 'ROOTKEY1', secretAccessKey: 'rootsecret1' };
      const db = join(dir, 'index.db');
      const scope = { tenantId: 'default', accountId: '000000000000' };
      const a = await createIdentity({ config: { dataDir: dir }, db, root });
      expect(statSync(masterKeyPath(dir)).mode & 0o777).toBe(0o600);
      await a.iam.createUser(scope, { userName: 'alice' });
      const { key, secret } = await a.iam.createAccessKey(scope, { userName: 'alice' });
      expect(a.lookup('ROOTKEY1')?.principal.kind).toBe('root');
      await a.close();

      const b = await createIdentity({ config: { dataDir: dir }, db, root });
      expect(b.lookup(key.accessKeyId)?.secretAccessKey).toBe(secret);
      await b.close();

      // Sealed under another key: refused, never garbage; with every stored secret unreadable the
      // setup refuses to start rather than answer InvalidAccessKeyId to every key.
      await expect(
        createIdentity({ config: { dataDir: dir, masterKey: 'some other key' }, db, root }),
      ).rejects.toThrow(/none of the 1 stored access key secrets can be decrypted with this master key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
