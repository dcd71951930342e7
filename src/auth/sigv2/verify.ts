// SigV2 verification: `Authorization: AWS AKID:base64(HMAC-SHA1(secret, StringToSign))` and the
// query form `AWSAccessKeyId=…&Expires=…&Signature=…`. Pure: `now` comes in, keys via a lookup.
// Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CofferError } from '../../errors/error.js';
import type { HeaderBag } from '../sigv4/canonical-headers.js';
import type { SecretLike } from '../sigv4/verify.js';
import { headerValue } from '../sigv4/verify.js';
import { splitRawQuery } from '../sigv4/canonical-query.js';
import { percentDecode } from '../../kernel/query.js';
import { constantTimeEqual } from '../sigv4/compare.js';
import { formatIsoSeconds, parseHttpDate } from '../sigv4/amz-date.js';
import { DEFAULT_MAX_SKEW_MS } from '../sigv4/constants.js';
import { v2StringToSign } from './string-to-sign.js';

export interface SigV2Request {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: HeaderBag;
  /** Bucket named by a virtual-hosted Host, which the canonical resource must start with. */
  hostBucket?: string;
}

export interface SigV2VerifyOptions<C extends SecretLike> {
  now: number;
  lookup: (accessKeyId: string) => C | undefined;
  maxSkewMs?: number;
}

export interface SigV2Verified<C> {
  form: 'header' | 'query';
  accessKeyId: string;
  credential: C;
}

export const signV2 = (secret: string, stringToSign: string): string =>
  createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');

function compare<C extends SecretLike>(
  req: SigV2Request,
  cred: C,
  accessKeyId: string,
  dateLine: string,
  provided: string,
): void {
  const input = { ...req, dateLine };
  if (req.hostBucket === undefined) delete input.hostBucket;
  const sts = v2StringToSign(input);
  const expected = Buffer.from(signV2(cred.secretAccessKey, sts), 'base64');
  const got = Buffer.from(provided, 'base64');
  const ok = got.length === expected.length && timingSafeEqual(got, expected);
  if (!ok) {
    throw new CofferError('SignatureDoesNotMatch', undefined, {
      extra: { AWSAccessKeyId: accessKeyId, StringToSign: sts, SignatureProvided: provided },
    });
  }
}

function checkToken(cred: SecretLike, token: string | undefined): void {
  const ok =
    cred.sessionToken === undefined
      ? token === undefined || token === ''
      : token !== undefined && constantTimeEqual(token, cred.sessionToken);
  if (!ok) throw new CofferError('InvalidToken');
}

function lookup<C extends SecretLike>(opts: SigV2VerifyOptions<C>, akid: string): C {
  const c = opts.lookup(akid);
  if (c === undefined)
    throw new CofferError('InvalidAccessKeyId', undefined, { extra: { AWSAccessKeyId: akid } });
  return c;
}

/** `Authorization: AWS AKID:signature`. */
export function verifyHeaderSigV2<C extends SecretLike>(
  req: SigV2Request,
  opts: SigV2VerifyOptions<C>,
): SigV2Verified<C> {
  const auth = headerValue(req.headers, 'authorization') ?? '';
  const colon = auth.lastIndexOf(':');
  if (!auth.startsWith('AWS ') || colon <= 4) {
    throw new CofferError(
      'InvalidArgument',
      'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature',
      {
        extra: { ArgumentName: 'Authorization', ArgumentValue: auth },
      },
    );
  }
  const accessKeyId = auth.slice(4, colon).trim();
  const signature = auth.slice(colon + 1).trim();
  const cred = lookup(opts, accessKeyId);
  // x-amz-date wins over Date; when it is present the Date line of the string to sign is empty.
  const amzDate = headerValue(req.headers, 'x-amz-date');
  const date = headerValue(req.headers, 'date');
  const when = amzDate ?? date;
  const t = when === undefined ? undefined : parseHttpDate(when);
  if (t === undefined) {
    throw new CofferError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  if (Math.abs(opts.now - t) > (opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
    throw new CofferError('RequestTimeTooSkewed', undefined, {
      extra: {
        RequestTime: when ?? '',
        ServerTime: formatIsoSeconds(opts.now),
        MaxAllowedSkewMilliseconds: String(DEFAULT_MAX_SKEW_MS),
      },
    });
  }
  checkToken(cred, headerValue(req.headers, 'x-amz-security-token'));
  compare(req, cred, accessKeyId, amzDate !== undefined ? '' : (date ?? ''), signature);
  return { form: 'header', accessKeyId, credential: cred };
}

/** `?AWSAccessKeyId=…&Expires=<epoch seconds>&Signature=…`. */
export function verifyQuerySigV2<C extends SecretLike>(
  req: SigV2Request,
  opts: SigV2VerifyOptions<C>,
): SigV2Verified<C> {
  const p = new Map<string, string>();
  for (const [n, v] of splitRawQuery(req.rawQuery)) {
    if (
      (n === 'AWSAccessKeyId' || n === 'Expires' || n === 'Signature' || n === 'x-amz-security-token') &&
      !p.has(n)
    ) {
      p.set(n, percentDecode(v, true).toString('utf8'));
    }
  }
  const accessKeyId = p.get('AWSAccessKeyId');
  const expires = p.get('Expires');
  const signature = p.get('Signature');
  if (accessKeyId === undefined || expires === undefined || signature === undefined) {
    throw new CofferError(
      'AccessDenied',
      'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
    );
  }
  if (!/^\d{1,12}$/.test(expires))
    throw new CofferError('AccessDenied', 'Invalid date (should be seconds since epoch)');
  const cred = lookup(opts, accessKeyId);
  if (Number(expires) * 1000 < opts.now) {
    throw new CofferError('AccessDenied', 'Request has expired', {
      extra: { Expires: formatIsoSeconds(Number(expires) * 1000), ServerTime: formatIsoSeconds(opts.now) },
    });
  }
  checkToken(cred, p.get('x-amz-security-token') ?? headerValue(req.headers, 'x-amz-security-token'));
  compare(req, cred, accessKeyId, expires, signature);
  return { form: 'query', accessKeyId, credential: cred };
}
