// The metrics exposition checked by a small parser of the Prometheus text format 0.0.4: HELP/TYPE
// before samples, label syntax and escaping, cumulative histogram buckets with +Inf = _count, and the
// /metrics endpoint served by the real HTTP listener.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../kernel/log.js';
import {
  Counter,
  createCofferMetrics,
  DURATION_BUCKETS,
  PROMETHEUS_CONTENT_TYPE,
  Registry,
} from './metrics.js';
import { startHttpServer } from './server.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  help: string;
  type: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Parses exposition text strictly enough to catch format mistakes. */
function parse(text: string): Map<string, Family> {
  expect(text.endsWith('\n')).toBe(true);
  const families = new Map<string, Family>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      expect(name).toMatch(NAME);
      const f = families.get(name) ?? { help: '', type: '', samples: [] };
      if (kind === 'HELP') {
        expect(f.help).toBe(''); // one HELP per family
        f.help = rest;
      } else {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest);
        expect(f.samples).toHaveLength(0); // TYPE before samples
        f.type = rest;
      }
      families.set(name, f);
      current = name;
      continue;
    }
    expect(line.startsWith('#')).toBe(false);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    if (labelText !== undefined && labelText !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let consumed = 0;
      for (let lm = re.exec(labelText); lm; lm = re.exec(labelText)) {
        const [all, k, v] = lm as unknown as [string, string, string];
        expect(labels[k]).toBeUndefined();
        labels[k] = v.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
        consumed += all.length;
        if (consumed === labelText.length) break;
      }
      expect(consumed).toBe(labelText.length);
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    expect(Number.isNaN(value) && valueText !== 'NaN').toBe(false);
    const family = [name, name.replace(/_(bucket|sum|count)$/, '')].find((n) => families.has(n));
    expect(family, `sample ${name} without HELP/TYPE`).toBeDefined();
    expect(family).toBe(current);
    families.get(family!)!.samples.push({ name, labels, value });
  }
  for (const [name, f] of families) {
    expect(f.help, `${name} HELP`).not.toBe('');
    expect(f.type, `${name} TYPE`).not.toBe('');
  }
  return families;
}

const key = (l: Record<string, string>): string =>
  Object.entries(l)
    .filter(([k]) => k !== 'le')
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');

/** Every histogram series: buckets ascending in le and cumulative, +Inf last and equal to _count. */
function checkHistogram(f: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const list = series.get(key(s.labels)) ?? [];
    list.push(s);
    series.set(key(s.labels), list);
  }
  for (const samples of series.values()) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name.endsWith('_count'));
    const sum = samples.find((s) => s.name.endsWith('_sum'));
    expect(count).toBeDefined();
    expect(sum).toBeDefined();
    const les = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
    expect(les.at(-1)).toBe(Infinity);
    for (let i = 1; i < buckets.length; i++) {
      expect(les[i]!).toBeGreaterThan(les[i - 1]!);
      expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    }
    expect(buckets.at(-1)!.value).toBe(count!.value);
  }
}

describe('metrics', () => {
  it('exposes requests, durations, bytes, decisions and audit gauges in valid text format', () => {
    let dropped = 3;
    const m = createCofferMetrics({ audit: { stats: () => ({ dropped, queueLength: 7 }) } });
    const obs = {
      api: 's3',
      operation: 'GetObject',
      status: 200,
      latencyMs: 0.05,
      bytesIn: 0,
      bytesOut: 100,
    };
    m.observeRequest(obs);
    m.observeRequest({ ...obs, latencyMs: 3 });
    m.observeRequest({ ...obs, latencyMs: 20_000, status: 404, bytesOut: 0 });
    m.observeRequest({
      api: 's3',
      operation: 'PutObject',
      status: 200,
      latencyMs: 12,
      bytesIn: 4096,
      bytesOut: 0,
    });
    m.observeRequest({ api: 'iam', operation: null, status: 400, latencyMs: 1, bytesIn: 10, bytesOut: 20 });
    m.observeDecision('allow');
    m.observeDecision('allow');
    m.observeDecision('implicitDeny');
    dropped = 5;

    const f = parse(m.render());
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      [...f.values()]
        .flatMap((x) => x.samples)
        .find((s) => s.name === name && key(s.labels) === key(labels) && s.labels.le === labels.le)?.value;

    expect(f.get('coffer_requests_total')!.type).toBe('counter');
    expect(value('coffer_requests_total', { api: 's3', operation: 'GetObject', status: '200' })).toBe(2);
    expect(value('coffer_requests_total', { api: 's3', operation: 'GetObject', status: '404' })).toBe(1);
    expect(value('coffer_requests_total', { api: 'iam', operation: 'unknown', status: '400' })).toBe(1);

    const h = f.get('coffer_request_duration_seconds')!;
    expect(h.type).toBe('histogram');
    checkHistogram(h);
    const get = { api: 's3', operation: 'GetObject' };
    expect(value('coffer_request_duration_seconds_count', get)).toBe(3);
    expect(value('coffer_request_duration_seconds_sum', get)).toBeCloseTo(20.00305, 6);
    expect(value('coffer_request_duration_seconds_bucket', { ...get, le: '0.0001' })).toBe(1);
    expect(value('coffer_request_duration_seconds_bucket', { ...get, le: '0.005' })).toBe(2);
    expect(value('coffer_request_duration_seconds_bucket', { ...get, le: '10' })).toBe(2);
    expect(value('coffer_request_duration_seconds_bucket', { ...get, le: '+Inf' })).toBe(3);
    expect(h.samples.filter((s) => s.name.endsWith('_bucket') && key(s.labels) === key(get))).toHaveLength(
      DURATION_BUCKETS.length + 1,
    );

    expect(value('coffer_bytes_received_total', { api: 's3' })).toBe(4096);
    expect(value('coffer_bytes_sent_total', { api: 's3' })).toBe(200);
    expect(value('coffer_bytes_sent_total', { api: 'iam' })).toBe(20);
    expect(value('coffer_auth_decisions_total', { effect: 'allow' })).toBe(2);
    expect(value('coffer_auth_decisions_total', { effect: 'implicitDeny' })).toBe(1);
    expect(value('coffer_auth_decisions_total', { effect: 'explicitDeny' })).toBe(0);
    expect(value('coffer_audit_events_dropped_total')).toBe(5);
    expect(f.get('coffer_audit_events_dropped_total')!.type).toBe('counter');
    expect(value('coffer_audit_queue_length')).toBe(7);
    expect(f.get('coffer_audit_queue_length')!.type).toBe('gauge');
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value('process_start_time_seconds')).toBeLessThanOrEqual(Date.now() / 1000);
    expect(value('coffer_uptime_seconds')).toBeGreaterThan(0);
  });

  it('escapes label values and help text', () => {
    const r = new Registry();
    const c = r.register(new Counter('x_total', 'Help with \\ backslash\nand newline.', ['v']));
    c.labels('a "quoted"\nvalue\\').inc(2);
    const text = r.render();
    expect(text).toContain('# HELP x_total Help with \\\\ backslash\\nand newline.\n');
    const f = parse(text);
    expect(f.get('x_total')!.samples[0]).toEqual({
      name: 'x_total',
      labels: { v: 'a "quoted"\nvalue\\' },
      value: 2,
    });
    expect(() => r.register(new Counter('x_total', 'again'))).toThrow();
  });

  it('caps the operation label so echoed unknown actions cannot grow series without bound', () => {
    const m = createCofferMetrics({ maxOperations: 3 });
    for (let i = 0; i < 10; i++) {
      m.observeRequest({
        api: 'iam',
        operation: `Bogus${i}`,
        status: 400,
        latencyMs: 1,
        bytesIn: 0,
        bytesOut: 0,
      });
    }
    const f = parse(m.render());
    const ops = new Set(f.get('coffer_requests_total')!.samples.map((s) => s.labels.operation));
    expect(ops).toEqual(new Set(['Bogus0', 'Bogus1', 'Bogus2', 'other']));
    expect(f.get('coffer_requests_total')!.samples.find((s) => s.labels.operation === 'other')!.value).toBe(
      7,
    );
  });

  it('serves GET /metrics unauthenticated through the HTTP listener', async () => {
    const m = createCofferMetrics();
    m.observeRequest({
      api: 's3',
      operation: 'ListBuckets',
      status: 200,
      latencyMs: 2,
      bytesIn: 0,
      bytesOut: 10,
    });
    const server = await startHttpServer({
      address: '127.0.0.1',
      port: 0,
      log: createLogger('silent'),
      route: () => () => Promise.reject(new Error('no surface in this test')),
      ops: { '/metrics': m.handler },
    });
    try {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
      const f = parse(await res.text());
      expect(f.get('coffer_requests_total')!.samples[0]!.labels).toEqual({
        api: 's3',
        operation: 'ListBuckets',
        status: '200',
      });
      checkHistogram(f.get('coffer_request_duration_seconds')!);
    } finally {
      await server.close(1000);
    }
  });
});
