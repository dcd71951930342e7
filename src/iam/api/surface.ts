// The thin HTTP glue of the IAM query API: read the form body (through the verifying body wrapper)
// merged with query parameters, hand them to handleIamAction, write the XML reply. http/ mounts it
// for requests whose SigV4 scope names the service `iam`.
import type { Readable } from 'node:stream';
import type { AuthenticatedRequest, SignedRequest } from '../../auth/types.js';
import { CofferError } from '../../errors/error.js';
import type { RequestContext } from '../../kernel/request-context.js';
import { errorReply, handleIamAction, type IamApiDeps, type IamReply } from './actions.js';

export interface IamSurfaceDeps extends IamApiDeps {
  /** Verifies the signature (throws CofferError); errors are answered in the IAM wire format. */
  authenticate: (req: SignedRequest) => AuthenticatedRequest;
  /** Largest form body accepted (config.maxXmlBodySize). */
  maxBodySize: number;
  /** Called once per request after the reply is written (audit, metrics). */
  onComplete?: (event: {
    requestId: string;
    action: string | undefined;
    status: number;
    errorCode: string | undefined;
    principalArn: string | undefined;
    accessKeyId: string | undefined;
    decision: IamReply['decision'];
    /** Body bytes sent. */
    bytesOut: number;
  }) => void;
}

export type IamSurface = (ctx: RequestContext) => Promise<void>;

/** Reads a bounded body; the wrapper verifies the signed payload hash and fails the stream if it differs. */
export async function readBody(body: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    if (size > max) throw new CofferError('MaxMessageLengthExceeded', 'The request body is too large.');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Query parameters, overridden by a form-encoded POST body (how the SDKs and the CLI send IAM calls). */
export async function iamParams(
  ctx: RequestContext,
  authn: AuthenticatedRequest,
  maxBodySize: number,
): Promise<URLSearchParams> {
  const params = new URLSearchParams(ctx.query);
  if (ctx.method === 'POST' || ctx.method === 'PUT') {
    const text = await readBody(authn.wrapBody(ctx.req), maxBodySize);
    for (const [k, v] of new URLSearchParams(text)) params.set(k, v);
  }
  return params;
}

/** Condition keys of the request itself, for `iam:` decisions. */
export function requestContext(ctx: RequestContext): Record<string, string> {
  const ua = ctx.headers['user-agent'];
  return {
    'aws:SourceIp': ctx.remoteAddress.replace(/^::ffff:/, ''),
    'aws:SecureTransport': String(ctx.secure),
    'aws:CurrentTime': ctx.receivedAt.toISOString(),
    'aws:EpochTime': String(Math.floor(ctx.receivedAt.getTime() / 1000)),
    ...(typeof ua === 'string' ? { 'aws:UserAgent': ua } : {}),
  };
}

/** Writes the reply; returns the body length (the audit event's bytesOut). */
export function writeIamReply(ctx: RequestContext, reply: IamReply): number {
  const body = Buffer.from(reply.xml, 'utf8');
  ctx.res.writeHead(reply.status, {
    'x-amz-request-id': ctx.requestId,
    Server: 'Coffer',
    'content-type': 'text/xml',
    'content-length': String(body.length),
    'x-amzn-requestid': ctx.requestId,
  });
  ctx.res.end(body);
  return ctx.method === 'HEAD' || reply.status === 204 || reply.status === 304 ? 0 : body.length;
}

export function createIamSurface(deps: IamSurfaceDeps): IamSurface {
  return async function iam(ctx) {
    let reply: IamReply;
    let principal: AuthenticatedRequest['auth']['principal'] | undefined;
    try {
      const authn = deps.authenticate({
        method: ctx.method,
        rawPath: ctx.rawPath,
        rawQuery: ctx.rawQuery,
        headers: ctx.headers,
      });
      // The IAM API has no anonymous access (AWS: MissingAuthenticationToken → 403).
      principal = authn.auth.principal;
      if (authn.auth.principal.kind === 'anonymous')
        throw new CofferError('AccessDenied', 'Request is not signed.');
      const params = await iamParams(ctx, authn, deps.maxBodySize);
      reply = await handleIamAction(deps, authn.auth.principal, params, ctx.requestId, requestContext(ctx));
    } catch (e) {
      reply = errorReply(e, ctx.requestId);
    }
    const bytesOut = writeIamReply(ctx, reply);
    deps.onComplete?.({
      requestId: ctx.requestId,
      bytesOut,
      action: reply.action,
      status: reply.status,
      errorCode: reply.errorCode,
      principalArn: principal === undefined || principal.kind === 'anonymous' ? undefined : principal.arn,
      accessKeyId:
        principal === undefined || principal.kind === 'anonymous' ? undefined : principal.accessKeyId,
      decision: reply.decision,
    });
  };
}
