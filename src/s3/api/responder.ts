// The one place that writes S3 replies: success values from handlers (headers in a single writeHead,
// then a body or a piped stream) and errors as S3 XML
// (`<Error><Code/><Message/>…<Resource/><RequestId/><HostId/></Error>`), with HEAD and 304 replies
// bodiless, and x-amz-request-id and x-amz-id-2 (the HostId) on every reply.
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#RESTErrorResponses
import { pipeline } from 'node:stream';
import { CofferError, isCofferError } from '../../errors/error.js';
import { hostIdOf } from '../../kernel/ids.js';
import type { RequestContext } from '../../kernel/request-context.js';
import { XML_DECL, el, esc } from '../xml.js';
import type { LogEvent, ReplyHeaders, S3Reply } from './types.js';

export function writeReply(
  ctx: RequestContext,
  reply: S3Reply,
  extra: ReplyHeaders | undefined,
): Promise<void> {
  const { res } = ctx;
  const headers = reply.headers;
  headers['x-amz-request-id'] = ctx.requestId;
  headers['x-amz-id-2'] = hostIdOf(ctx.requestId);
  headers.Server = 'Coffer';
  if (extra !== undefined) Object.assign(headers, extra);
  const blob = reply.blob;
  if (blob !== undefined) {
    res.writeHead(reply.status, headers);
    if (ctx.method === 'HEAD') {
      blob.reader.close();
      res.end();
      return Promise.resolve();
    }
    const r = blob.range;
    return r === undefined ? blob.reader.sendTo(res) : blob.reader.sendTo(res, r.start, r.end);
  }
  if (reply.stream !== undefined) {
    const stream = reply.stream;
    res.writeHead(reply.status, headers);
    if (ctx.method === 'HEAD') {
      stream.destroy();
      res.end();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      // pipeline propagates backpressure and destroys both ends on error (a client that goes away
      // closes the file descriptor; a read error cuts the connection, as the length is already sent).
      pipeline(stream, res, () => resolve());
    });
  }
  // A string body (XML) is encoded once here: measuring its UTF-8 length and then writing it would
  // walk it twice, after flattening it (a 1000-key listing is a ~200 KB string built by appends).
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  if (body !== undefined && headers['content-length'] === undefined) headers['content-length'] = body.length;
  res.writeHead(reply.status, headers);
  if (body === undefined || ctx.method === 'HEAD') res.end();
  else res.end(body);
  return Promise.resolve();
}

/**
 * Body bytes a reply declares (its Content-Length once writeReply has filled it in); none for HEAD,
 * 204 and 304. The audit event's bytesOut.
 */
export function declaredBytes(ctx: RequestContext, status: number, headers: ReplyHeaders): number {
  if (ctx.method === 'HEAD' || status === 204 || status === 304) return 0;
  const n = Number(headers['content-length']);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

export function errorXml(err: CofferError, resource: string, requestId: string): string {
  let extra = '';
  for (const [k, v] of Object.entries(err.extra)) extra += el(k, v);
  return (
    `${XML_DECL}<Error><Code>${err.code}</Code><Message>${esc(err.message)}</Message>${extra}` +
    `<Resource>${esc(resource)}</Resource><RequestId>${esc(requestId)}</RequestId>` +
    `<HostId>${esc(hostIdOf(requestId))}</HostId></Error>`
  );
}

/** Writes an error reply (and says how many body bytes it declared: none if a reply was already under way); anything that is not a CofferError becomes InternalError and is logged. */
export function writeError(
  ctx: RequestContext,
  error: unknown,
  extra: ReplyHeaders | undefined,
  log: ((e: LogEvent) => void) | undefined,
  operation?: string,
): { error: CofferError; bytesOut: number | undefined } {
  let err: CofferError;
  if (isCofferError(error)) err = error;
  else {
    err = new CofferError('InternalError');
    const event: LogEvent = { level: 'error', msg: 'internal error', requestId: ctx.requestId, err: error };
    if (operation !== undefined) event.operation = operation;
    log?.(event);
  }
  const { res } = ctx;
  if (res.headersSent) {
    // Too late for an error document: cut the connection so the client sees a short body.
    res.destroy();
    return { error: err, bytesOut: undefined };
  }
  const headers: ReplyHeaders = {
    'x-amz-request-id': ctx.requestId,
    'x-amz-id-2': hostIdOf(ctx.requestId),
    Server: 'Coffer',
  };
  Object.assign(headers, err.headers);
  if (extra !== undefined) Object.assign(headers, extra);
  if (ctx.method === 'HEAD' || err.status === 304) {
    res.writeHead(err.status, headers);
    res.end();
    return { error: err, bytesOut: 0 };
  }
  const body = errorXml(err, safeDecode(ctx.rawPath), ctx.requestId);
  headers['content-type'] = 'application/xml';
  headers['content-length'] = Buffer.byteLength(body);
  res.writeHead(err.status, headers);
  res.end(body);
  return { error: err, bytesOut: declaredBytes(ctx, err.status, headers) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
