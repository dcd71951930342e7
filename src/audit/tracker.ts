// The per-request accumulator that turns the surfaces' hooks into one AuditEvent per request:
// begin(ctx, api) when the request is routed, decision(…) for each authorisation, complete(…) once the
// reply is written. A request that never completes (surface threw) is still emitted when its
// response closes, so every routed request produces exactly one event.
import { performance } from 'node:perf_hooks';
import type { RequestContext } from '../kernel/request-context.js';
import type { AuditApi, AuditAuthType, AuditDecision, AuditEvent, AuditStatement } from './event.js';

/** Structurally the S3 surface's DecisionEvent (src/s3/api/types.ts). */
export interface DecisionInput {
  requestId: string;
  action: string;
  resource: string;
  principalArn?: string | undefined;
  effect: AuditDecision;
  statement?: AuditStatement | undefined;
}

/**
 * What a surface knows when it has answered: the S3 CompletionEvent and the IAM surface's event both
 * fit. The optional fields override what the tracker infers from the request.
 */
export interface CompletionInput {
  requestId: string;
  /** S3 operation name. */
  operation?: string | undefined;
  /** IAM/STS action name (used when operation is absent). */
  action?: string | undefined;
  bucket?: string | undefined;
  key?: string | undefined;
  status: number;
  errorCode?: string | undefined;
  principalArn?: string | undefined;
  accessKeyId?: string | undefined;
  tenant?: string | undefined;
  authType?: AuditAuthType | undefined;
  /** Body bytes actually read / written, when the surface counts them. */
  bytesIn?: number | undefined;
  bytesOut?: number | undefined;
}

export interface AuditTracker {
  /** Call once per routed request (e.g. in the route function), before the surface runs. */
  begin(ctx: RequestContext, api: AuditApi): void;
  /**
   * Call when the request's response has closed (HttpServerOptions.onClose): a request whose
   * surface never reported completion (it threw, the client left) is emitted then.
   */
  closed(ctx: RequestContext): void;
  decision(event: DecisionInput): void;
  complete(event: CompletionInput): void;
  /** Requests begun and not yet emitted. */
  pending(): number;
}

interface Pending {
  ctx: RequestContext;
  api: AuditApi;
  start: number;
  authType: AuditAuthType;
  decision: DecisionInput | undefined;
}

const USER_AGENT_MAX = 512;

/*
 * Date.toISOString costs ~1 µs, on every request; the part up to the second is the same for all the
 * requests of that second, so it is kept and only the milliseconds are appended.
 */
let isoSecond = -1;
let isoPrefix = '';
export function isoMillis(d: Date): string {
  const ms = d.getTime();
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = d.toISOString().slice(0, 20);
  }
  const m = ms - second * 1000;
  return isoPrefix + (m < 10 ? '00' : m < 100 ? '0' : '') + m + 'Z';
}

export function createAuditTracker(emit: (event: AuditEvent) => void): AuditTracker {
  const open = new Map<string, Pending>();

  const finish = (p: Pending, c: CompletionInput | undefined): void => {
    open.delete(p.ctx.requestId);
    const { ctx } = p;
    const status = c?.status ?? ctx.res.statusCode;
    const d = p.decision;
    const principalArn = c?.principalArn ?? d?.principalArn ?? null;
    const ua = ctx.headers['user-agent'];
    emit({
      version: 1,
      time: isoMillis(ctx.receivedAt),
      requestId: ctx.requestId,
      tenant: c?.tenant ?? accountOf(principalArn),
      principalArn,
      accessKeyId: c?.accessKeyId ?? null,
      authType: c?.authType ?? p.authType,
      sourceIp: ctx.remoteAddress.startsWith('::ffff:') ? ctx.remoteAddress.slice(7) : ctx.remoteAddress,
      userAgent: typeof ua === 'string' ? ua.slice(0, USER_AGENT_MAX) : null,
      api: p.api,
      operation: c?.operation ?? c?.action ?? null,
      bucket: c?.bucket ?? null,
      key: c?.key ?? null,
      action: d?.action ?? null,
      resource: d?.resource ?? null,
      decision: d?.effect ?? null,
      statement: d?.statement ?? null,
      status,
      errorCode: c?.errorCode ?? null,
      bytesIn: c?.bytesIn ?? bytesIn(ctx, status),
      bytesOut: c?.bytesOut ?? bytesOut(ctx, status),
      latencyMs: Math.round((performance.now() - p.start) * 1000) / 1000,
    });
  };

  return {
    begin(ctx, api) {
      const p: Pending = {
        ctx,
        api,
        start: performance.now(),
        authType: inferAuthType(ctx),
        decision: undefined,
      };
      open.set(ctx.requestId, p);
    },
    closed(ctx) {
      // Most requests have completed before their reply closes: those need no deferred check.
      const p = open.get(ctx.requestId);
      if (p === undefined) return;
      // Deferred a turn: the surface's own completion may run right after the reply closes.
      setImmediate(() => {
        if (open.get(ctx.requestId) === p) finish(p, undefined);
      });
    },
    decision(e) {
      const p = open.get(e.requestId);
      if (p === undefined) return;
      // The deciding authorisation: the first denial (it ends the request), else the last allow.
      if (p.decision === undefined || p.decision.effect === 'allow') p.decision = e;
    },
    complete(c) {
      const p = open.get(c.requestId);
      if (p !== undefined) finish(p, c);
    },
    pending: () => open.size,
  };
}

/** Account id from an IAM/STS ARN (arn:aws:iam::123456789012:user/x → 123456789012). */
export function accountOf(arn: string | null): string | null {
  if (arn === null) return null;
  const parts = arn.split(':', 6);
  return parts.length >= 6 && parts[4] !== '' ? (parts[4] ?? null) : null;
}

/** How the caller authenticated, from the request alone (the surface may report it exactly). */
export function inferAuthType(ctx: RequestContext): AuditAuthType {
  if (ctx.headers.authorization !== undefined) return 'header';
  const q = ctx.rawQuery;
  if (q.includes('X-Amz-Signature=') || q.includes('Signature=')) return 'presigned';
  const ct = ctx.headers['content-type'];
  if (ctx.method === 'POST' && typeof ct === 'string' && ct.startsWith('multipart/form-data'))
    return 'post-policy';
  return 'anonymous';
}

const num = (v: string | string[] | number | undefined): number => {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) && n > 0 ? n : 0;
};

/** Body bytes accepted: the declared (decoded) length of a request that succeeded, else 0. */
function bytesIn(ctx: RequestContext, status: number): number {
  if (status >= 300) return 0;
  return num(ctx.headers['x-amz-decoded-content-length'] ?? ctx.headers['content-length']);
}

/**
 * Body bytes sent, for surfaces that do not report them (the S3 and IAM surfaces do): the reply's
 * Content-Length, none for HEAD/204/304. getHeader() sees only headers set through setHeader() (as
 * http/server.ts's last-resort error reply does), not those given to writeHead() alone.
 */
function bytesOut(ctx: RequestContext, status: number): number {
  if (ctx.method === 'HEAD' || status === 204 || status === 304) return 0;
  return num(ctx.res.getHeader('content-length'));
}
