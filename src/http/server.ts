// The HTTP edge: one listener (HTTP or HTTPS) for every surface. It builds the RequestContext once
// (whose requestId every reply carries as x-amz-request-id; S3-style replies also carry x-amz-id-2,
// which the IAM and STS query APIs do not send), hands the request to the surface that claims it, answers health checks,
// turns transport-level failures (oversized headers, timeouts) into S3 errors, and drains on shutdown.
import http from 'node:http';
import https from 'node:https';
import { readFileSync, watchFile, unwatchFile } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { createRequestContext, type RequestContext } from '../kernel/request-context.js';
import { hostIdOf, newRequestId } from '../kernel/ids.js';
import type { Logger } from '../kernel/log.js';
import { CofferError } from '../errors/error.js';
import { errorXml } from '../s3/api/responder.js';

/** A surface serves a request end to end (it writes the reply itself). */
export type Surface = (ctx: RequestContext) => Promise<void>;

export interface HttpServerOptions {
  address: string;
  port: number;
  tls?: { certPath: string; keyPath: string };
  log: Logger;
  /** Picks the surface for a request; called after health/metrics paths are ruled out. */
  route: (ctx: RequestContext) => Surface;
  /**
   * Called when a routed request's response has closed (answered, or the client went away). One
   * listener per request serves both the drain count and this hook: a listener costs a closure and
   * an emitter slot on every request.
   */
  onClose?: (ctx: RequestContext) => void;
  /** Extra unauthenticated GET endpoints (e.g. /metrics). */
  ops?: Record<string, (ctx: RequestContext) => void>;
  /** Max bytes of request headers (S3 allows 8 KiB; we allow 16 KiB, node's default). */
  maxHeaderSize?: number;
  /** An idle socket (no bytes either way) is closed after this many ms. */
  idleTimeoutMs?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes every socket. */
  close(graceMs?: number): Promise<void>;
}

const hasCredentials = (ctx: RequestContext): boolean =>
  ctx.headers.authorization !== undefined ||
  ctx.rawQuery.includes('X-Amz-Signature=') ||
  ctx.rawQuery.includes('Signature=');

export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const { log } = options;
  let ready = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const sockets = new Set<Socket>();

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const requestId = newRequestId();
    const ctx = createRequestContext(req, res, requestId);
    const rawPath = ctx.rawPath;
    // No res.setHeader here: every reply sets x-amz-request-id (x-amz-id-2 too, but on IAM/STS replies)
    // and Server in its one writeHead, which keeps node on its fast path (headers given only to
    // writeHead are not stored per name).

    if (ctx.method === 'GET' && !hasCredentials(ctx)) {
      if (rawPath === '/health/live') return void plain(ctx, 200, 'ok\n');
      if (rawPath === '/health/ready')
        return void plain(ctx, ready ? 200 : 503, ready ? 'ready\n' : 'starting\n');
      const op = options.ops?.[rawPath];
      if (op) {
        // An operations endpoint that throws answers 500; it must not take the server down.
        try {
          return void op(ctx);
        } catch (e) {
          return void fail(ctx, e, options.log);
        }
      }
    }

    inFlight++;
    const onClose = options.onClose;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0 && drained) drained();
      onClose?.(ctx);
    });
    let surface: Surface;
    try {
      surface = options.route(ctx);
    } catch (err) {
      return void fail(ctx, err, log);
    }
    surface(ctx).catch((err: unknown) => fail(ctx, err, log));
  };

  const server: http.Server = options.tls
    ? https.createServer(
        { ...readTls(options.tls), maxHeaderSize: options.maxHeaderSize ?? 16 * 1024 },
        handler,
      )
    : http.createServer({ maxHeaderSize: options.maxHeaderSize ?? 16 * 1024 }, handler);

  // Large uploads may legitimately take long: no overall request deadline, but an idle socket is
  // closed (S3's RequestTimeout), and headers must arrive promptly.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.setTimeout(options.idleTimeoutMs ?? 120_000, (socket: Socket) => {
    socket.end(transportError('RequestTimeout'));
    socket.destroy();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return void socket.destroy();
    // Headers that never finished arriving (headersTimeout) are a timeout, as S3 says (RequestTimeout).
    const code =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? 'RequestHeaderSectionTooLarge'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADERS_TIMEOUT'
          ? 'RequestTimeout'
          : 'InvalidRequest';
    socket.end(transportError(code));
  });

  if (options.tls) {
    const tls = options.tls;
    const reload = (): void => {
      try {
        (server as https.Server).setSecureContext(readTls(tls));
        log.info('TLS certificate reloaded');
      } catch (err) {
        log.error('TLS certificate reload failed; keeping the previous one', { err });
      }
    };
    watchFile(tls.certPath, { interval: 2000 }, reload);
    watchFile(tls.keyPath, { interval: 2000 }, reload);
    server.once('close', () => {
      unwatchFile(tls.certPath);
      unwatchFile(tls.keyPath);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  ready = true;
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${addr.port}`;

  return {
    url,
    port: addr.port,
    async close(graceMs = 30_000) {
      ready = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
        ]);
      }
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

function readTls(tls: { certPath: string; keyPath: string }): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) };
}

function plain(ctx: RequestContext, status: number, body: string): void {
  ctx.res.writeHead(status, {
    'x-amz-request-id': ctx.requestId,
    'x-amz-id-2': hostIdOf(ctx.requestId),
    Server: 'Coffer',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  ctx.res.end(body);
}

/** A raw HTTP/1.1 error reply for failures before a request object exists. */
function transportError(code: 'RequestHeaderSectionTooLarge' | 'InvalidRequest' | 'RequestTimeout'): string {
  const err = new CofferError(code);
  const requestId = newRequestId();
  const body = errorXml(err, '', requestId);
  return (
    `HTTP/1.1 ${err.status} ${http.STATUS_CODES[err.status] ?? ''}\r\n` +
    `x-amz-request-id: ${requestId}\r\nx-amz-id-2: ${hostIdOf(requestId)}\r\nServer: Coffer\r\n` +
    `Content-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** Last-resort error reply when a surface throws instead of answering. */
function fail(ctx: RequestContext, err: unknown, log: Logger): void {
  const e = err instanceof CofferError ? err : new CofferError('InternalError');
  if (!(err instanceof CofferError)) log.error('unhandled error', { requestId: ctx.requestId, err });
  const { res } = ctx;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = ctx.method === 'HEAD' ? '' : errorXml(e, ctx.rawPath, ctx.requestId);
  // A rare path: through setHeader, so the audit tracker's fallback can read Content-Length back.
  res.setHeader('x-amz-request-id', ctx.requestId);
  res.setHeader('x-amz-id-2', hostIdOf(ctx.requestId));
  res.setHeader('Server', 'Coffer');
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  for (const [name, value] of Object.entries(e.headers)) res.setHeader(name, value);
  res.writeHead(e.status);
  res.end(body);
}
