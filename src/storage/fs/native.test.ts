// The durable-file addon on a real directory: it must be built by `npm ci` (the fast path is what
// the rest of the suite exercises), write every chunk, report the file's own mtime, rename only on
// success, and fail like node's fs (code, syscall, path) leaving no partial file behind; and copy
// into the hash workers' shared memory exactly as Buffer#copy would.
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MultiDigest, type DigestName } from '../../kernel/checksums.js';
import { OffloadedDigest } from '../../kernel/digest-offload.js';
import { addonMissing, durableFileAddon, type DurableFileAddon } from './native.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-native-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const loaded = (): DurableFileAddon => {
  const addon = durableFileAddon();
  if (addon === undefined) throw new Error(`the durable-file addon is not built: ${addonMissing}`);
  return addon;
};

describe('durable-file addon', () => {
  it('is built and loaded (npm ci runs node-gyp)', () => {
    expect(addonMissing).toBeUndefined();
    expect(typeof loaded().writeFile).toBe('function');
  });

  it('writes every chunk in order, reports the mtime, and renames into place', async () => {
    const chunks = [Buffer.from('hello '), Buffer.alloc(0), Buffer.from('durable '), Buffer.from('world')];
    const temp = join(dir, 't1');
    const target = join(dir, 'final');
    const mtimeMs = await loaded().writeFile(temp, chunks, target);
    expect(existsSync(temp)).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('hello durable world');
    expect(mtimeMs).toBe(statSync(target).mtimeMs);
    expect(statSync(target).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('replaces an existing target, and leaves the file at the temp path when no target is given', async () => {
    const target = join(dir, 'final');
    writeFileSync(target, 'old contents, longer than the new');
    await loaded().writeFile(join(dir, 't1'), [Buffer.from('new')], target);
    expect(readFileSync(target, 'utf8')).toBe('new');
    await loaded().writeFile(join(dir, 't2'), [Buffer.from('kept')], null);
    expect(readFileSync(join(dir, 't2'), 'utf8')).toBe('kept');
  });

  it('writes 64 chunks of a larger body, and an empty body', async () => {
    const whole = Buffer.alloc(64 * 1024);
    for (let i = 0; i < whole.length; i += 4) whole.writeUInt32BE(i, i);
    const chunks = Array.from({ length: 64 }, (_, i) => whole.subarray(i * 1024, (i + 1) * 1024));
    await loaded().writeFile(join(dir, 't'), chunks, join(dir, 'big'));
    expect(readFileSync(join(dir, 'big')).equals(whole)).toBe(true);
    await loaded().writeFile(join(dir, 'e'), [], join(dir, 'empty'));
    expect(statSync(join(dir, 'empty')).size).toBe(0);
  });

  it('never overwrites an existing temp file (O_EXCL) and fails like fs.open', async () => {
    const temp = join(dir, 'taken');
    writeFileSync(temp, 'someone else');
    await expect(loaded().writeFile(temp, [Buffer.from('x')], join(dir, 'final'))).rejects.toMatchObject({
      code: 'EEXIST',
      errno: -17,
      syscall: 'open',
      path: temp,
    });
    expect(readFileSync(temp, 'utf8')).toBe('someone else');
    expect(existsSync(join(dir, 'final'))).toBe(false);
  });

  it('leaves the complete, synced temp file when the rename fails, and says so', async () => {
    const temp = join(dir, 't');
    const target = join(dir, 'missing-parent', 'final');
    const err = await loaded()
      .writeFile(temp, [Buffer.from('body')], target)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'ENOENT', syscall: 'rename', path: temp, dest: target });
    // node's own wording, so logs read alike whichever path wrote the file
    const nodes = (() => {
      try {
        renameSync(temp, target);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect((err as Error).message).toBe(nodes);
    expect(readFileSync(temp, 'utf8')).toBe('body');
  });

  it('reports a rename onto a directory (EISDIR) without touching the directory', async () => {
    mkdirSync(join(dir, 'd', 'child'), { recursive: true });
    await expect(
      loaded().writeFile(join(dir, 't'), [Buffer.from('x')], join(dir, 'd')),
    ).rejects.toMatchObject({
      code: 'EISDIR',
      syscall: 'rename',
    });
    expect(readdirSync(join(dir, 'd'))).toEqual(['child']);
  });

  it('fails an open in a missing directory without creating anything', async () => {
    const temp = join(dir, 'nope', 't');
    await expect(loaded().writeFile(temp, [Buffer.from('x')], null)).rejects.toMatchObject({
      code: 'ENOENT',
      syscall: 'open',
      path: temp,
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses bad arguments with a TypeError instead of writing', () => {
    const addon = loaded();
    const bad = addon as unknown as { writeFile: (...args: unknown[]) => Promise<number> };
    expect(() => bad.writeFile(join(dir, 't'), [Buffer.from('x')])).toThrow(TypeError);
    expect(() => bad.writeFile(join(dir, 't'), 'not an array', null)).toThrow(TypeError);
    expect(() => bad.writeFile(join(dir, 't'), ['not a buffer'], null)).toThrow(TypeError);
    expect(() => bad.writeFile(42, [], null)).toThrow(TypeError);
    expect(() => bad.writeFile(join(dir, 't'), [], 42)).toThrow(TypeError);
    expect(() => bad.writeFile(`${join(dir, 't')}\0evil`, [], null)).toThrow(TypeError);
    expect(() =>
      bad.writeFile(
        join(dir, 't'),
        Array.from({ length: 65 }, () => Buffer.alloc(1)),
        null,
      ),
    ).toThrow(TypeError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('runs many writes at once on the thread pool, each to its own file', async () => {
    const addon = loaded();
    const n = 200;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        addon.writeFile(join(dir, `t${i}`), [Buffer.from(`body ${i}`)], join(dir, `o${i}`)),
      ),
    );
    for (let i = 0; i < n; i++) expect(readFileSync(join(dir, `o${i}`), 'utf8')).toBe(`body ${i}`);
    expect(readdirSync(dir).filter((f) => f.startsWith('t'))).toEqual([]);
  });
});

describe('copyInto (the hash ring copy)', () => {
  it('copies like Buffer#copy into shared memory, clipped at the target end', () => {
    const { copyInto } = loaded();
    const target = Buffer.from(new SharedArrayBuffer(64));
    const source = Buffer.from(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(copyInto(target, 10, source, 5, 25)).toBe(20);
    expect([...target.subarray(10, 30)]).toEqual([...source.subarray(5, 25)]);
    expect(target[9]).toBe(0);
    expect(target[30]).toBe(0);
    // Only what fits: 4 bytes at offset 60, as Buffer#copy does.
    expect(copyInto(target, 60, source, 0, 40)).toBe(4);
    expect([...target.subarray(60)]).toEqual([1, 2, 3, 4]);
    expect(copyInto(target, 64, source, 0, 40)).toBe(0);
    expect(copyInto(target, 0, source, 7, 7)).toBe(0);
  });

  it('refuses what is not a buffer or lies outside the buffers', () => {
    const { copyInto } = loaded();
    const bad = copyInto as unknown as (...args: unknown[]) => number;
    const target = Buffer.alloc(8);
    const source = Buffer.alloc(8);
    expect(() => bad(target, 0, source, 0)).toThrow(TypeError);
    expect(() => bad('x', 0, source, 0, 8)).toThrow(TypeError);
    expect(() => bad(target, 0, [1, 2], 0, 2)).toThrow(TypeError);
    expect(() => bad(target, 9, source, 0, 8)).toThrow(TypeError);
    expect(() => bad(target, -1, source, 0, 8)).toThrow(TypeError);
    expect(() => bad(target, 0, source, 0, 9)).toThrow(TypeError);
    expect(() => bad(target, 0, source, 5, 4)).toThrow(TypeError);
    expect(() => bad(target, Number.NaN, source, 0, 8)).toThrow(TypeError);
  });

  it('feeds the hash workers the same bytes as Buffer#copy does', async () => {
    const { copyInto } = loaded();
    const names: DigestName[] = ['MD5', 'SHA256', 'CRC32C'];
    // Chunk sizes that straddle the ring's slots in every way.
    const chunks = [1, 65_535, 1024 * 1024, 3, 2 * 1024 * 1024 + 17, 0, 700_001].map((n) => randomBytes(n));
    const inline = new MultiDigest(names);
    const native = new OffloadedDigest(names, () => undefined, copyInto);
    for (const c of chunks) {
      inline.update(c);
      native.update(c);
    }
    const [want, got] = await Promise.all([inline.finish(), native.finish()]);
    for (const n of names) expect(got[n]?.toString('hex'), n).toBe(want[n]?.toString('hex'));
  });
});
