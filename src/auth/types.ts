// The contracts between the HTTP surfaces and authentication/authorisation. Surfaces hand a raw
// signed request to `authenticate` and get back who is calling plus a body stream that verifies
// itself; then `authorize` decides, naming the statement that decided.
import type { Readable } from 'node:stream';
import type { AuthInfo, Principal } from './principal.js';

/** The request as signed: everything canonicalisation needs, untouched by routing. */
export interface SignedRequest {
  method: string;
  /** Raw (percent-encoded as sent) path. */
  rawPath: string;
  /** Raw query string without '?'. */
  rawQuery: string;
  /** Lower-case header names, as node gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Bucket named by a virtual-hosted Host header, if any: SigV2's canonical resource starts with it. */
  hostBucket?: string;
}

/** What a credential lookup returns: the secret to verify with and the principal it proves. */
export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  principal: Principal;
  /** Session token that must accompany the key (temporary credentials), if any. */
  sessionToken?: string;
}

/** Credential lookup port: synchronous because it must be served from memory (no I/O on the auth path). */
export type CredentialLookup = (accessKeyId: string) => Credential | undefined;

export type PayloadMode =
  | 'empty'
  | 'sha256'
  | 'unsigned'
  | 'streaming-signed'
  | 'streaming-signed-trailer'
  | 'streaming-unsigned-trailer';

export interface AuthenticatedRequest {
  auth: AuthInfo;
  /** Service named by the SigV4 credential scope (`s3` for SigV2 and anonymous). */
  service: string;
  payload: PayloadMode;
  /** Object size after aws-chunked decoding (x-amz-decoded-content-length), else Content-Length. */
  contentLength?: number;
  /**
   * Wraps the raw body: decodes aws-chunked, verifies chunk signatures and the payload hash. The
   * returned stream errors with a CofferError (SignatureDoesNotMatch, XAmzContentSHA256Mismatch,
   * IncompleteBody …) instead of ending when the body is not what was signed.
   */
  wrapBody(raw: Readable): Readable;
  /** Trailing headers (e.g. x-amz-checksum-crc32) of an aws-chunked body; complete once the wrapped body has ended. */
  trailers(): Readonly<Record<string, string>>;
}

export interface AuthenticateOptions {
  now: Date;
  /** The configured region; an empty scope region is also accepted. */
  region: string;
  lookup: CredentialLookup;
  /** Allowed clock skew in ms (default 15 minutes). */
  maxSkewMs?: number;
}

export type DecisionEffect = 'allow' | 'explicitDeny' | 'implicitDeny';

export interface Decision {
  effect: DecisionEffect;
  /** Which statement decided: policy identifier (ARN or name), version, Sid or index. Absent for implicit deny. */
  statement?: { policy: string; version?: string; sid?: string; index: number };
  /** Short human explanation, for audit and the admin debug header. */
  reason: string;
}

/** What authorisation is asked: one request may need several actions (e.g. CopyObject). */
export interface AuthorizationRequest {
  principal: Principal;
  action: string;
  /** Resource ARN, e.g. arn:aws:s3:::bucket/key. */
  resource: string;
  /** Condition context values (aws:SourceIp, s3:prefix …). */
  context: Readonly<Record<string, string | string[]>>;
}
