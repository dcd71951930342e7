// The durable-file addon on a real directory: it must be built by `npm ci` (the fast path is what
// the rest of the suite exercises), write every chunk, report the file's own mtime, rename only on
// success, and fail like node's fs (code, syscall, path) leaving no partial file behind.
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
