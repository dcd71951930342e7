// The load generator's CPU window (the figures the benchmark reports per operation) and a short run
// against a real local HTTP server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuWindow, mergeResults, runLoad, type CpuSample } from './load.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * A sampler whose readings grow by 1 (server), 10 (client), 100 (loop on CPU) and 1000 (loop
 * waiting) per call, so a difference counts calls.
 */
const counter = () => {
  let n = 0;
  return (): CpuSample => {
    n++;
    return { server: n, client: 10 * n, loopRun: 100 * n, loopWait: 1000 * n };
  };
};
const ONE_CALL: CpuSample = { server: 1, client: 10, loopRun: 100, loopWait: 1000 };

describe('cpuWindow', () => {
  it('reads the difference between the samples its two timers took', async () => {
    const w = cpuWindow(5, 20, counter());
    await sleep(40);
    expect(w.close()).toEqual(ONE_CALL);
  });

  it('samples the end itself when closed before the end timer ran', async () => {
    const sample = counter();
    const w = cpuWindow(1, 60_000, sample);
    await sleep(20);
    // The load ended before the end timer's turn: the window still yields a figure.
    expect(w.close()).toEqual(ONE_CALL);
    // And the end timer is gone: no later sample.
    await sleep(10);
    expect(sample().server).toBe(3);
  });

  it('samples the end itself when the window closed but its timer has not had its turn', async () => {
    const w = cpuWindow(1, 30, counter());
    await sleep(10);
    // Past the end time inside one busy turn, as when the last workers finish in the turn in which
    // the window closes: the end timer is due but has not run.
    const until = performance.now() + 40;
    while (performance.now() < until) {
      /* busy */
    }
    expect(w.close()).toEqual(ONE_CALL);
  });

  it('gives NaN for a window that never opened', () => {
    expect(cpuWindow(60_000, 120_000, counter()).close()).toEqual({
      server: NaN,
      client: NaN,
      loopRun: NaN,
      loopWait: NaN,
    });
  });
});

describe('runLoad', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('times operations in the window and reports CPU per operation', async () => {
    const r = await runLoad({
      host: '127.0.0.1',
      port,
      concurrency: 4,
      warmupMs: 20,
      durationMs: 200,
      request: () => ({ method: 'GET', path: '/' }),
      serverCpu: () => process.uptime(),
      // A loop that is on a CPU the whole time and never waits: its shares are 1 and 0.
      serverLoop: () => ({ run: process.uptime(), wait: 0 }),
    });
    expect(r.errors).toBe(0);
    expect(r.ops).toBeGreaterThan(0);
    expect(r.opsPerSec).toBeCloseTo(r.ops / 0.2, 5);
    // The "server" clock here is wall time, so CPU per op is the window over the operations.
    expect(r.serverCpuUsPerOp).toBeGreaterThan(0);
    expect(Number.isFinite(r.serverCpuUsPerOp)).toBe(true);
    expect(r.clientCores).toBeGreaterThan(0);
    // The sampled window's wall time over the timed seconds: near 1, give or take a late timer on a
    // busy machine.
    expect(r.loopOnCpu).toBeGreaterThan(0.5);
    expect(r.loopOnCpu).toBeLessThan(1.5);
    expect(r.loopWaiting).toBe(0);
  });

  it('leaves the event-loop shares NaN without a loop sampler, and merges rounds by their sums', async () => {
    const load = { host: '127.0.0.1', port, concurrency: 2, warmupMs: 10, durationMs: 100 };
    const request = () => ({ method: 'GET' as const, path: '/' });
    expect((await runLoad({ ...load, request })).loopOnCpu).toBeNaN();
    // Each sample advances the on-CPU clock by 0.05 s and the waiting clock by 0.01 s.
    const clock = { run: 0, wait: 0 };
    const timed = await runLoad({
      ...load,
      request,
      serverLoop: () => ({ run: (clock.run += 0.05), wait: (clock.wait += 0.01) }),
    });
    expect(timed.loopOnCpu).toBeCloseTo(0.05 / 0.1, 5);
    expect(timed.loopWaiting).toBeCloseTo(0.01 / 0.1, 5);
    const merged = mergeResults([timed, timed]);
    expect(merged.loopOnCpu).toBeCloseTo(0.5, 5);
    expect(merged.loopWaiting).toBeCloseTo(0.1, 5);
    expect(merged.ops).toBe(2 * timed.ops);
  });

  it('counts non-2xx replies as errors with the first one described', async () => {
    const r = await runLoad({
      host: '127.0.0.1',
      port,
      concurrency: 1,
      warmupMs: 0,
      durationMs: 50,
      expectStatus: 204,
      request: () => ({ method: 'GET', path: '/nope' }),
    });
    expect(r.ops).toBe(0);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.firstError).toContain('GET /nope → 200');
  });
});
