// The webhook sink: events wait in a bounded in-memory queue and are POSTed in batches (by size or
// every flushMs), one batch in flight at a time, retried with exponential backoff and jitter. When the
// queue is full new events are dropped and counted: the request path never blocks or slows down.
import { serializeEvent, type AuditEvent } from './event.js';
import type { AuditSink, SinkErrorReporter } from './sink.js';

export type WebhookFormat = 'json' | 'splunk';

export interface WebhookSinkOptions {
  url: string;
  /** Sent as `Authorization: Bearer <token>` (json) or `Authorization: Splunk <token>` (splunk). */
  token?: string;
  /** json: one JSON array of events per POST. splunk: HEC event objects, concatenated. */
  format: WebhookFormat;
  /** Events per POST (default 100). */
  batchSize?: number;
  /** Longest time an event waits before a POST is attempted (default 1000 ms). */
  flushMs?: number;
  /** Events held in memory, in flight included (default 10 000). */
  maxQueue?: number;
  /** First retry delay; doubles per attempt up to retryMaxMs, with jitter (defaults 250 ms, 30 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Per-POST timeout (default 10 s). */
  timeoutMs?: number;
  onError?: SinkErrorReporter;
}

export const SPLUNK_SOURCETYPE = 'coffer:audit';

/** The POST body for a batch (exported for tests and for documentation of the wire format). */
export function encodeBatch(events: readonly AuditEvent[], format: WebhookFormat): string {
  if (format === 'json') return '[' + events.map(serializeEvent).join(',') + ']';
  // Splunk HEC: {"time": epoch seconds (ms precision), "event": {...}, "sourcetype": ...} per event.
  let out = '';
  for (const e of events) {
    const time = Date.parse(e.time) / 1000;
    out +=
      `{"time":${Number.isFinite(time) ? time : Date.now() / 1000},"event":${serializeEvent(e)},` +
      `"sourcetype":${JSON.stringify(SPLUNK_SOURCETYPE)}}\n`;
  }
  return out;
}

type Outcome = 'ok' | 'retry' | 'fatal';

export function createWebhookSink(options: WebhookSinkOptions): AuditSink {
  const batchSize = Math.max(1, options.batchSize ?? 100);
  const flushMs = options.flushMs ?? 1000;
  const maxQueue = Math.max(1, options.maxQueue ?? 10_000);
  const retryBaseMs = options.retryBaseMs ?? 250;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'coffer-audit/1',
  };
  if (options.token !== undefined && options.token !== '') {
    headers.authorization = `${options.format === 'splunk' ? 'Splunk' : 'Bearer'} ${options.token}`;
  }

  let queue: AuditEvent[] = [];
  let inFlight = 0;
  let dropped = 0;
  let delivered = 0;
  let scheduled = false;
  let pumping: Promise<void> | undefined;
  let closed = false;
  // Set by close(): retries stop waiting and everything still queued at the deadline is dropped.
  let deadline = Infinity;
  const stop = new AbortController();
  let wake: (() => void) | undefined;
  let failing = false;

  const report = (msg: string, err: unknown): void => {
    if (!failing) options.onError?.(msg, err);
    failing = true;
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const post = async (body: string): Promise<Outcome> => {
    try {
      const res = await fetch(options.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop.signal]),
      });
      // Drain the reply so the keep-alive connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'ok';
      const outcome: Outcome =
        res.status === 408 || res.status === 429 || res.status >= 500 ? 'retry' : 'fatal';
      report(`audit webhook answered ${res.status}`, new Error(`HTTP ${res.status} from ${options.url}`));
      return outcome;
    } catch (err) {
      report('audit webhook unreachable', err);
      return 'retry';
    }
  };

  const deliver = async (batch: AuditEvent[]): Promise<void> => {
    const body = encodeBatch(batch, options.format);
    for (let attempt = 0; ; attempt++) {
      const outcome = await post(body);
      if (outcome === 'ok') {
        delivered += batch.length;
        failing = false;
        return;
      }
      // A 4xx other than 408/429 will not get better by resending the same body.
      if (outcome === 'fatal' || Date.now() >= deadline) {
        dropped += batch.length;
        return;
      }
      const exp = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempt, 30));
      // Equal jitter: spreads retries of many nodes without ever retrying immediately.
      const wait = exp / 2 + Math.random() * (exp / 2);
      await sleep(Math.min(wait, deadline - Date.now()));
    }
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      if (Date.now() >= deadline) {
        dropped += queue.length;
        queue = [];
        return;
      }
      const batch = queue.splice(0, batchSize);
      inFlight = batch.length;
      try {
        await deliver(batch);
      } finally {
        inFlight = 0;
      }
    }
  };

  const pump = (): Promise<void> => {
    scheduled = false;
    pumping ??= drain().finally(() => (pumping = undefined));
    return pumping;
  };

  const timer = setInterval(() => void pump(), flushMs);
  timer.unref();

  return {
    name: 'webhook',
    record(event) {
      if (closed || queue.length + inFlight >= maxQueue) {
        dropped++;
        return;
      }
      queue.push(event);
      // A full batch goes out without waiting for the timer, but never on the caller's stack.
      if (queue.length >= batchSize && !scheduled && pumping === undefined) {
        scheduled = true;
        setImmediate(() => void pump());
      }
    },
    stats: () => ({ queued: queue.length + inFlight, dropped, delivered }),
    flush: () => pump(),
    async close(deadlineAt = Date.now() + 5000) {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      deadline = deadlineAt;
      wake?.(); // a batch sleeping before its next retry tries once more now
      const cut = setTimeout(() => stop.abort(), Math.max(0, deadline - Date.now()));
      try {
        await pump();
        // A pump started before close may have ended with events still queued by a late record.
        if (queue.length > 0) await pump();
      } finally {
        clearTimeout(cut);
      }
    },
  };
}
