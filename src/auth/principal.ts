// Who is making a request, as established by authentication. The policy engine decides what this
// principal may do; nothing here grants anything by itself.

export type AuthType = 'header' | 'presigned' | 'post-policy' | 'anonymous';
export type SignatureVersion = 'AWS4-HMAC-SHA256' | 'AWS2' | 'none';

interface Authenticated {
  tenantId: string;
  /** 12-digit AWS-style account id of the tenant. */
  accountId: string;
  /** The access key id used to sign the request. */
  accessKeyId: string;
  /** Full ARN, e.g. arn:aws:iam::000000000000:root or arn:aws:iam::123456789012:user/path/name. */
  arn: string;
}

export type Principal =
  | { kind: 'anonymous' }
  | (Authenticated & { kind: 'root' })
  | (Authenticated & { kind: 'user'; userId: string; userName: string })
  | (Authenticated & {
      kind: 'service-account';
      userId: string;
      userName: string;
      parentAccessKeyId?: string;
    })
  | (Authenticated & {
      kind: 'session';
      userId: string;
      userName: string;
      sessionName: string;
      roleArn?: string;
      expiresAt: Date;
    });

/** What the verifier learned besides the principal, for conditions (s3:authType, s3:signatureversion). */
export interface AuthInfo {
  principal: Principal;
  authType: AuthType;
  signatureVersion: SignatureVersion;
  /** When a SigV4 request was signed (its X-Amz-Date, ms since the epoch): for s3:signatureAge. */
  signedAt?: number;
}
