// --cpu-affinity on a real server: the event loop alone on one CPU, every other thread (the libuv
// pool, V8's helpers, the hash workers, including ones started later) on the rest. Needs Linux,
// taskset and two allowed CPUs; the CI machine has all three.
import { describe, expect, it, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { allowedCpus } from '../../src/kernel/cpu-affinity.js';
import { startServer } from '../helpers/server.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const hasTaskset = (): boolean => {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const allowed =
  process.platform === 'linux' ? (allowedCpus(readFileSync('/proc/self/status', 'utf8')) ?? []) : [];
const runnable = allowed.length >= 2 && hasTaskset();

/** The server process (the launcher's child, cli/relaunch) and each thread's allowed CPUs. */
function threads(launcherPid: number): { main: string; others: string[] } {
  const children = readFileSync(`/proc/${launcherPid}/task/${launcherPid}/children`, 'utf8')
    .trim()
    .split(/\s+/);
  const pid = Number(children[0]);
  const cpusOf = (tid: string): string =>
    /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? '?';
  const tids = readdirSync(`/proc/${pid}/task`);
  return { main: cpusOf(String(pid)), others: tids.filter((t) => t !== String(pid)).map(cpusOf) };
}

describe.skipIf(!runnable)('coffer server --cpu-affinity', () => {
  it('auto: the loop alone on one allowed CPU, every other thread on the rest, hash workers included', async () => {
    const s = await startServer({ args: ['--cpu-affinity', 'auto'] });
    stops.push(() => s.stop());
    expect(s.stderr() + s.stdout()).toMatch(/threads pinned/);
    const before = threads(s.pid);
    const loop = Number(before.main);
    expect(allowed).toContain(loop);
    const helpers = allowed.filter((c) => c !== loop).join(',');
    expect(before.others.length).toBeGreaterThan(4);
    expect(new Set(before.others)).toEqual(new Set([helpers]));

    // A large body runs on the hash workers; the server still answers correctly and no thread has
    // come back to the loop's CPU.
    const client = new S3Client({
      endpoint: s.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: 'pinned' }));
    const body = randomBytes(3 * 1024 * 1024);
    await client.send(new PutObjectCommand({ Bucket: 'pinned', Key: 'big', Body: body }));
    const got = await client.send(new GetObjectCommand({ Bucket: 'pinned', Key: 'big' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    const after = threads(s.pid);
    expect(after.main).toBe(String(loop));
    expect(new Set(after.others)).toEqual(new Set([helpers]));
  });

  it('explicit LOOP:HELPERS lists are applied as given', async () => {
    const [a, b] = allowed.slice(-2) as [number, number];
    const s = await startServer({ args: ['--cpu-affinity', `${b}:${a}`] });
    stops.push(() => s.stop());
    const t = threads(s.pid);
    expect(t.main).toBe(String(b));
    expect(new Set(t.others)).toEqual(new Set([String(a)]));
  });
});

describe('coffer server --cpu-affinity, refused values', () => {
  it('fails to start with a clear message', async () => {
    await expect(startServer({ args: ['--cpu-affinity', '0-1:1'], timeoutMs: 10_000 })).rejects.toThrow(
      /must not overlap/,
    );
  });

  it.skipIf(!existsSync('/proc/self/status'))(
    'off (the default) leaves every thread where the system put it',
    async () => {
      const s = await startServer();
      stops.push(() => s.stop());
      const t = threads(s.pid);
      const all = allowed.join(',');
      // The kernel prints ranges ("0-1"); compare as sets of CPUs.
      const expand = (list: string): string =>
        list
          .split(',')
          .flatMap((p) => {
            const [x, y] = p.split('-').map(Number) as [number, number | undefined];
            return Array.from({ length: (y ?? x) - x + 1 }, (_, i) => x + i);
          })
          .join(',');
      expect(expand(t.main)).toBe(all);
      expect(t.others.map(expand).every((c) => c === all)).toBe(true);
    },
  );
});
