// The contract every audit sink (file, webhook) implements, so the audit log fans events out
// without knowing where they go.
import type { AuditEvent } from './event.js';

export interface SinkStats {
  /** Events held in memory, waiting or being delivered. */
  queued: number;
  /** Events lost: queue full, delivery given up, or still queued when close ran out of time. */
  dropped: number;
  /** Events written/accepted by the destination. */
  delivered: number;
}

export interface AuditSink {
  readonly name: string;
  /** Synchronous and O(1): enqueue or drop, never wait. */
  record(event: AuditEvent): void;
  stats(): SinkStats;
  /** Delivers what is queued now (resolves even if delivery failed; failures are counted). */
  flush(): Promise<void>;
  /** Flushes and releases resources; later records are dropped. */
  close(deadline?: number): Promise<void>;
}

/** How sinks report delivery trouble (the lead passes a logger); throttled by each sink. */
export type SinkErrorReporter = (msg: string, err: unknown) => void;
