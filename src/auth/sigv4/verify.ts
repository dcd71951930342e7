// SigV4 verification of a request, header form and presigned-query form: parse, check scope,
// time and token, rebuild the canonical request and compare signatures in constant time. Pure:
// the clock comes in as `now`, the key store as a synchronous lookup.
// Source: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
import { CofferError } from '../../errors/error.js';
import {
  ALGORITHM,
  DEFAULT_MAX_SKEW_MS,
  EMPTY_SHA256,
  H_AMZ_DATE,
  H_AUTHORIZATION,
  H_CONTENT_SHA256,
  H_DATE,
  H_SECURITY_TOKEN,
  MAX_PRESIGNED_EXPIRES_S,
  Q_ALGORITHM,
  Q_CREDENTIAL,
  Q_DATE,
  Q_EXPIRES,
  Q_SECURITY_TOKEN,
  Q_SIGNATURE,
  Q_SIGNED_HEADERS,
  UNSIGNED_PAYLOAD,
} from './constants.js';
import { parseAuthorizationHeader } from './authorization-header.js';
import { parseCredential, type AuthForm, type CredentialScope } from './credential-scope.js';
import { checkAmzHeadersSigned, parseSignedHeaders } from './signed-headers.js';
import { formatAmzDate, formatIsoSeconds, parseAmzDate, parseHttpDate } from './amz-date.js';
import { canonicalUri, rawUriFallback } from './canonical-uri.js';
import { canonicalQuery, scanQuery, type RawParamSink } from './canonical-query.js';
import { canonicalHeaders, type HeaderBag } from './canonical-headers.js';
import { canonicalRequest } from './canonical-request.js';
import { stringToSign } from './string-to-sign.js';
import { hmacHex, sha256Hex } from './crypto.js';
import { constantTimeEqual } from './compare.js';
import { defaultSigningKeyCache, type SigningKeyCache } from './signing-key.js';
import { classifyPayload, type PayloadSpec } from './payload.js';
import { percentDecodeString } from '../../kernel/query.js';

export interface SigV4Request {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: HeaderBag;
}

export interface SecretLike {
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4VerifyOptions<C extends SecretLike> {
  /** Epoch milliseconds. */
  now: number;
  region: string;
  lookup: (accessKeyId: string) => C | undefined;
  maxSkewMs?: number;
  keyCache?: SigningKeyCache;
}

export interface SigV4Verified<C> {
  form: AuthForm;
  credential: C;
  scope: CredentialScope;
  /** The request timestamp as signed (`YYYYMMDDTHHMMSSZ`). */
  amzDate: string;
  /** The same, in ms since the epoch. */
  signedAt: number;
  /** The request's signature: the seed of an aws-chunked signature chain. */
  signature: string;
  signingKey: Buffer;
  payload: PayloadSpec;
  /**
   * Set when the signature covers the body's hash but the request did not announce it in
   * x-amz-content-sha256 (IAM/STS form posts): call with the body's SHA-256 (hex) once read; it
   * throws SignatureDoesNotMatch. Until then the request is NOT authenticated.
   */
  finishWithBodyHash?: (sha256Hex: string) => void;
}

export const headerValue = (h: HeaderBag, name: string): string | undefined => {
  const v = h[name];
  return typeof v === 'string' ? v : v?.[0];
};

interface SignatureInput {
  req: SigV4Request;
  presigned: boolean;
  /** The canonical query when already built (presigned: during the parameter scan). */
  query?: string;
  signedHeaders: readonly string[];
  signedHeadersRaw: string;
  amzDate: string;
  scope: CredentialScope;
  key: Buffer;
  provided: string;
}

/** Rebuilds the canonical request with `payloadHash` and compares; throws SignatureDoesNotMatch. */
export function checkSignature(input: SignatureInput, payloadHash: string): void {
  const { req } = input;
  const query = input.query ?? canonicalQuery(req.rawQuery, { presigned: input.presigned });
  const headers = canonicalHeaders(req.headers, input.signedHeaders);
  const uri = canonicalUri(req.rawPath);
  // The hot path builds two strings and compares; the error details are built only on failure.
  const creq = canonicalRequestOf(input, uri, query, headers, payloadHash);
  if (signs(input, creq)) return;
  const raw = rawUriFallback(req.rawPath, uri);
  if (raw !== undefined && signs(input, canonicalRequestOf(input, raw, query, headers, payloadHash))) return;
  const sts = stringToSign(input.amzDate, input.scope.scope, sha256Hex(creq));
  // As S3 sends them: the byte forms show what whitespace or encoding differs from the client's.
  throw new CofferError('SignatureDoesNotMatch', undefined, {
    extra: {
      AWSAccessKeyId: input.scope.accessKeyId,
      StringToSign: sts,
      SignatureProvided: input.provided,
      StringToSignBytes: spacedHex(sts),
      CanonicalRequest: creq,
      CanonicalRequestBytes: spacedHex(creq),
    },
  });
}

/** `41 57 53 34` : the bytes of a string as S3 lists them in a SignatureDoesNotMatch body. */
const spacedHex = (s: string): string =>
  Buffer.from(s, 'utf8')
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');

function canonicalRequestOf(
  input: SignatureInput,
  uri: string,
  query: string,
  headers: string,
  payloadHash: string,
): string {
  return canonicalRequest({
    method: input.req.method,
    uri,
    query,
    headers,
    signedHeaders: input.signedHeadersRaw,
    payloadHash,
  });
}

/** Whether the provided signature is the one of this canonical request. */
function signs(input: SignatureInput, creq: string): boolean {
  const sts = stringToSign(input.amzDate, input.scope.scope, sha256Hex(creq));
  return constantTimeEqual(hmacHex(input.key, sts), input.provided);
}

function checkToken(cred: SecretLike, token: string | undefined): void {
  if (cred.sessionToken !== undefined) {
    if (token === undefined || !constantTimeEqual(token, cred.sessionToken)) {
      throw new CofferError('InvalidToken', 'The provided token is malformed or otherwise invalid.');
    }
  } else if (token !== undefined && token !== '') {
    throw new CofferError('InvalidToken', 'A security token was sent with a long-term access key.');
  }
}

function lookupKey<C extends SecretLike>(opts: SigV4VerifyOptions<C>, akid: string): C {
  const cred = opts.lookup(akid);
  if (cred === undefined)
    throw new CofferError('InvalidAccessKeyId', undefined, { extra: { AWSAccessKeyId: akid } });
  return cred;
}

const skewError = (requestTime: string, now: number) =>
  new CofferError('RequestTimeTooSkewed', undefined, {
    extra: {
      RequestTime: requestTime,
      ServerTime: formatIsoSeconds(now),
      MaxAllowedSkewMilliseconds: String(DEFAULT_MAX_SKEW_MS),
    },
  });

/** A body is absent when it has no length and is not chunked (what node's parser does too). */
const hasBody = (h: HeaderBag): boolean => {
  const cl = headerValue(h, 'content-length');
  if (cl !== undefined) return cl.trim() !== '0';
  return headerValue(h, 'transfer-encoding') !== undefined;
};

/** Verifies `Authorization: AWS4-HMAC-SHA256 …`. */
export function verifyHeaderSigV4<C extends SecretLike>(
  req: SigV4Request,
  opts: SigV4VerifyOptions<C>,
): SigV4Verified<C> {
  const fields = parseAuthorizationHeader(headerValue(req.headers, H_AUTHORIZATION) ?? '');
  const scope = parseCredential(fields.credential, 'header', opts.region);
  const signedHeaders = parseSignedHeaders(fields.signedHeaders, 'AuthorizationHeaderMalformed');
  const credential = lookupKey(opts, scope.accessKeyId);
  if (scope.service === 's3') checkAmzHeadersSigned(req.headers, signedHeaders);

  // The timestamp: x-amz-date, else the HTTP Date header (converted to the basic form it is signed in).
  const xAmzDate = headerValue(req.headers, H_AMZ_DATE);
  let amzDate: string;
  let t: number | undefined;
  if (xAmzDate !== undefined) {
    amzDate = xAmzDate;
    t = parseAmzDate(xAmzDate);
  } else {
    const d = headerValue(req.headers, H_DATE);
    t = d === undefined ? undefined : parseHttpDate(d);
    amzDate = t === undefined ? '' : formatAmzDate(t);
  }
  if (t === undefined) {
    throw new CofferError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  if (amzDate.slice(0, 8) !== scope.date) {
    throw new CofferError(
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.',
    );
  }
  if (Math.abs(opts.now - t) > (opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) throw skewError(amzDate, opts.now);
  checkToken(credential, headerValue(req.headers, H_SECURITY_TOKEN));

  const key = (opts.keyCache ?? defaultSigningKeyCache).get(credential.secretAccessKey, scope);
  const input: SignatureInput = {
    req,
    presigned: false,
    signedHeaders,
    signedHeadersRaw: fields.signedHeaders,
    amzDate,
    scope,
    key,
    provided: fields.signature,
  };
  const base = {
    form: 'header' as const,
    credential,
    scope,
    amzDate,
    signedAt: t,
    signature: fields.signature,
    signingKey: key,
  };

  const declared = headerValue(req.headers, H_CONTENT_SHA256);
  if (declared === undefined) {
    // S3 insists on the header for SigV4; other services (IAM, STS) sign the body's hash itself.
    if (scope.service === 's3') {
      throw new CofferError(
        'InvalidRequest',
        'Missing required header for this request: x-amz-content-sha256',
      );
    }
    if (!hasBody(req.headers)) {
      checkSignature(input, EMPTY_SHA256);
      return { ...base, payload: { kind: 'empty', hash: EMPTY_SHA256 } };
    }
    return {
      ...base,
      payload: { kind: 'sha256', hash: '' },
      finishWithBodyHash: (h) => checkSignature(input, h),
    };
  }
  const payload = classifyPayload(declared);
  checkSignature(input, payload.hash);
  return { ...base, payload };
}

/**
 * The X-Amz-* parameters a presigned URL is verified with, collected during the one scan that also
 * builds the canonical query: values percent-decoded, the first occurrence of a (raw) name wins.
 */
class PresignedParams implements RawParamSink {
  algorithm: string | undefined = undefined;
  credential: string | undefined = undefined;
  date: string | undefined = undefined;
  expires: string | undefined = undefined;
  signedHeadersRaw: string | undefined = undefined;
  signature: string | undefined = undefined;
  securityToken: string | undefined = undefined;
  contentSha256: string | undefined = undefined;

  take(rawName: string, rawValue: string): void {
    switch (rawName) {
      case Q_ALGORITHM:
        this.algorithm ??= percentDecodeString(rawValue, true);
        return;
      case Q_CREDENTIAL:
        this.credential ??= percentDecodeString(rawValue, true);
        return;
      case Q_DATE:
        this.date ??= percentDecodeString(rawValue, true);
        return;
      case Q_EXPIRES:
        this.expires ??= percentDecodeString(rawValue, true);
        return;
      case Q_SIGNED_HEADERS:
        this.signedHeadersRaw ??= percentDecodeString(rawValue, true);
        return;
      case Q_SIGNATURE:
        this.signature ??= percentDecodeString(rawValue, true);
        return;
      case Q_SECURITY_TOKEN:
        this.securityToken ??= percentDecodeString(rawValue, true);
        return;
      case H_CONTENT_SHA256:
        this.contentSha256 ??= percentDecodeString(rawValue, true);
        return;
    }
  }
}

const queryError = (msg: string) => new CofferError('AuthorizationQueryParametersError', msg);

/** Verifies a presigned URL (`X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…`). */
export function verifyPresignedSigV4<C extends SecretLike>(
  req: SigV4Request,
  opts: SigV4VerifyOptions<C>,
): SigV4Verified<C> {
  const p = new PresignedParams();
  const query = scanQuery(req.rawQuery, true, p);
  const {
    algorithm,
    credential: credentialParam,
    date,
    expires: expiresParam,
    signedHeadersRaw,
    signature,
  } = p;
  if (algorithm !== ALGORITHM) throw queryError(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  if (
    credentialParam === undefined ||
    date === undefined ||
    expiresParam === undefined ||
    signedHeadersRaw === undefined ||
    signature === undefined
  ) {
    throw queryError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const scope = parseCredential(credentialParam, 'query', opts.region);
  const signedHeaders = parseSignedHeaders(signedHeadersRaw, 'AuthorizationQueryParametersError');
  if (!/^\d{1,7}$/.test(expiresParam)) throw queryError('X-Amz-Expires should be a number');
  const expires = Number(expiresParam);
  if (expires < 1) throw queryError('X-Amz-Expires must be non-negative');
  if (expires > MAX_PRESIGNED_EXPIRES_S) {
    throw queryError('X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds');
  }
  const t = parseAmzDate(date);
  if (t === undefined)
    throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (date.slice(0, 8) !== scope.date) {
    throw queryError(
      'Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the same as X-Amz-Date.',
    );
  }
  const credential = lookupKey(opts, scope.accessKeyId);
  if (scope.service === 's3') checkAmzHeadersSigned(req.headers, signedHeaders);
  const skew = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (t - opts.now > skew) throw new CofferError('AccessDenied', 'Request is not valid yet');
  if (opts.now > t + expires * 1000) {
    throw new CofferError('AccessDenied', 'Request has expired', {
      extra: {
        'X-Amz-Expires': expiresParam,
        Expires: formatIsoSeconds(t + expires * 1000),
        ServerTime: formatIsoSeconds(opts.now),
      },
    });
  }
  checkToken(credential, p.securityToken ?? headerValue(req.headers, H_SECURITY_TOKEN));

  const key = (opts.keyCache ?? defaultSigningKeyCache).get(credential.secretAccessKey, scope);
  // Presigned payloads are unsigned unless the client signed an x-amz-content-sha256 value: as a
  // header, or hoisted into the query (what @aws-sdk/s3-request-presigner does, with UNSIGNED-PAYLOAD).
  const declared = headerValue(req.headers, H_CONTENT_SHA256) ?? p.contentSha256;
  const payload =
    declared === undefined
      ? { kind: 'unsigned' as const, hash: UNSIGNED_PAYLOAD }
      : classifyPayload(declared);
  checkSignature(
    {
      req,
      presigned: true,
      query,
      signedHeaders,
      signedHeadersRaw,
      amzDate: date,
      scope,
      key,
      provided: signature,
    },
    payload.hash,
  );
  return {
    form: 'query',
    credential,
    scope,
    amzDate: date,
    signedAt: t,
    signature,
    signingKey: key,
    payload,
  };
}
