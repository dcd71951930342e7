// A tiny Prometheus registry (counters, gauges read at scrape time, histograms; text exposition
// format 0.0.4) and Coffer's metric set, with the unauthenticated `GET /metrics` handler.
// Recording is cheap: label values resolve to a cached series object with at most one key join.
import type { RequestContext } from '../kernel/request-context.js';
import { hostIdOf } from '../kernel/ids.js';

type Labels = readonly string[];

const escapeLabel = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function labelText(names: Labels, values: Labels, extra?: string): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i] ?? ''}="${escapeLabel(values[i] ?? '')}"`);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

interface Metric {
  readonly name: string;
  render(): string;
}

export interface CounterChild {
  inc(by?: number): void;
}

export class Counter implements Metric {
  private readonly series = new Map<string, { values: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: Labels = [],
  ) {}

  /** Resolve once and keep the child: inc() on it is a single addition. */
  labels(...values: string[]): CounterChild {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      s = { values: [...values], value: 0 };
      this.series.set(key, s);
    }
    const series = s;
    return {
      inc(by = 1) {
        series.value += by;
      },
    };
  }

  inc(by = 1): void {
    this.labels().inc(by);
  }

  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} counter\n`;
    for (const s of this.series.values()) {
      out += `${this.name}${labelText(this.labelNames, s.values)} ${formatValue(s.value)}\n`;
    }
    return out;
  }
}

/**
 * A value read when scraped (queue lengths, memory): nothing to record. `type` is 'counter' for
 * monotonic totals kept elsewhere (dropped events, CPU seconds).
 */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
    readonly type: 'gauge' | 'counter' = 'gauge',
  ) {}

  render(): string {
    return (
      `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n` +
      `${this.name} ${formatValue(this.read())}\n`
    );
  }
}

export interface HistogramChild {
  observe(value: number): void;
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { values: Labels; counts: Float64Array; sum: number }>();
  readonly buckets: readonly number[];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: Labels,
    buckets: readonly number[],
  ) {
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  labels(...values: string[]): HistogramChild {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      // One slot per bucket plus +Inf; counts are per bucket, made cumulative when rendered.
      s = { values: [...values], counts: new Float64Array(this.buckets.length + 1), sum: 0 };
      this.series.set(key, s);
    }
    const series = s;
    const bounds = this.buckets;
    return {
      observe(v) {
        let i = 0;
        while (i < bounds.length && v > (bounds[i] ?? Infinity)) i++;
        series.counts[i] = (series.counts[i] ?? 0) + 1;
        series.sum += v;
      },
    };
  }

  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} histogram\n`;
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        cumulative += s.counts[i] ?? 0;
        const le = i < this.buckets.length ? formatValue(this.buckets[i] ?? Infinity) : '+Inf';
        out += `${this.name}_bucket${labelText(this.labelNames, s.values, `le="${le}"`)} ${cumulative}\n`;
      }
      const l = labelText(this.labelNames, s.values);
      out += `${this.name}_sum${l} ${formatValue(s.sum)}\n${this.name}_count${l} ${cumulative}\n`;
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return this.metrics.map((m) => m.render()).join('');
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** 0.1 ms … 10 s: object-store latencies span in-memory HEADs to multi-GB uploads. */
export const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** One finished request, as the audit tracker produces it (AuditEvent fits structurally). */
export interface RequestObservation {
  api: string;
  operation: string | null;
  status: number;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
}

export interface CofferMetricsOptions {
  /**
   * Distinct (api, operation) pairs kept (default 500). Operation names come from fixed tables, but
   * an unknown IAM Action is echoed back, so a hostile client must not grow the series without bound.
   */
  maxOperations?: number;
  /** Audit log counters, read at scrape time (AuditLog.stats fits). */
  audit?: { stats(): { dropped: number; queueLength: number } };
}

export interface CofferMetrics {
  readonly registry: Registry;
  observeRequest(r: RequestObservation): void;
  observeDecision(effect: 'allow' | 'explicitDeny' | 'implicitDeny'): void;
  /** Mount at unauthenticated GET /metrics (HttpServerOptions.ops). */
  handler: (ctx: RequestContext) => void;
  render(): string;
}

export function createCofferMetrics(options: CofferMetricsOptions = {}): CofferMetrics {
  const registry = new Registry();
  const requests = registry.register(
    new Counter('coffer_requests_total', 'Requests answered, by API, operation and HTTP status.', [
      'api',
      'operation',
      'status',
    ]),
  );
  const duration = registry.register(
    new Histogram(
      'coffer_request_duration_seconds',
      'Time from routing a request to its completion, by API and operation.',
      ['api', 'operation'],
      DURATION_BUCKETS,
    ),
  );
  const received = registry.register(
    new Counter('coffer_bytes_received_total', 'Request body bytes accepted, by API.', ['api']),
  );
  const sent = registry.register(
    new Counter('coffer_bytes_sent_total', 'Response body bytes sent, by API.', ['api']),
  );
  const decisions = registry.register(
    new Counter('coffer_auth_decisions_total', 'Authorisation decisions, by effect.', ['effect']),
  );
  const audit = options.audit;
  registry.register(
    new Gauge(
      'coffer_audit_events_dropped_total',
      'Audit events lost (queue full, delivery given up).',
      () => audit?.stats().dropped ?? 0,
      'counter',
    ),
  );
  registry.register(
    new Gauge(
      'coffer_audit_queue_length',
      'Audit events waiting in memory for delivery.',
      () => audit?.stats().queueLength ?? 0,
    ),
  );
  const startedAt = Date.now() / 1000 - process.uptime();
  registry.register(
    new Gauge(
      'process_start_time_seconds',
      'Start time of the process since the Unix epoch.',
      () => startedAt,
    ),
  );
  registry.register(
    new Gauge('coffer_uptime_seconds', 'Seconds since the process started.', () => process.uptime()),
  );
  registry.register(
    new Gauge('process_resident_memory_bytes', 'Resident set size.', () => process.memoryUsage.rss()),
  );
  registry.register(
    new Gauge('nodejs_heap_size_used_bytes', 'V8 heap in use.', () => process.memoryUsage().heapUsed),
  );
  registry.register(
    new Gauge(
      'process_cpu_seconds_total',
      'User and system CPU time.',
      () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1e6;
      },
      'counter',
    ),
  );

  // Per (api, operation): the histogram child, byte counters and counters by status, resolved once.
  interface Series {
    duration: HistogramChild;
    received: CounterChild;
    sent: CounterChild;
    byStatus: Map<number, CounterChild>;
    api: string;
    operation: string;
  }
  const series = new Map<string, Series>();
  const byEffect = {
    allow: decisions.labels('allow'),
    explicitDeny: decisions.labels('explicitDeny'),
    implicitDeny: decisions.labels('implicitDeny'),
  };

  const maxOperations = options.maxOperations ?? 500;
  const render = (): string => registry.render();
  return {
    registry,
    render,
    observeRequest(r) {
      // Operation names come from fixed tables; anything else (or absurdly long) is not a label value.
      let operation = r.operation === null || r.operation.length > 64 ? 'unknown' : r.operation;
      let key = r.api + ' ' + operation;
      let s = series.get(key);
      if (s === undefined && series.size >= maxOperations) {
        operation = 'other';
        key = r.api + ' other';
        s = series.get(key);
      }
      if (s === undefined) {
        s = {
          duration: duration.labels(r.api, operation),
          received: received.labels(r.api),
          sent: sent.labels(r.api),
          byStatus: new Map(),
          api: r.api,
          operation,
        };
        series.set(key, s);
      }
      let c = s.byStatus.get(r.status);
      if (c === undefined) {
        c = requests.labels(s.api, s.operation, String(r.status));
        s.byStatus.set(r.status, c);
      }
      c.inc();
      s.duration.observe(r.latencyMs / 1000);
      if (r.bytesIn > 0) s.received.inc(r.bytesIn);
      if (r.bytesOut > 0) s.sent.inc(r.bytesOut);
    },
    observeDecision(effect) {
      byEffect[effect].inc();
    },
    handler(ctx) {
      const body = render();
      ctx.res.writeHead(200, {
        'x-amz-request-id': ctx.requestId,
        'x-amz-id-2': hostIdOf(ctx.requestId),
        Server: 'Coffer',
        'Content-Type': PROMETHEUS_CONTENT_TYPE,
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
      });
      ctx.res.end(body);
    },
  };
}
