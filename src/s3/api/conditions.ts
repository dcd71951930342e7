// The condition context of an S3 request: the global keys (aws:SourceIp, aws:SecureTransport, times,
// principal, s3:authType, s3:signatureversion …) plus the keys the operation table says the
// operation contributes (s3:prefix, s3:x-amz-acl …).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
import type { AuthInfo } from '../../auth/principal.js';
import type { RequestContext } from '../../kernel/request-context.js';
import type { Tag } from '../../meta/ports.js';
import type { Operation } from '../operations.js';

type Context = Record<string, string | string[]>;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function principalType(kind: AuthInfo['principal']['kind']): string {
  switch (kind) {
    case 'anonymous':
      return 'Anonymous';
    case 'root':
      return 'Account';
    case 'user':
    case 'service-account':
      return 'User';
    case 'session':
      return 'AssumedRole';
  }
}

function taggingHeader(ctx: RequestContext): [string, string][] {
  const v = first(ctx.headers['x-amz-tagging']);
  return v === undefined ? [] : [...new URLSearchParams(v)];
}

/** Extracts one operation-specific key; undefined when the request does not carry it. */
function addOperationKey(
  ctx: RequestContext,
  name: string,
  out: Context,
  existingTags: readonly Tag[] | undefined,
): void {
  const q = ctx.query;
  switch (name) {
    case 's3:prefix': {
      const v = q.get('prefix');
      if (v !== null) out[name] = v;
      return;
    }
    case 's3:delimiter': {
      const v = q.get('delimiter');
      if (v !== null) out[name] = v;
      return;
    }
    case 's3:max-keys': {
      const v = q.get('max-keys');
      if (v !== null) out[name] = v;
      return;
    }
    case 's3:ExistingObjectTag/<key>':
      // The object's current tags (loaded by the surface before deciding); absent object, no keys.
      for (const t of existingTags ?? []) out[`s3:ExistingObjectTag/${t.key}`] = t.value;
      return;
    case 's3:RequestObjectTag/<key>':
      for (const [k, v] of taggingHeader(ctx)) out[`s3:RequestObjectTag/${k}`] = v;
      return;
    case 's3:RequestObjectTagKeys': {
      const keys = taggingHeader(ctx).map(([k]) => k);
      if (keys.length > 0) out[name] = keys;
      return;
    }
    case 's3:LocationConstraint':
      // Known only after the body is parsed; CreateBucket checks the region itself.
      return;
    default: {
      // s3:x-amz-acl, s3:x-amz-copy-source, s3:x-amz-metadata-directive, s3:x-amz-storage-class …
      const v = first(ctx.headers[name.slice(3)]);
      if (v !== undefined) out[name] = v;
    }
  }
}

export function conditionContext(
  ctx: RequestContext,
  info: AuthInfo,
  op: Operation,
  existingTags?: readonly Tag[],
): Context {
  const p = info.principal;
  const ip = ctx.remoteAddress.startsWith('::ffff:') ? ctx.remoteAddress.slice(7) : ctx.remoteAddress;
  const out: Context = {
    'aws:SourceIp': ip,
    'aws:SecureTransport': ctx.secure ? 'true' : 'false',
    'aws:CurrentTime': ctx.receivedAt.toISOString(),
    'aws:EpochTime': String(Math.floor(ctx.receivedAt.getTime() / 1000)),
    'aws:PrincipalType': principalType(p.kind),
    's3:authType':
      info.authType === 'presigned'
        ? 'REST-QUERY-STRING'
        : info.authType === 'post-policy'
          ? 'POST'
          : 'REST-HEADER',
  };
  if (info.signatureVersion !== 'none') {
    out['s3:signatureversion'] = info.signatureVersion === 'AWS2' ? 'AWS' : info.signatureVersion;
  }
  const ua = first(ctx.headers['user-agent']);
  if (ua !== undefined) out['aws:UserAgent'] = ua;
  const referer = first(ctx.headers.referer);
  if (referer !== undefined) out['aws:Referer'] = referer;
  // How old the signature is (ms): AWS's way to cap how long a presigned URL may be used, whatever
  // its X-Amz-Expires says.
  if (info.signedAt !== undefined) {
    out['s3:signatureAge'] = String(Math.max(0, ctx.receivedAt.getTime() - info.signedAt));
  }
  const sha = first(ctx.headers['x-amz-content-sha256']);
  if (sha !== undefined) out['s3:x-amz-content-sha256'] = sha;
  if (p.kind !== 'anonymous') {
    out['aws:PrincipalAccount'] = p.accountId;
    out['aws:PrincipalArn'] = p.arn;
    if (p.kind === 'root') out['aws:userid'] = p.accountId;
    else {
      out['aws:userid'] = p.userId;
      out['aws:username'] = p.userName;
    }
  }
  for (const k of op.conditionKeys) addOperationKey(ctx, k, out, existingTags);
  return out;
}
