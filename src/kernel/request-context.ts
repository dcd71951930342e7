// The per-request context built once by the HTTP layer and handed to whichever surface claims the
// request (a kernel type so that feature surfaces can take it without depending on http/).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { QueryParams } from './query.js';

export interface RequestContext {
  readonly requestId: string;
  readonly receivedAt: Date;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** The request target exactly as sent (path + '?' + query), for signature canonicalisation. */
  readonly rawUrl: string;
  /** Raw (still percent-encoded) path. */
  readonly rawPath: string;
  /** Raw query string without '?', possibly empty. */
  readonly rawQuery: string;
  /** Decoded query parameters (first value wins for `get`). */
  readonly query: QueryParams;
  /** Header names are lower-case (node's IncomingMessage.headers). */
  readonly headers: IncomingMessage['headers'];
  readonly remoteAddress: string;
  /** True on TLS connections (aws:SecureTransport). */
  readonly secure: boolean;
  readonly host: string;
}

/**
 * Builds the context of one request: the raw target split once into path and query (kept exactly
 * as sent, for SigV4), the decoded query parsed lazily (most object GETs have none).
 */
export function createRequestContext(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
): RequestContext {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
  let query: QueryParams | undefined;
  return {
    requestId,
    receivedAt: new Date(),
    req,
    res,
    method: req.method ?? 'GET',
    rawUrl,
    rawPath: q < 0 ? rawUrl : rawUrl.slice(0, q),
    rawQuery,
    get query() {
      return (query ??= new QueryParams(rawQuery));
    },
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress ?? '',
    secure: (req.socket as { encrypted?: boolean }).encrypted === true,
    host: req.headers.host ?? '',
  };
}
