// The per-request context built once by the HTTP layer and handed to whichever surface claims the
// request (a kernel type so that feature surfaces can take it without depending on http/).
import type { IncomingMessage, ServerResponse } from 'node:http';

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
  readonly query: URLSearchParams;
  /** Header names are lower-case (node's IncomingMessage.headers). */
  readonly headers: IncomingMessage['headers'];
  readonly remoteAddress: string;
  /** True on TLS connections (aws:SecureTransport). */
  readonly secure: boolean;
  readonly host: string;
}
