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
  return new HttpRequestContext(req, res, requestId);
}

// A class, not an object literal with a getter (the lazy query): V8 builds such a literal on its slow
// path (~1.4 µs against ~0.2 µs) and gives each one a hidden class of its own, so every read of a
// context's properties, all along the request path, went megamorphic. As a class: GET and HEAD took
// ~30 % less server CPU (docs/benchmarks.md, session 11).
class HttpRequestContext implements RequestContext {
  readonly receivedAt = new Date();
  readonly method: string;
  readonly rawUrl: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: IncomingMessage['headers'];
  readonly remoteAddress: string;
  readonly secure: boolean;
  readonly host: string;
  private parsedQuery: QueryParams | undefined = undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
  ) {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    this.method = req.method ?? 'GET';
    this.rawUrl = rawUrl;
    this.rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    this.rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    this.headers = req.headers;
    this.remoteAddress = req.socket.remoteAddress ?? '';
    this.secure = (req.socket as { encrypted?: boolean }).encrypted === true;
    this.host = req.headers.host ?? '';
  }

  get query(): QueryParams {
    return (this.parsedQuery ??= new QueryParams(this.rawQuery));
  }
}
