// CORS as S3 does it: preflight OPTIONS answered from the bucket's rules without authentication
// (403 when no rule matches), and Access-Control-* headers added to actual requests whose Origin
// and method match a rule. https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
import { CofferError } from '../../errors/error.js';
import type { BucketRecord, CorsRule } from '../../meta/ports.js';
import type { ReplyHeaders, S3Reply } from './types.js';

const wildcardCache = new Map<string, RegExp>();

/** `*` in AllowedOrigin / AllowedHeader matches any run of characters. */
function wildcard(pattern: string, flags: string): RegExp {
  const cacheKey = flags + pattern;
  let re = wildcardCache.get(cacheKey);
  if (re === undefined) {
    re = new RegExp(
      '^' +
        pattern
          .split('*')
          .map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
          .join('.*') +
        '$',
      flags,
    );
    if (wildcardCache.size > 1000) wildcardCache.clear();
    wildcardCache.set(cacheKey, re);
  }
  return re;
}

const originMatches = (rule: CorsRule, origin: string): string | undefined =>
  rule.allowedOrigins.find(
    (o) => o === '*' || o === origin || (o.includes('*') && wildcard(o, '').test(origin)),
  );

const headerAllowed = (rule: CorsRule, h: string): boolean =>
  rule.allowedHeaders.some(
    (p) => p === '*' || p.toLowerCase() === h || (p.includes('*') && wildcard(p, 'i').test(h)),
  );

/** The first rule allowing this origin, method and request headers (S3 uses the first match). */
export function matchCorsRule(
  rules: readonly CorsRule[],
  origin: string,
  method: string,
  requestHeaders: readonly string[],
): { rule: CorsRule; allowedOrigin: string } | undefined {
  for (const rule of rules) {
    const allowedOrigin = originMatches(rule, origin);
    if (allowedOrigin === undefined) continue;
    if (!rule.allowedMethods.includes(method)) continue;
    if (!requestHeaders.every((h) => headerAllowed(rule, h))) continue;
    return { rule, allowedOrigin };
  }
  return undefined;
}

function ruleHeaders(rule: CorsRule, allowedOrigin: string, origin: string): ReplyHeaders {
  const h: ReplyHeaders = {
    'access-control-allow-origin': allowedOrigin === '*' ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (allowedOrigin !== '*') h['access-control-allow-credentials'] = 'true';
  if (rule.exposeHeaders.length > 0) h['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) h['access-control-max-age'] = rule.maxAgeSeconds;
  return h;
}

/** Headers for an actual (non-preflight) request, or undefined when no rule matches. */
export function corsHeaders(
  bucket: BucketRecord | undefined,
  origin: string | undefined,
  method: string,
): ReplyHeaders | undefined {
  if (origin === undefined || bucket?.cors === undefined) return undefined;
  const m = matchCorsRule(bucket.cors, origin, method, []);
  return m === undefined ? undefined : ruleHeaders(m.rule, m.allowedOrigin, origin);
}

/** Answers a preflight request. */
export function preflight(
  bucket: BucketRecord | undefined,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): S3Reply {
  const origin = headers.origin;
  const method = headers['access-control-request-method'];
  if (typeof origin !== 'string' || typeof method !== 'string') {
    throw new CofferError('InvalidRequest', 'Insufficient information. Origin request header needed.');
  }
  if (bucket === undefined) throw new CofferError('AccessForbidden', 'CORSResponse: Bucket not found');
  if (bucket.cors === undefined || bucket.cors.length === 0) {
    throw new CofferError('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.');
  }
  const raw = headers['access-control-request-headers'];
  const requested =
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter((s) => s !== '')
      : [];
  const m = matchCorsRule(bucket.cors, origin, method, requested);
  if (m === undefined) throw new CofferError('AccessForbidden');
  const h = ruleHeaders(m.rule, m.allowedOrigin, origin);
  if (requested.length > 0) h['access-control-allow-headers'] = requested.join(', ');
  return { status: 200, headers: h };
}
