// createAuditLog: the configured sinks (JSONL file and/or webhook) behind one synchronous record()
// for the request path, with drop/queue counters for metrics and a bounded close for shutdown.
import type { AuditEvent } from './event.js';
import { createFileSink } from './file-sink.js';
import type { AuditSink, SinkErrorReporter } from './sink.js';
import { createWebhookSink, type WebhookFormat } from './webhook-sink.js';

export interface AuditWebhookOptions {
  url: string;
  token?: string;
  format: WebhookFormat;
  batchSize?: number;
  flushMs?: number;
  maxQueue?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  timeoutMs?: number;
}

export interface AuditLogOptions {
  /** JSONL file to append to. */
  file?: string;
  /** File flush interval (default 1000 ms). */
  fileFlushMs?: number;
  webhook?: AuditWebhookOptions;
  /** Delivery trouble (each sink reports once per failure streak). */
  onError?: SinkErrorReporter;
}

export interface AuditStats {
  /** Events held in memory by all sinks. */
  queueLength: number;
  /** Events lost by any sink (queue full, delivery given up, not delivered by close). */
  dropped: number;
  /** Events handed to record() since start. */
  recorded: number;
}

export interface AuditLog {
  /** True when at least one sink is configured (callers may skip building events otherwise). */
  readonly enabled: boolean;
  /** Synchronous, O(1): hands the event to every sink's queue; never throws, never waits. */
  record(event: AuditEvent): void;
  stats(): AuditStats;
  /** Flushes every sink, waiting at most timeoutMs (default 5000), then releases them. */
  close(timeoutMs?: number): Promise<void>;
}

export function createAuditLog(options: AuditLogOptions = {}): AuditLog {
  const sinks: AuditSink[] = [];
  const onError = options.onError;
  if (options.file !== undefined && options.file !== '') {
    sinks.push(
      createFileSink({
        path: options.file,
        ...(options.fileFlushMs !== undefined ? { flushMs: options.fileFlushMs } : {}),
        ...(onError ? { onError } : {}),
      }),
    );
  }
  if (options.webhook !== undefined && options.webhook.url !== '') {
    sinks.push(createWebhookSink({ ...options.webhook, ...(onError ? { onError } : {}) }));
  }
  let recorded = 0;

  return {
    enabled: sinks.length > 0,
    record(event) {
      recorded++;
      for (const s of sinks) s.record(event);
    },
    stats() {
      let queueLength = 0;
      let dropped = 0;
      for (const s of sinks) {
        const st = s.stats();
        queueLength += st.queued;
        dropped += st.dropped;
      }
      return { queueLength, dropped, recorded };
    },
    async close(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      await Promise.all(sinks.map((s) => s.close(deadline)));
    },
  };
}
