// The pure S3 resolver: (method, raw path, query, headers, host, domain) → which operation on which
// bucket and key, or a CofferError. No I/O, no clock. Path-style `/bucket/key` and virtual-hosted
// `bucket.<domain>`; the key is percent-decoded exactly once from the raw path (S3 never normalises it).
import { CofferError } from '../errors/error.js';
import type { ReadonlyQuery } from '../kernel/query.js';
import {
  operations,
  subresourceKeys,
  unsupportedSubresources,
  type HttpMethod,
  type Level,
  type Operation,
} from './operations.js';

export interface CopySource {
  bucket: string;
  key: string;
  /** `null` is the only version an unversioned bucket has. */
  versionId?: string;
}

export interface ResolvedRequest {
  op: Operation;
  bucket?: string;
  key?: string;
  copySource?: CopySource;
  /** True when the bucket came from the Host header. */
  virtualHosted: boolean;
}

export interface ResolveInput {
  method: string;
  rawPath: string;
  query: ReadonlyQuery;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  host: string;
  /** Configured base domain for virtual-hosted style, if any. */
  domain?: string | undefined;
}

/** S3 limits keys to 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

const methods: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS']);

function decode(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new CofferError('InvalidURI');
  }
}

/** The bucket named by a virtual-hosted Host header, if the host is `<bucket>.<domain>`. */
export function bucketFromHost(host: string, domain: string | undefined): string | undefined {
  if (domain === undefined || domain === '' || host === '') return undefined;
  let h = host.toLowerCase();
  // Strip the port (IPv6 literals are never virtual-hosted, so a simple split is enough).
  const colon = h.lastIndexOf(':');
  if (colon !== -1 && !h.includes(']')) h = h.slice(0, colon);
  const d = domain.toLowerCase();
  if (h.length > d.length + 1 && h.endsWith(d) && h.charCodeAt(h.length - d.length - 1) === 46 /* . */) {
    return h.slice(0, h.length - d.length - 1);
  }
  return undefined;
}

function header(headers: ResolveInput['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optionally `?versionId=…`.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#API_CopyObject_RequestSyntax
 */
export function parseCopySource(value: string): CopySource {
  let raw = value;
  let versionId: string | undefined;
  const q = raw.indexOf('?');
  if (q !== -1) {
    const params = new URLSearchParams(raw.slice(q + 1));
    const v = params.get('versionId');
    if (v !== null) versionId = v;
    raw = raw.slice(0, q);
  }
  const decoded = decode(raw);
  const path = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw new CofferError(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      { extra: { ArgumentName: 'x-amz-copy-source', ArgumentValue: value } },
    );
  }
  const out: CopySource = { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
  if (versionId !== undefined) out.versionId = versionId;
  return out;
}

/**
 * How well `op` fits the request: -1 when it does not, else higher for more specific rows. Without
 * `headers`, a row's required header is taken as present (the Allow header asks about the resource,
 * not about this request's headers).
 */
function matches(
  op: Operation,
  query: ReadonlyQuery,
  present: readonly string[],
  headers: ResolveInput['headers'] | undefined,
): number {
  let score = 0;
  const sub: string | undefined = 'subresource' in op ? op.subresource : undefined;
  const also: string | undefined = 'also' in op ? op.also : undefined;
  if (sub !== undefined) {
    const v = query.get(sub);
    if (v === null) return -1;
    if ('subresourceValue' in op && v !== op.subresourceValue) return -1;
    score += 2;
  }
  if (also !== undefined) {
    if (!query.has(also)) return -1;
    score += 1;
  }
  // Every operation-selecting key in the query must be one this operation uses.
  for (const k of present) if (k !== sub && k !== also) return -1;
  if ('header' in op) {
    if (headers !== undefined && header(headers, op.header) === undefined) return -1;
    score += 1;
  }
  return score;
}

/** The operation table by level, then method: a request looks only at its candidates. */
const byLevel = new Map<Level, Map<string, Operation[]>>();
for (const op of operations) {
  let methodsOf = byLevel.get(op.level);
  if (methodsOf === undefined) byLevel.set(op.level, (methodsOf = new Map<string, Operation[]>()));
  const list = methodsOf.get(op.method);
  if (list === undefined) methodsOf.set(op.method, [op]);
  else list.push(op);
}
const noOperations: readonly Operation[] = [];
const methodOrder: readonly HttpMethod[] = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS'];

/**
 * The Allow header of a 405: every method some row of the table serves for this level and these
 * sub-resources (NotImplemented rows included: those methods are answered 501, not 405). Empty when
 * no method is (e.g. an object URL with a bucket-only sub-resource), which RFC 9110 §10.2.1 allows.
 */
export function allowedMethods(level: Level, query: ReadonlyQuery, present: readonly string[]): string {
  const methodsOf = byLevel.get(level);
  return methodOrder
    .filter((m) =>
      (methodsOf?.get(m) ?? noOperations).some((op) => matches(op, query, present, undefined) >= 0),
    )
    .join(', ');
}

export function resolve(input: ResolveInput): ResolvedRequest {
  const { method, query, headers } = input;
  let rawPath = input.rawPath === '' ? '/' : input.rawPath;
  if (rawPath.charCodeAt(0) !== 47 /* / */) rawPath = '/' + rawPath;

  let bucket: string | undefined;
  let rawKey: string | undefined;
  const hostBucket = bucketFromHost(input.host, input.domain);
  if (hostBucket !== undefined) {
    bucket = hostBucket;
    rawKey = rawPath.length > 1 ? rawPath.slice(1) : undefined;
  } else {
    const slash = rawPath.indexOf('/', 1);
    if (slash === -1) {
      if (rawPath.length > 1) bucket = decode(rawPath.slice(1));
    } else {
      bucket = decode(rawPath.slice(1, slash));
      if (slash + 1 < rawPath.length) rawKey = rawPath.slice(slash + 1);
    }
  }
  const key = rawKey === undefined ? undefined : decode(rawKey);
  const level: Level =
    bucket === undefined || bucket === '' ? 'service' : key === undefined ? 'bucket' : 'object';

  if (!methods.has(method)) {
    throw new CofferError('NotImplemented', `The ${method} method is not implemented.`);
  }

  // Which operation-selecting query keys are present (list-type counts only as `list-type=2`).
  const present: string[] = [];
  for (const k of query.keys()) {
    if (subresourceKeys.has(k) && !present.includes(k)) present.push(k);
  }
  for (const k of present) {
    if (unsupportedSubresources.includes(k)) {
      throw new CofferError('NotImplemented', `The ${k} sub-resource is not implemented.`);
    }
  }

  let best: Operation | undefined;
  let bestScore = -1;
  const sameLevel = byLevel.has(level);
  for (const op of byLevel.get(level)?.get(method) ?? noOperations) {
    const s = matches(op, query, present, headers);
    if (s > bestScore) {
      best = op;
      bestScore = s;
    }
  }
  if (best === undefined) {
    // A known sub-resource with the wrong method (PUT /bucket?uploads, GET /bucket?delete) or a method
    // the level never takes (POST /bucket/key): MethodNotAllowed, naming the methods that do apply.
    const resourceType = present.length > 0 ? (present[0] ?? '') : level.toUpperCase();
    if (present.length === 0 && !sameLevel) {
      throw new CofferError('NotImplemented', undefined, {
        extra: { Method: method, ResourceType: resourceType },
      });
    }
    throw new CofferError('MethodNotAllowed', undefined, {
      extra: { Method: method, ResourceType: resourceType },
      headers: { Allow: allowedMethods(level, query, present) },
    });
  }
  if (!best.supported) {
    throw new CofferError('NotImplemented', `${best.name} is not implemented.`);
  }

  if (key !== undefined && Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new CofferError('KeyTooLongError', undefined, {
      extra: { Size: String(Buffer.byteLength(key)), MaxSizeAllowed: String(MAX_KEY_BYTES) },
    });
  }

  const out: ResolvedRequest = { op: best, virtualHosted: hostBucket !== undefined };
  if (bucket !== undefined && bucket !== '') out.bucket = bucket;
  if (key !== undefined) out.key = key;
  if ('header' in best && best.header === 'x-amz-copy-source') {
    out.copySource = parseCopySource(header(headers, 'x-amz-copy-source') ?? '');
  }
  return out;
}
