// Request → who is calling: detects SigV4 (header or presigned), SigV2 (header or query) or
// anonymous, verifies, and returns the principal plus a body wrapper that checks what the
// signature promised about the payload (hash, aws-chunked chunk signatures, trailers).
import type { Readable, Transform } from 'node:stream';
import { CofferError } from '../errors/error.js';
import type {
  AuthenticateOptions,
  AuthenticatedRequest,
  Credential,
  PayloadMode,
  SignedRequest,
} from './types.js';
import type { AuthInfo, Principal } from './principal.js';
import {
  verifyHeaderSigV4,
  verifyPresignedSigV4,
  headerValue,
  type SigV4Verified,
  type SigV4VerifyOptions,
} from './sigv4/verify.js';
import { verifyHeaderSigV2, verifyQuerySigV2 } from './sigv2/verify.js';
import { classifyPayload, isStreaming, type PayloadSpec } from './sigv4/payload.js';
import { AwsChunkedDecoder, type ChunkSigningContext } from './sigv4/aws-chunked.js';
import { Sha256CheckStream, expectSha256 } from './sigv4/body.js';
import { percentDecodeString } from '../kernel/query.js';
import {
  ALGORITHM,
  ALGORITHM_V4A,
  EMPTY_SHA256,
  H_CONTENT_SHA256,
  H_DECODED_LENGTH,
  H_TRAILER,
  Q_CREDENTIAL,
} from './sigv4/constants.js';

const hasParam = (rawQuery: string, name: string): boolean =>
  rawQuery.startsWith(name + '=') ||
  rawQuery.startsWith(name + '&') ||
  rawQuery === name ||
  rawQuery.includes('&' + name + '=') ||
  rawQuery.includes('&' + name + '&') ||
  rawQuery.endsWith('&' + name);

type Form = 'v4-header' | 'v4-query' | 'v2-header' | 'v2-query' | 'anonymous';

function detect(req: SignedRequest): Form {
  const auth = headerValue(req.headers, 'authorization');
  const q = req.rawQuery;
  const v4q = q !== '' && hasParam(q, 'X-Amz-Algorithm');
  const v2q = q !== '' && !v4q && hasParam(q, 'Signature') && hasParam(q, 'AWSAccessKeyId');
  if (auth !== undefined && auth !== '') {
    if (v4q || v2q) {
      throw new CofferError(
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
        { extra: { ArgumentName: 'Authorization', ArgumentValue: auth } },
      );
    }
    if (auth.startsWith(ALGORITHM + ' ')) return 'v4-header';
    if (auth.startsWith('AWS ')) return 'v2-header';
    if (auth.startsWith(ALGORITHM_V4A)) {
      throw new CofferError(
        'NotImplemented',
        'SigV4a (AWS4-ECDSA-P256-SHA256) signatures are not supported.',
      );
    }
    throw new CofferError('InvalidArgument', 'Unsupported Authorization Type', {
      extra: { ArgumentName: 'Authorization', ArgumentValue: auth },
    });
  }
  if (v4q) return 'v4-query';
  if (v2q) return 'v2-query';
  return 'anonymous';
}

/**
 * The SigV4 credential-scope service of a request (`s3`, `iam`, `sts` …) without verifying it,
 * so the HTTP layer can route IAM/STS; undefined when the request is not SigV4-signed.
 */
export function signedService(req: SignedRequest): string | undefined {
  const auth = headerValue(req.headers, 'authorization');
  let credential: string | undefined;
  if (auth !== undefined && auth.startsWith(ALGORITHM + ' ')) {
    const at = auth.indexOf('Credential=');
    if (at === -1) return undefined;
    let end = at + 11;
    while (end < auth.length && auth[end] !== ',' && auth[end] !== ' ') end++;
    credential = auth.slice(at + 11, end);
  } else if (req.rawQuery !== '') {
    const key = Q_CREDENTIAL + '=';
    const at = req.rawQuery.startsWith(key) ? 0 : req.rawQuery.indexOf('&' + key) + 1;
    if (at === 0 && !req.rawQuery.startsWith(key)) return undefined;
    let end = req.rawQuery.indexOf('&', at);
    if (end === -1) end = req.rawQuery.length;
    credential = percentDecodeString(req.rawQuery.slice(at + key.length, end), true);
  }
  if (credential === undefined) return undefined;
  const parts = credential.split('/');
  return parts.length === 5 && parts[3] !== '' ? parts[3] : undefined;
}

const parseLength = (v: string | undefined): number | undefined =>
  v !== undefined && /^\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : undefined;

/** Payload handling for requests whose signature does not cover the body (anonymous, SigV2). */
function unsignedPayload(req: SignedRequest): PayloadSpec {
  const declared = headerValue(req.headers, H_CONTENT_SHA256);
  if (declared === undefined) return { kind: 'unsigned', hash: '' };
  const p = classifyPayload(declared);
  if (p.kind === 'streaming-signed' || p.kind === 'streaming-signed-trailer') {
    throw new CofferError(
      'InvalidRequest',
      'A signed aws-chunked payload needs a SigV4 Authorization header.',
    );
  }
  return p;
}

interface BodyPlan {
  payload: PayloadSpec;
  signing?: ChunkSigningContext;
  finishWithBodyHash?: (sha256Hex: string) => void;
}

function checkSession(principal: Principal, now: Date): void {
  if (principal.kind === 'session' && principal.expiresAt.getTime() <= now.getTime()) {
    throw new CofferError('ExpiredToken');
  }
}

const NO_TRAILERS: Readonly<Record<string, string>> = Object.freeze({});

const ignoreUnread = (): void => undefined;

function build(req: SignedRequest, auth: AuthInfo, service: string, plan: BodyPlan): AuthenticatedRequest {
  const kind: PayloadMode = plan.payload.kind;
  const streaming = isStreaming(kind);
  const decodedLength = streaming ? parseLength(headerValue(req.headers, H_DECODED_LENGTH)) : undefined;
  const contentLength = streaming ? decodedLength : parseLength(headerValue(req.headers, 'content-length'));
  let decoder: AwsChunkedDecoder | undefined;
  const result: AuthenticatedRequest = {
    auth,
    service,
    payload: kind,
    wrapBody(raw: Readable): Readable {
      let t: Transform;
      if (streaming) {
        const trailerHeader = headerValue(req.headers, H_TRAILER);
        decoder = new AwsChunkedDecoder({
          ...(plan.signing === undefined ? {} : { signing: plan.signing }),
          trailer: kind !== 'streaming-signed',
          declaredTrailers:
            trailerHeader === undefined
              ? []
              : trailerHeader
                  .split(',')
                  .map((s) => s.trim().toLowerCase())
                  .filter((s) => s !== ''),
          ...(decodedLength === undefined ? {} : { decodedLength }),
        });
        t = decoder;
      } else if (plan.finishWithBodyHash !== undefined) {
        t = new Sha256CheckStream(plan.finishWithBodyHash);
      } else if (kind === 'sha256' || kind === 'empty') {
        t = new Sha256CheckStream(expectSha256(kind === 'empty' ? EMPTY_SHA256 : plan.payload.hash));
      } else {
        return raw;
      }
      // pipe(), not pipeline(): a verification error must not destroy the request socket, or the
      // error reply could never be written. Source errors are forwarded by hand.
      raw.on('error', (e) => t.destroy(e));
      // The check can fail before anyone reads `t` (a handler that refused the request first, or is
      // still awaiting something): unheard, that 'error' event would end the process. Readers still
      // see the failure, from their own listener or as the stream's `errored` once destroyed.
      t.on('error', ignoreUnread);
      raw.pipe(t);
      return t;
    },
    trailers: () => decoder?.trailers ?? NO_TRAILERS,
  };
  if (contentLength !== undefined) result.contentLength = contentLength;
  return result;
}

function fromSigV4(req: SignedRequest, opts: AuthenticateOptions, presigned: boolean): AuthenticatedRequest {
  const vopts: SigV4VerifyOptions<Credential> = {
    now: opts.now.getTime(),
    region: opts.region,
    lookup: opts.lookup,
  };
  if (opts.maxSkewMs !== undefined) vopts.maxSkewMs = opts.maxSkewMs;
  const v: SigV4Verified<Credential> = presigned
    ? verifyPresignedSigV4(req, vopts)
    : verifyHeaderSigV4(req, vopts);
  checkSession(v.credential.principal, opts.now);
  const plan: BodyPlan = { payload: v.payload };
  if (v.payload.kind === 'streaming-signed' || v.payload.kind === 'streaming-signed-trailer') {
    plan.signing = {
      signingKey: v.signingKey,
      amzDate: v.amzDate,
      scope: v.scope.scope,
      seedSignature: v.signature,
    };
  }
  if (v.finishWithBodyHash !== undefined) plan.finishWithBodyHash = v.finishWithBodyHash;
  return build(
    req,
    {
      principal: v.credential.principal,
      authType: presigned ? 'presigned' : 'header',
      signatureVersion: 'AWS4-HMAC-SHA256',
      signedAt: v.signedAt,
    },
    v.scope.service,
    plan,
  );
}

function fromSigV2(req: SignedRequest, opts: AuthenticateOptions, query: boolean): AuthenticatedRequest {
  const vopts = {
    now: opts.now.getTime(),
    lookup: opts.lookup,
    ...(opts.maxSkewMs === undefined ? {} : { maxSkewMs: opts.maxSkewMs }),
  };
  const v = query ? verifyQuerySigV2(req, vopts) : verifyHeaderSigV2(req, vopts);
  checkSession(v.credential.principal, opts.now);
  return build(
    req,
    { principal: v.credential.principal, authType: query ? 'presigned' : 'header', signatureVersion: 'AWS2' },
    's3',
    { payload: unsignedPayload(req) },
  );
}

/** Verifies the request's signature (if any) and says who is calling. Throws CofferError. */
export function authenticate(req: SignedRequest, opts: AuthenticateOptions): AuthenticatedRequest {
  const form = detect(req);
  switch (form) {
    case 'v4-header':
      return fromSigV4(req, opts, false);
    case 'v4-query':
      return fromSigV4(req, opts, true);
    case 'v2-header':
      return fromSigV2(req, opts, false);
    case 'v2-query':
      return fromSigV2(req, opts, true);
    case 'anonymous':
      return build(
        req,
        { principal: { kind: 'anonymous' }, authType: 'anonymous', signatureVersion: 'none' },
        's3',
        {
          payload: unsignedPayload(req),
        },
      );
  }
}
