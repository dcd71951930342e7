// Thread placement for a dedicated host (`--cpu-affinity`, off by default). Coffer's event loop is
// its bottleneck on small hosts: every request's parsing, signature check, index write and reply run
// on it, while its helper threads (the libuv pool that runs the fsyncs and renames, V8's GC helpers,
// the hash workers) wake it up, preempt it and share its caches. Measured on a 2-vCPU VM (small PUTs
// at concurrency 16, docs/benchmarks.md): with the loop alone on the CPU that takes the fewest device
// interrupts and the helpers on the others, the loop spent ~20 % less CPU per PUT and the rate rose
// ~20 %; pinning the loop to the CPU that takes the disk's interrupts gained nothing.
//
// Off by default: on that VM 64 MiB PUTs fell 20–35 % (the pool threads copying the bodies and the
// hash worker shared the one helper CPU), and a placement is a host-wide decision: two servers that
// each chose "the quietest CPU" would share it. The kernel has no per-thread affinity call Node exposes, so the
// masks are set with util-linux's `taskset` (on every Debian and most Linux hosts); on any other
// platform, or without taskset, the server starts unpinned and says why.
import { execFile } from 'node:child_process';
import fs from 'node:fs';

/** What `--cpu-affinity` asks for: nothing, a plan chosen from the host, or explicit CPU lists. */
export type AffinityMode =
  { kind: 'off' } | { kind: 'auto' } | { kind: 'explicit'; loop: number[]; helpers: number[] };

export interface AffinityPlan {
  /** CPUs the event loop (the main thread) may run on. */
  loop: number[];
  /** CPUs every other thread of the process may run on. */
  helpers: number[];
  /** Why this plan, for the log. */
  reason: string;
}

/** Parses a kernel CPU list ("0-3,8,10-11"); throws on anything else. */
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  for (const part of text.trim().split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part.trim());
    if (!m) throw new Error(`not a CPU list: "${text}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`not a CPU list: "${text}"`);
    for (let c = from; c <= to; c++) cpus.add(c);
  }
  return [...cpus].sort((a, b) => a - b);
}

export const formatCpuList = (cpus: readonly number[]): string => cpus.join(',');

/** `off`, `auto`, or `LOOP:HELPERS` as CPU lists (e.g. `0:1-3`). */
export function parseAffinityMode(text: string): AffinityMode {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === '') return { kind: 'off' };
  if (t === 'auto') return { kind: 'auto' };
  const [loop, helpers, ...rest] = t.split(':');
  if (loop === undefined || helpers === undefined || rest.length > 0) {
    throw new Error(`--cpu-affinity must be off, auto or LOOP:HELPERS CPU lists (e.g. 0:1-3), not "${text}"`);
  }
  const plan = { loop: parseCpuList(loop), helpers: parseCpuList(helpers) };
  if (plan.loop.some((c) => plan.helpers.includes(c))) {
    throw new Error(`--cpu-affinity: the loop's CPUs and the helpers' CPUs must not overlap ("${text}")`);
  }
  return { kind: 'explicit', ...plan };
}

/** The CPUs this process may use, from /proc/self/status (`Cpus_allowed_list`). */
export function allowedCpus(status: string): number[] | undefined {
  const m = /^Cpus_allowed_list:\s*(\S+)\s*$/m.exec(status);
  return m?.[1] === undefined ? undefined : parseCpuList(m[1]);
}

/**
 * Device interrupts taken per CPU so far, from /proc/interrupts: the numbered lines only (disks,
 * NICs), not the architecture's local timer, rescheduling and TLB-shootdown lines, which every CPU
 * takes and no placement avoids.
 */
export function deviceInterrupts(text: string): Map<number, number> {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(/\s+/);
  const cpus = header.map((h) => (/^CPU(\d+)$/.exec(h) ? Number(h.slice(3)) : -1));
  const counts = new Map<number, number>();
  for (const c of cpus) if (c >= 0) counts.set(c, 0);
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!/^\d+:$/.test(fields[0] ?? '')) continue;
    cpus.forEach((cpu, i) => {
      const n = Number(fields[i + 1]);
      if (cpu >= 0 && Number.isFinite(n)) counts.set(cpu, (counts.get(cpu) ?? 0) + n);
    });
  }
  return counts;
}

/**
 * `auto`: the loop alone on the allowed CPU with the fewest device interrupts (on a tie, the
 * highest-numbered: CPU 0 tends to collect housekeeping), the helpers on the rest. Undefined when
 * fewer than two CPUs are allowed: there is nothing to separate.
 */
export function planAuto(
  allowed: readonly number[],
  interrupts: ReadonlyMap<number, number>,
): AffinityPlan | undefined {
  if (allowed.length < 2) return undefined;
  let loop = allowed[0]!;
  for (const c of allowed) {
    if ((interrupts.get(c) ?? 0) <= (interrupts.get(loop) ?? 0)) loop = c;
  }
  return {
    loop: [loop],
    helpers: allowed.filter((c) => c !== loop),
    reason: `CPU ${loop} takes the fewest device interrupts (${interrupts.get(loop) ?? 0})`,
  };
}

/** Sets one thread's CPU mask (`all`: every thread of the process). */
type SetMask = (pid: number, cpus: readonly number[], all: boolean) => Promise<void>;

const taskset: SetMask = (pid, cpus, all) =>
  new Promise((resolve, reject) => {
    const args = [...(all ? ['-a'] : []), '-p', '-c', formatCpuList(cpus), String(pid)];
    execFile('taskset', args, { timeout: 5000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`taskset ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });

let active: { plan: AffinityPlan; set: SetMask } | undefined;

/**
 * Applies a plan to this process: every thread onto the helpers' CPUs, then the main thread onto the
 * loop's. Threads the main thread starts later inherit the loop's mask, so callers start their
 * helpers first (the libuv pool, hash workers) and report later ones with `helperThreadsStarted`.
 */
export async function applyAffinity(plan: AffinityPlan, set: SetMask = taskset): Promise<void> {
  await set(process.pid, plan.helpers, true);
  await set(process.pid, plan.loop, false);
  active = { plan, set };
}

/** A helper thread was started after the plan was applied (it inherited the loop's CPUs): re-apply. */
export function helperThreadsStarted(): void {
  if (active === undefined) return;
  // Best effort: a failure leaves a helper beside the loop, which costs speed, not correctness.
  void applyAffinity(active.plan, active.set).catch(() => undefined);
}

/** The plan for a mode on this host, or why there is none. */
export function planFor(mode: AffinityMode): AffinityPlan | string {
  if (mode.kind === 'off') return 'off';
  if (process.platform !== 'linux') return `not on Linux (${process.platform})`;
  let allowed: number[] | undefined;
  try {
    allowed = allowedCpus(fs.readFileSync('/proc/self/status', 'utf8'));
  } catch {
    allowed = undefined;
  }
  if (allowed === undefined) return 'the allowed CPUs are unknown (no /proc/self/status)';
  if (mode.kind === 'explicit') {
    const outside = [...mode.loop, ...mode.helpers].filter((c) => !allowed.includes(c));
    if (outside.length > 0)
      return `CPU ${formatCpuList(outside)} not allowed (allowed: ${formatCpuList(allowed)})`;
    return { loop: mode.loop, helpers: mode.helpers, reason: 'as configured' };
  }
  let interrupts = new Map<number, number>();
  try {
    interrupts = deviceInterrupts(fs.readFileSync('/proc/interrupts', 'utf8'));
  } catch {
    // unknown: all CPUs look alike and the highest-numbered one is chosen
  }
  return planAuto(allowed, interrupts) ?? `only ${allowed.length} CPU allowed`;
}
