// The audit log against real files and a real local HTTP receiver: JSONL output and redaction,
// webhook batching, retry after 5xx, drops when the receiver is down, Splunk HEC shape, and the
// per-request tracker fed from a real HTTP exchange.
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditLog, createAuditTracker, redact, redactString, type AuditEvent } from './index.js';
import { createRequestContext, type RequestContext } from '../kernel/request-context.js';
import { isoMillis } from './tracker.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let seq = 0;
function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  seq++;
  return {
    version: 1,
    time: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678)).toISOString(),
    requestId: `REQ${String(seq).padStart(6, '0')}`,
    tenant: '000000000000',
    principalArn: 'arn:aws:iam::000000000000:user/alice',
    accessKeyId: 'AKIAEXAMPLE',
    authType: 'header',
    sourceIp: '127.0.0.1',
    userAgent: 'aws-sdk-js/3',
    api: 's3',
    operation: 'GetObject',
    bucket: 'b',
    key: 'k',
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::b/k',
    decision: 'allow',
    statement: { policy: 'arn:aws:iam::000000000000:policy/p', version: 'v1', sid: 'S1', index: 0 },
    status: 200,
    errorCode: null,
    bytesIn: 0,
    bytesOut: 5,
    latencyMs: 1.5,
    ...overrides,
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-audit-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real webhook receiver; `statuses` are answered in order, then 200. */
async function receiver(statuses: number[] = []): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(statuses.shift() ?? 200, { 'content-type': 'application/json' });
      res.end('{"text":"Success","code":0}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit`, got };
}

describe('redaction', () => {
  it('scrubs secret fields at any depth and signature/token query parameters', () => {
    const out = redact({
      accessKeyId: 'AKIAKEEP',
      secretAccessKey: 'wJalrXUtnFEMI',
      nested: { Password: 'hunter2', sessionToken: 'FQoGZX', list: [{ 'x-amz-security-token': 'tok' }] },
      url: '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abcdef0123&X-Amz-Security-Token=FQo%2B&x=1',
      header: 'AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/s3/aws4_request, Signature=0123abcd',
    });
    const text = JSON.stringify(out);
    for (const secret of [
      'wJalrXUtnFEMI',
      'hunter2',
      'FQoGZX',
      '"tok"',
      'abcdef0123',
      'FQo%2B',
      '0123abcd',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(out.accessKeyId).toBe('AKIAKEEP');
    expect(out.url).toContain('X-Amz-Algorithm=AWS4-HMAC-SHA256');
    expect(out.url).toContain('&x=1');
    expect(redactString('AWS AKIAV2:c2lnbmF0dXJl')).toBe('AWS AKIAV2:[REDACTED]');
    expect(redactString('plain/key.txt')).toBe('plain/key.txt');
  });
});

describe('JSONL file sink', () => {
  it('appends one redacted JSON object per line and flushes on close', async () => {
    const file = join(tempDir(), 'sub', 'audit.jsonl');
    const log = createAuditLog({ file, fileFlushMs: 60_000 });
    const events = [
      event(),
      event({
        resource: 'arn:aws:s3:::b/k?X-Amz-Signature=deadbeefcafe',
        status: 403,
        decision: 'implicitDeny',
      }),
      event({ key: 'line\nbreak "quoted"' }),
    ];
    for (const e of events) log.record(e);
    expect(log.stats()).toMatchObject({ recorded: 3, queueLength: 3, dropped: 0 });
    await log.close();
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const parsed = lines.map((l) => JSON.parse(l) as AuditEvent);
    expect(parsed.map((e) => e.requestId)).toEqual(events.map((e) => e.requestId));
    expect(parsed[2]!.key).toBe('line\nbreak "quoted"');
    expect(text).not.toContain('deadbeefcafe');
    expect(parsed[1]!.resource).toBe('arn:aws:s3:::b/k?X-Amz-Signature=[REDACTED]');
    expect(log.stats()).toMatchObject({ queueLength: 0, dropped: 0 });
    // Appends across restarts instead of truncating.
    const again = createAuditLog({ file });
    again.record(event());
    await again.close();
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(4);
  });

  it('flushes on its timer without waiting for close', async () => {
    const file = join(tempDir(), 'audit.jsonl');
    const log = createAuditLog({ file, fileFlushMs: 20 });
    cleanups.push(() => log.close());
    log.record(event({ requestId: 'TIMED' }));
    await until(() => existsSync(file) && readFileSync(file, 'utf8').includes('"TIMED"'), 'timed flush');
    expect(log.stats().queueLength).toBe(0);
  });
});

describe('webhook sink', () => {
  it('sends full batches in order as JSON arrays with the bearer token, the rest on close', async () => {
    const r = await receiver();
    const log = createAuditLog({
      webhook: { url: r.url, token: 's3cr3t', format: 'json', batchSize: 3, flushMs: 60_000 },
    });
    const events = Array.from({ length: 7 }, () => event());
    for (const e of events) log.record(e);
    await until(() => r.got.length >= 2, 'two full batches');
    await log.close();
    expect(r.got).toHaveLength(3);
    const batches = r.got.map((g) => JSON.parse(g.body) as AuditEvent[]);
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat().map((e) => e.requestId)).toEqual(events.map((e) => e.requestId));
    expect(r.got[0]!.headers.authorization).toBe('Bearer s3cr3t');
    expect(r.got[0]!.headers['content-type']).toBe('application/json');
    expect(log.stats()).toMatchObject({ queueLength: 0, dropped: 0 });
  });

  it('flushes a partial batch on its timer', async () => {
    const r = await receiver();
    const log = createAuditLog({ webhook: { url: r.url, format: 'json', batchSize: 100, flushMs: 20 } });
    cleanups.push(() => log.close());
    log.record(event());
    await until(() => r.got.length === 1, 'timed flush');
    expect(JSON.parse(r.got[0]!.body)).toHaveLength(1);
    expect(r.got[0]!.headers.authorization).toBeUndefined();
  });

  it('retries a batch after 500s with backoff, then delivers it once', async () => {
    const r = await receiver([500, 503]);
    const errors: string[] = [];
    const log = createAuditLog({
      webhook: { url: r.url, format: 'json', batchSize: 2, flushMs: 60_000, retryBaseMs: 5, retryMaxMs: 20 },
      onError: (msg) => errors.push(msg),
    });
    log.record(event());
    log.record(event());
    await until(() => r.got.length === 3, 'third attempt');
    await log.close();
    expect(r.got).toHaveLength(3);
    expect(new Set(r.got.map((g) => g.body)).size).toBe(1);
    expect(log.stats()).toMatchObject({ dropped: 0, queueLength: 0 });
    // One report per failure streak, not one per attempt.
    expect(errors).toEqual(['audit webhook answered 500']);
  });

  it('drops a batch the receiver rejects with a 4xx instead of retrying it forever', async () => {
    const r = await receiver([400]);
    const log = createAuditLog({ webhook: { url: r.url, format: 'json', batchSize: 2, flushMs: 60_000 } });
    log.record(event());
    log.record(event());
    await until(() => log.stats().dropped === 2, 'dropped batch');
    log.record(event());
    await log.close();
    expect(r.got).toHaveLength(2);
    expect(log.stats()).toMatchObject({ dropped: 2, queueLength: 0 });
  });

  it('counts drops when the receiver is down and the queue is full, without blocking record()', async () => {
    // A port that was just closed: connections are refused.
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise<void>((r) => closed.close(() => r()));

    const log = createAuditLog({
      webhook: {
        url,
        format: 'json',
        batchSize: 2,
        maxQueue: 5,
        flushMs: 10,
        retryBaseMs: 5,
        retryMaxMs: 10,
      },
    });
    for (let i = 0; i < 20; i++) log.record(event());
    expect(log.stats()).toMatchObject({ recorded: 20, queueLength: 5, dropped: 15 });
    // While it retries, the queue stays bounded and new events keep being counted as dropped.
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 10; i++) log.record(event());
    expect(log.stats().queueLength).toBeLessThanOrEqual(5);
    expect(log.stats().dropped).toBe(25);
    // close() is bounded: what could not be delivered by the deadline is counted, nothing waits forever.
    await log.close(100);
    expect(log.stats()).toMatchObject({ queueLength: 0, dropped: 30 });
  });

  it('speaks Splunk HEC: concatenated {time, event, sourcetype} objects and a Splunk token', async () => {
    const r = await receiver();
    const log = createAuditLog({
      webhook: { url: r.url, token: 'hec-token', format: 'splunk', batchSize: 2, flushMs: 60_000 },
    });
    const a = event({ time: '2025-03-04T05:06:07.890Z' });
    const b = event({ resource: 'x?X-Amz-Security-Token=SESSION' });
    log.record(a);
    log.record(b);
    await until(() => r.got.length === 1, 'splunk batch');
    await log.close();
    const { headers, body } = r.got[0]!;
    expect(headers.authorization).toBe('Splunk hec-token');
    expect(body).not.toContain('SESSION');
    const objects = body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { time: number; event: AuditEvent; sourcetype: string });
    expect(objects).toHaveLength(2);
    expect(Object.keys(objects[0]!).sort()).toEqual(['event', 'sourcetype', 'time']);
    expect(objects[0]!.time).toBe(Date.parse('2025-03-04T05:06:07.890Z') / 1000);
    expect(objects.map((o) => o.sourcetype)).toEqual(['coffer:audit', 'coffer:audit']);
    expect(objects.map((o) => o.event.requestId)).toEqual([a.requestId, b.requestId]);
  });
});

describe('isoMillis', () => {
  it('formats as Date.toISOString does, across seconds and for every millisecond width', () => {
    const base = Date.parse('2026-11-23T02:59:59.000Z');
    for (const ms of [0, 7, 42, 999, 1000, 1005, 1099, 61_123, 86_400_000 + 1]) {
      const d = new Date(base + ms);
      expect(isoMillis(d)).toBe(d.toISOString());
    }
    // Back in time too (the cache holds one second, whichever).
    const early = new Date(base - 3_600_000 + 5);
    expect(isoMillis(early)).toBe(early.toISOString());
  });
});

describe('request tracker', () => {
  /** A real HTTP server whose handler plays the surface: begin → decision → reply → complete. */
  async function serve(
    surface: (ctx: RequestContext, tracker: ReturnType<typeof createAuditTracker>) => void,
  ): Promise<{ url: string; events: AuditEvent[]; tracker: ReturnType<typeof createAuditTracker> }> {
    const events: AuditEvent[] = [];
    const tracker = createAuditTracker((e) => events.push(e));
    const server = http.createServer((req, res) => {
      const ctx = createRequestContext(req, res, String(req.headers['x-test-id']));
      // As http/server.ts does; it also makes writeHead's headers readable through getHeader().
      res.setHeader('x-amz-request-id', ctx.requestId);
      tracker.begin(ctx, 's3');
      res.once('close', () => tracker.closed(ctx));
      surface(ctx, tracker);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, events, tracker };
  }

  it('builds one event from begin, the deciding statement and completion', async () => {
    const { url, events, tracker } = await serve((ctx, t) => {
      const base = { requestId: ctx.requestId, principalArn: 'arn:aws:iam::123456789012:user/bob' };
      t.decision({ ...base, action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', effect: 'allow' });
      t.decision({
        ...base,
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::c/k',
        effect: 'explicitDeny',
        statement: { policy: 'deny-all', sid: 'NoPut', index: 2 },
      });
      t.decision({ ...base, action: 's3:Other', resource: 'r', effect: 'allow' });
      ctx.res.writeHead(403, { 'content-length': '7' });
      ctx.res.end('denied!', () =>
        t.complete({
          requestId: ctx.requestId,
          operation: 'CopyObject',
          bucket: 'c',
          key: 'k',
          status: 403,
          errorCode: 'AccessDenied',
          principalArn: base.principalArn,
          accessKeyId: 'AKIABOB',
        }),
      );
    });
    const res = await fetch(`${url}/c/k`, {
      method: 'PUT',
      headers: { 'x-test-id': 'R1', authorization: 'AWS4-HMAC-SHA256 Signature=abc', 'user-agent': 'ua/1' },
      body: 'hello',
    });
    await res.text();
    await until(() => events.length === 1, 'event');
    const e = events[0]!;
    expect(e).toMatchObject({
      requestId: 'R1',
      api: 's3',
      tenant: '123456789012',
      principalArn: 'arn:aws:iam::123456789012:user/bob',
      accessKeyId: 'AKIABOB',
      authType: 'header',
      sourceIp: '127.0.0.1',
      userAgent: 'ua/1',
      operation: 'CopyObject',
      bucket: 'c',
      key: 'k',
      action: 's3:PutObject',
      decision: 'explicitDeny',
      statement: { policy: 'deny-all', sid: 'NoPut', index: 2 },
      status: 403,
      errorCode: 'AccessDenied',
      bytesIn: 0,
      bytesOut: 7,
    });
    expect(e.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Number.isNaN(Date.parse(e.time))).toBe(false);
    expect(tracker.pending()).toBe(0);
  });

  it('still emits exactly one event when the surface never reports completion', async () => {
    const { url, events, tracker } = await serve((ctx) => {
      ctx.res.writeHead(500, { 'content-length': '3' });
      ctx.res.end('err');
    });
    await (await fetch(`${url}/b?X-Amz-Signature=abc`, { headers: { 'x-test-id': 'R2' } })).text();
    await until(() => events.length === 1, 'fallback event');
    expect(events[0]).toMatchObject({
      requestId: 'R2',
      status: 500,
      authType: 'presigned',
      principalArn: null,
      decision: null,
      operation: null,
      bytesOut: 3,
    });
    expect(tracker.pending()).toBe(0);
  });

  it('counts the declared body of a successful upload as bytes in', async () => {
    const { url, events } = await serve((ctx, t) => {
      ctx.req.resume();
      ctx.req.on('end', () => {
        ctx.res.writeHead(200, { 'content-length': '0' });
        ctx.res.end(() => t.complete({ requestId: ctx.requestId, operation: 'PutObject', status: 200 }));
      });
    });
    await (
      await fetch(`${url}/b/k`, { method: 'PUT', headers: { 'x-test-id': 'R3' }, body: 'x'.repeat(1234) })
    ).text();
    await until(() => events.length === 1, 'event');
    expect(events[0]).toMatchObject({ authType: 'anonymous', bytesIn: 1234, bytesOut: 0, status: 200 });
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toHaveLength(1);
  });
});
