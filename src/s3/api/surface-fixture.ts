// What the in-process S3 surface tests share (like meta/contract, test support outside a test file):
// the account root they sign as, a Config for a temp data directory, and the real SigV4 verifier
// knowing that root's one key, so every SDK request is checked as the server checks it.
import { authenticate } from '../../auth/authenticate.js';
import type { AuthenticatedRequest, SignedRequest } from '../../auth/types.js';
import type { Config } from '../../config/config.js';

export const TEST_ROOT = {
  kind: 'root' as const,
  tenantId: 'default',
  accountId: '000000000000',
  accessKeyId: 'AKROOT',
  arn: 'arn:aws:iam::000000000000:root',
};

/** The SDK credentials of TEST_ROOT. */
export const TEST_ROOT_CREDENTIALS = { accessKeyId: TEST_ROOT.accessKeyId, secretAccessKey: 'secretsecret' };

export const testConfig = (dataDir: string): Config => ({
  address: '127.0.0.1',
  port: 0,
  dataDir,
  region: 'us-east-1',
  logLevel: 'silent',
  maxObjectSize: 5 * 1024 ** 3,
  maxXmlBodySize: 1024 * 1024,
  nativeFs: 'on',
});

/** The real verifier (SigV4/SigV2, presigned, aws-chunked trailers), with TEST_ROOT's key only. */
export const authenticateAsRoot = (req: SignedRequest): AuthenticatedRequest =>
  authenticate(req, {
    now: new Date(),
    region: 'us-east-1',
    lookup: (id) =>
      id === TEST_ROOT.accessKeyId
        ? { accessKeyId: id, secretAccessKey: TEST_ROOT_CREDENTIALS.secretAccessKey, principal: TEST_ROOT }
        : undefined,
  });
