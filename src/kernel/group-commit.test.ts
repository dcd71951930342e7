import { describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit.js';

/** A flush that records when it started and finishes when told to. */
function controlled() {
  const starts: number[] = [];
  const finishers: (() => void)[] = [];
  let clock = 0;
  const flush = (): Promise<void> =>
    new Promise<void>((resolve) => {
      starts.push(clock);
      finishers.push(resolve);
    });
  return { flush, starts, finish: () => finishers.shift()?.(), tick: () => ++clock };
}

describe('groupCommit', () => {
  it('lets callers of the same turn share one flush', async () => {
    const c = controlled();
    const request = groupCommit(c.flush);
    const all = Promise.all([request(), request(), request()]);
    await new Promise((r) => setImmediate(r));
    expect(c.starts).toHaveLength(1);
    c.finish();
    await all;
    expect(c.starts).toHaveLength(1);
  });

  it('never lets a caller ride on a flush that began before its call', async () => {
    const c = controlled();
    const request = groupCommit(c.flush);
    const first = request();
    await new Promise((r) => setImmediate(r));
    expect(c.starts).toHaveLength(1);
    // The flush is running: these two wait for the next one, which they share.
    c.tick();
    const later = Promise.all([request(), request()]);
    let laterDone = false;
    void later.then(() => (laterDone = true));
    c.finish();
    await first;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(laterDone).toBe(false);
    expect(c.starts).toEqual([0, 1]);
    c.finish();
    await later;
    expect(c.starts).toHaveLength(2);
  });

  it('passes a failed flush to its callers and recovers', async () => {
    let fail = true;
    const request = groupCommit(() => (fail ? Promise.reject(new Error('disk')) : Promise.resolve()));
    await expect(request()).rejects.toThrow('disk');
    fail = false;
    await expect(request()).resolves.toBeUndefined();
  });
});
