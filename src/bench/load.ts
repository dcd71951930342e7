// The load generator: N closed-loop workers over one keep-alive node:http Agent, replaying requests
// prepared before the timed window (so signing costs nothing inside it); records latency and bytes.
import http from 'node:http';

export interface PreparedRequest {
  method: 'GET' | 'PUT' | 'HEAD' | 'DELETE';
  /** Path and query, already signed if the server needs it. */
  path: string;
  body?: Buffer;
}

export interface LoadOptions {
  host: string;
  port: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Request number i (cycled by the caller over a pool). */
  request: (i: number) => PreparedRequest;
  /** Status that counts as success (default: any 2xx). MB/s counts the body sent or received. */
  expectStatus?: number;
  /** Stop early once this many operations have been timed (0 = no limit). */
  maxOps?: number;
  /** CPU seconds the server process has used so far; sampled at both ends of the timed window. */
  serverCpu?: () => number;
  /**
   * Seconds the server's event-loop thread has so far spent on a CPU (`run`) and runnable but
   * waiting for one (`wait`); sampled with serverCpu. A loop whose two shares add up to nearly the
   * whole window is the server's limit, whatever its CPU per operation.
   */
  serverLoop?: () => { run: number; wait: number };
}

export interface LoadResult {
  ops: number;
  errors: number;
  firstError?: string;
  seconds: number;
  opsPerSec: number;
  mbPerSec: number;
  p50ms: number;
  p99ms: number;
  /** Server CPU time per operation in the timed window (needs `serverCpu`). */
  serverCpuUsPerOp: number;
  /** Client CPU use over the timed window, 1 = one core: near 1 means the client may be the limit. */
  clientCores: number;
  /** Share of the timed window the server's event loop ran on a CPU (needs `serverLoop`). */
  loopOnCpu: number;
  /** Share of the timed window the server's event loop was runnable but waiting for a CPU. */
  loopWaiting: number;
  /** Raw figures, so that several rounds can be merged (not serialised). */
  raw: RawFigures;
}

interface RawFigures {
  latencies: number[];
  bytes: number;
  serverCpuS: number;
  clientCpuS: number;
  loopRunS: number;
  loopWaitS: number;
}

function summarise(
  raw: RawFigures,
  seconds: number,
  errors: number,
  firstError: string | undefined,
): LoadResult {
  const { latencies, bytes, serverCpuS, clientCpuS } = raw;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : NaN;
  const r: LoadResult = {
    ops: latencies.length,
    errors,
    seconds,
    opsPerSec: latencies.length / seconds,
    mbPerSec: bytes / 1e6 / seconds,
    p50ms: pct(0.5),
    p99ms: pct(0.99),
    serverCpuUsPerOp: latencies.length ? (serverCpuS * 1e6) / latencies.length : NaN,
    clientCores: clientCpuS / seconds,
    loopOnCpu: raw.loopRunS / seconds,
    loopWaiting: raw.loopWaitS / seconds,
    raw,
  };
  Object.defineProperty(r, 'raw', { enumerable: false });
  if (firstError !== undefined) r.firstError = firstError;
  return r;
}

/** Several timed windows of the same cell as one: operations, bytes, time and CPU add up. */
export function mergeResults(rs: LoadResult[]): LoadResult {
  const firstError = rs.find((r) => r.firstError !== undefined)?.firstError;
  const sum = (f: (r: LoadResult) => number): number => rs.reduce((n, r) => n + f(r), 0);
  return summarise(
    {
      latencies: rs.flatMap((r) => r.raw.latencies),
      bytes: sum((r) => r.raw.bytes),
      serverCpuS: sum((r) => r.raw.serverCpuS),
      clientCpuS: sum((r) => r.raw.clientCpuS),
      loopRunS: sum((r) => r.raw.loopRunS),
      loopWaitS: sum((r) => r.raw.loopWaitS),
    },
    sum((r) => r.seconds),
    sum((r) => r.errors),
    firstError,
  );
}

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

export interface CpuSample {
  server: number;
  client: number;
  /** The server's event loop: seconds on a CPU, and runnable but waiting for one. */
  loopRun: number;
  loopWait: number;
}

const NO_SAMPLE: CpuSample = { server: NaN, client: NaN, loopRun: NaN, loopWait: NaN };

/**
 * CPU used between two moments (ms from now), sampled by a timer at each. `close()` returns the
 * difference, sampling the end itself when its timer has not run yet: when the run stopped early,
 * or when the last workers finished in the same event-loop turn in which the window closed, before
 * the timers' turn came (a busy client at tens of thousands of requests per second does that, and
 * the figure used to come out NaN). A window that never opened gives NaN.
 */
export function cpuWindow(startMs: number, endMs: number, sample: () => CpuSample): { close(): CpuSample } {
  let start: CpuSample | undefined;
  let end: CpuSample | undefined;
  const tStart = setTimeout(() => (start = sample()), startMs);
  const tEnd = setTimeout(() => (end = sample()), endMs);
  return {
    close() {
      clearTimeout(tStart);
      clearTimeout(tEnd);
      if (start === undefined) return NO_SAMPLE;
      end ??= sample();
      return {
        server: end.server - start.server,
        client: end.client - start.client,
        loopRun: end.loopRun - start.loopRun,
        loopWait: end.loopWait - start.loopWait,
      };
    },
  };
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency, maxFreeSockets: o.concurrency });
  const latencies: number[] = [];
  let bytes = 0;
  let errors = 0;
  let firstError: string | undefined;
  let seq = 0;
  const t0 = performance.now();
  const timedFrom = t0 + o.warmupMs;
  const until = timedFrom + o.durationMs;
  let timedOps = 0;
  let lastTimedEnd = timedFrom;
  const maxOps = o.maxOps ?? 0;
  const cpu = cpuWindow(o.warmupMs, o.warmupMs + o.durationMs, () => {
    const loop = o.serverLoop?.();
    return {
      server: o.serverCpu ? o.serverCpu() : NaN,
      client: cpuSeconds(process.cpuUsage()),
      loopRun: loop?.run ?? NaN,
      loopWait: loop?.wait ?? NaN,
    };
  });

  const one = (r: PreparedRequest): Promise<{ status: number; bytes: number; body?: string }> =>
    new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      if (r.body) headers['content-length'] = r.body.length;
      else if (r.method === 'PUT') headers['content-length'] = 0;
      const req = http.request(
        { host: o.host, port: o.port, method: r.method, path: r.path, headers, agent },
        (res) => {
          let n = 0;
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            n += c.length;
            if (!ok && chunks.length < 4) chunks.push(c);
          });
          res.on('end', () =>
            resolve(
              ok
                ? { status, bytes: n }
                : { status, bytes: n, body: Buffer.concat(chunks).toString('utf8', 0, 600) },
            ),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(r.body);
    });

  const worker = async (): Promise<void> => {
    for (;;) {
      const start = performance.now();
      if (start >= until || (maxOps > 0 && timedOps >= maxOps)) return;
      const r = o.request(seq++);
      let status = 0;
      let n = 0;
      let detail = '';
      try {
        const res = await one(r);
        status = res.status;
        n = res.bytes;
        detail = res.body ?? '';
      } catch (e) {
        detail = e instanceof Error ? e.message : String(e);
      }
      const end = performance.now();
      const ok = o.expectStatus !== undefined ? status === o.expectStatus : status >= 200 && status < 300;
      // Closed loop in steady state: an operation counts when it completes inside the timed window
      // (one started during warm-up is as representative, and large objects take a good part of it).
      if (end >= timedFrom && end <= until) {
        if (ok) {
          latencies.push(end - start);
          bytes += r.body ? r.body.length : n;
          timedOps++;
          lastTimedEnd = end;
        } else errors++;
      }
      if (!ok) {
        firstError ??= `${r.method} ${r.path.split('?')[0]} → ${status || 'network error'} ${detail.trim()}`;
        // A server that refuses everything should not be hammered in a tight loop.
        if (status === 0) await new Promise((res) => setTimeout(res, 5));
      }
    }
  };

  await Promise.all(Array.from({ length: o.concurrency }, () => worker()));
  const used = cpu.close();
  agent.destroy();
  const stoppedEarly = maxOps > 0 && timedOps >= maxOps;
  const seconds = Math.max(1e-9, ((stoppedEarly ? lastTimedEnd : until) - timedFrom) / 1000);
  return summarise(
    {
      latencies,
      bytes,
      serverCpuS: used.server,
      clientCpuS: used.client,
      loopRunS: used.loopRun,
      loopWaitS: used.loopWait,
    },
    seconds,
    errors,
    firstError,
  );
}

/** Runs each request exactly once (set-up work, untimed); returns how many failed and the first failure. */
export async function runEach(
  host: string,
  port: number,
  requests: PreparedRequest[],
  concurrency: number,
): Promise<{ errors: number; firstError?: string }> {
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const r = requests[next++]!;
      const res = await new Promise<{ status: number; body: string }>((resolve) => {
        const req = http.request(
          {
            host,
            port,
            method: r.method,
            path: r.path,
            headers: r.body || r.method === 'PUT' ? { 'content-length': r.body ? r.body.length : 0 } : {},
            agent,
          },
          (resp) => {
            const chunks: Buffer[] = [];
            resp.on('data', (c: Buffer) => chunks.length < 4 && chunks.push(c));
            resp.on('end', () =>
              resolve({ status: resp.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8', 0, 600) }),
            );
            resp.on('error', (e) => resolve({ status: 0, body: e.message }));
          },
        );
        req.on('error', (e) => resolve({ status: 0, body: e.message }));
        req.end(r.body);
      });
      if (res.status < 200 || res.status >= 300) {
        errors++;
        firstError ??= `${r.method} ${r.path.split('?')[0]} → ${res.status || 'network error'} ${res.body.trim()}`;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  agent.destroy();
  return firstError !== undefined ? { errors, firstError } : { errors };
}
