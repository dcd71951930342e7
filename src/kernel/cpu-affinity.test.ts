import { describe, expect, it } from 'vitest';
import {
  allowedCpus,
  applyAffinity,
  deviceInterrupts,
  helperThreadsStarted,
  parseAffinityMode,
  parseCpuList,
  planAuto,
  planFor,
} from './cpu-affinity.js';

// The head of /proc/interrupts on the 2-vCPU VM the benchmark runs on: the disk (virtio1-req.0)
// interrupts CPU 1 only.
const INTERRUPTS = `           CPU0       CPU1
  0:         44          0   IO-APIC   2-edge      timer
 31:          0       6619  PCI-MSIX-0000:00:01.0   3-edge      virtio0-stats
 32:       3108          0  PCI-MSIX-0000:00:01.0   4-edge      virtio0-reporting_vq
 36:          0   76210988  PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0
NMI:          0          0   Non-maskable interrupts
LOC:  812345678  798765432   Local timer interrupts
RES:   99999999   88888888   Rescheduling interrupts
ERR:          0
`;

describe('parseCpuList', () => {
  it('reads the kernel list format', () => {
    expect(parseCpuList('0')).toEqual([0]);
    expect(parseCpuList('0-3,8,10-11')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList(' 3,1,1-2 ')).toEqual([1, 2, 3]);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'a', '1-', '3-1', '1,,2', '-1', '1.5']) {
      expect(() => parseCpuList(bad), bad).toThrow(/not a CPU list/);
    }
  });
});

describe('parseAffinityMode', () => {
  it('knows off, auto and explicit lists', () => {
    expect(parseAffinityMode('off')).toEqual({ kind: 'off' });
    expect(parseAffinityMode('AUTO')).toEqual({ kind: 'auto' });
    expect(parseAffinityMode('0:1-3')).toEqual({ kind: 'explicit', loop: [0], helpers: [1, 2, 3] });
  });

  it('refuses overlapping or malformed lists', () => {
    expect(() => parseAffinityMode('0-1:1-3')).toThrow(/must not overlap/);
    expect(() => parseAffinityMode('on')).toThrow(/off, auto or LOOP:HELPERS/);
    expect(() => parseAffinityMode('0:1:2')).toThrow(/off, auto or LOOP:HELPERS/);
    expect(() => parseAffinityMode('0:x')).toThrow(/not a CPU list/);
  });
});

describe('allowedCpus', () => {
  it('reads Cpus_allowed_list from /proc/self/status', () => {
    const status = 'Name:\tnode\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t1\n';
    expect(allowedCpus(status)).toEqual([0, 1]);
    expect(allowedCpus('Name:\tnode\n')).toBeUndefined();
  });
});

describe('deviceInterrupts', () => {
  it('sums the numbered (device) lines per CPU and ignores the per-CPU architecture lines', () => {
    expect(deviceInterrupts(INTERRUPTS)).toEqual(
      new Map([
        [0, 44 + 3108],
        [1, 6619 + 76210988],
      ]),
    );
  });

  it('maps columns to CPU numbers from the header (offline CPUs have no column)', () => {
    const text = '       CPU0  CPU2\n 5:  10  1\n';
    expect(deviceInterrupts(text)).toEqual(
      new Map([
        [0, 10],
        [2, 1],
      ]),
    );
  });
});

describe('planAuto', () => {
  it('puts the loop on the quietest CPU and the helpers on the others', () => {
    const plan = planAuto([0, 1], deviceInterrupts(INTERRUPTS));
    expect(plan).toMatchObject({ loop: [0], helpers: [1] });
    expect(plan?.reason).toMatch(/CPU 0 takes the fewest device interrupts/);
  });

  it('breaks ties towards the highest-numbered CPU and keeps to the allowed ones', () => {
    expect(planAuto([0, 1, 2, 3], new Map())).toMatchObject({ loop: [3], helpers: [0, 1, 2] });
    const counts = new Map([
      [0, 1],
      [1, 500],
      [2, 1],
      [3, 0],
    ]);
    expect(planAuto([0, 1, 2], counts)).toMatchObject({ loop: [2], helpers: [0, 1] });
  });

  it('has no plan for a single CPU', () => {
    expect(planAuto([5], new Map())).toBeUndefined();
  });
});

describe('planFor', () => {
  it('gives a reason instead of a plan when off or impossible', () => {
    expect(planFor({ kind: 'off' })).toBe('off');
    expect(planFor({ kind: 'explicit', loop: [4095], helpers: [0] })).toMatch(
      process.platform === 'linux' ? /CPU 4095 not allowed/ : /not on Linux/,
    );
  });
});

describe('applyAffinity', () => {
  it('moves every thread to the helpers first, then the main thread to the loop, and re-applies for late helpers', async () => {
    const calls: string[] = [];
    const set = (pid: number, cpus: readonly number[], all: boolean): Promise<void> => {
      calls.push(`${all ? 'all' : 'main'}:${pid}:${cpus.join(',')}`);
      return Promise.resolve();
    };
    await applyAffinity({ loop: [0], helpers: [1, 2], reason: 'test' }, set);
    expect(calls).toEqual([`all:${process.pid}:1,2`, `main:${process.pid}:0`]);
    helperThreadsStarted();
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(4);
    expect(calls.slice(2)).toEqual(calls.slice(0, 2));
  });
});
