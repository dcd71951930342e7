// The file BlobStore on a real temp directory: atomic writes, digests, ranges, key rules (including
// traversal attempts), file/directory conflicts, directory markers, pruning, buckets and multipart.
import { createHash, randomBytes } from 'node:crypto';
import fs, {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlobStore } from '../ports.js';
import { checkObjectKey } from './keys.js';
import { carve, indexDbPath, openFsBlobStore } from './store.js';

let data: string;
let store: BlobStore;
beforeEach(async () => {
  data = mkdtempSync(join(tmpdir(), 'coffer-blob-'));
  store = openFsBlobStore({ dataDir: data });
  await store.createBucket('b');
});
afterEach(() => rmSync(data, { recursive: true, force: true }));

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const collect = async (s: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};
const tmpFiles = (): string[] => readdirSync(join(data, '.coffer', 'tmp'));
const put = async (key: string, body: string | Buffer, bucket = 'b') => {
  const temp = await store.writeTemp(Readable.from([Buffer.from(body)]));
  // No discard on failure: a refused commit removes the temp file itself (asserted via tmpFiles()).
  const committed = await store.commit(temp, bucket, key);
  await committed.durable;
  return committed;
};
const read = async (key: string, start?: number, end?: number): Promise<string | undefined> => {
  const r = await store.open('b', key);
  return r && (await collect(r.stream(start, end))).toString();
};
/** A body that yields `good` bytes, then fails like a client that went away. */
const failingBody = (good: number, error: Error = new Error('socket hang up')): Readable => {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(good, 1));
      } else {
        setImmediate(() => this.destroy(error));
      }
    },
  });
};

describe('writes', () => {
  it('writes, commits and reads back with MD5 and the requested digests', async () => {
    const body = Buffer.from('hello world');
    const temp = await store.writeTemp(Readable.from([body.subarray(0, 5), body.subarray(5)]), {
      digests: ['CRC32', 'SHA256'],
      expectedSize: 11,
    });
    expect(temp.size).toBe(11);
    expect(temp.digests.MD5?.toString('hex')).toBe(md5(body));
    expect(temp.digests.SHA256?.toString('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(temp.digests.CRC32?.readUInt32BE(0)).toBe(crc32(body));
    const info = await store.commit(temp, 'b', 'dir/sub/hello.txt');
    expect(info.size).toBe(11);
    expect(info.mtimeMs).toBe(statSync(join(data, 'b', 'dir', 'sub', 'hello.txt')).mtimeMs);
    expect(readFileSync(join(data, 'b', 'dir', 'sub', 'hello.txt'), 'utf8')).toBe('hello world');
    expect(tmpFiles()).toEqual([]);
    await info.durable;
    expect(await store.stat('b', 'dir/sub/hello.txt')).toEqual({ size: info.size, mtimeMs: info.mtimeMs });
  });

  it('replaces an existing object atomically', async () => {
    await put('k', 'one');
    await put('k', 'second');
    expect(await read('k')).toBe('second');
  });

  it('streams a large body through backpressure with a correct MD5', async () => {
    const chunk = Buffer.alloc(64 * 1024);
    const whole = Buffer.alloc(40 * 1024 * 1024);
    for (let i = 0; i < whole.length; i += 4096) whole.writeUInt32BE(i, i);
    const chunks: Buffer[] = [];
    for (let i = 0; i < whole.length; i += chunk.length) chunks.push(whole.subarray(i, i + chunk.length));
    const temp = await store.writeTemp(Readable.from(chunks), { expectedSize: whole.length });
    expect(temp.digests.MD5?.toString('hex')).toBe(md5(whole));
    await store.commit(temp, 'b', 'big');
    expect(md5(readFileSync(join(data, 'b', 'big')))).toBe(md5(whole));
  });

  it('leaves nothing behind when the body errors midway', async () => {
    await expect(store.writeTemp(failingBody(100_000))).rejects.toMatchObject({ code: 'IncompleteBody' });
    expect(tmpFiles()).toEqual([]);
    expect(readdirSync(join(data, 'b'))).toEqual([]);
  });

  it('passes a verifier CofferError from the body through unchanged', async () => {
    const { CofferError } = await import('../../errors/error.js');
    const err = new CofferError('XAmzContentSHA256Mismatch');
    await expect(store.writeTemp(failingBody(10, err))).rejects.toBe(err);
    expect(tmpFiles()).toEqual([]);
  });

  it('refuses short, long and oversized bodies and cleans up', async () => {
    const body = () => Readable.from([Buffer.alloc(1000)]);
    await expect(store.writeTemp(body(), { expectedSize: 1001 })).rejects.toMatchObject({
      code: 'IncompleteBody',
    });
    await expect(store.writeTemp(body(), { expectedSize: 999 })).rejects.toMatchObject({
      code: 'IncompleteBody',
    });
    await expect(store.writeTemp(body(), { maxSize: 999 })).rejects.toMatchObject({ code: 'EntityTooLarge' });
    await expect(store.writeTemp(body(), { expectedSize: 5000, maxSize: 999 })).rejects.toMatchObject({
      code: 'EntityTooLarge',
    });
    expect(tmpFiles()).toEqual([]);
    const ok = await store.writeTemp(body(), { expectedSize: 1000, maxSize: 1000 });
    expect(ok.size).toBe(1000);
    await store.discard(ok);
    expect(tmpFiles()).toEqual([]);
  });

  it('survives a body that errors after it was refused', async () => {
    const body = new Readable({ read() {} });
    const result = store.writeTemp(body, { maxSize: 10 });
    body.push(Buffer.alloc(20));
    await expect(result).rejects.toMatchObject({ code: 'EntityTooLarge' });
    body.destroy(new Error('client went away')); // would be an unhandled 'error' event otherwise
    await new Promise((r) => setImmediate(r));
    expect(body.destroyed).toBe(true);
    expect(tmpFiles()).toEqual([]);
  });

  it('writes an empty body', async () => {
    const temp = await store.writeTemp(Readable.from([]), { expectedSize: 0 });
    expect(temp.digests.MD5?.toString('hex')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    await store.commit(temp, 'b', 'empty');
    expect(await read('empty')).toBe('');
  });
});

describe('reads', () => {
  it('serves byte ranges, clamps the end, and closes unread readers', async () => {
    await put('r', '0123456789');
    expect(await read('r')).toBe('0123456789');
    expect(await read('r', 2, 4)).toBe('234');
    expect(await read('r', 7, 100)).toBe('789');
    expect(await read('r', 9)).toBe('9');
    const r = await store.open('b', 'r');
    expect(r?.size).toBe(10);
    r?.close();
    expect(() => r?.stream()).toThrow();
    expect(await store.open('b', 'missing')).toBeUndefined();
    expect(await store.open('b', 'r/child')).toBeUndefined();
    expect(await store.stat('b', 'missing')).toBeUndefined();
  });

  it('reads small bodies whole into buffers of their own, however many are held at once', async () => {
    // Bodies of up to 8 KiB share slabs (carve): none may overlap another, across slab boundaries.
    const sizes = [0, 1, 7, 8, 9, 4095, 4096, 4097, 8191, 8192, 8193, 20_000];
    const bodies = Array.from({ length: 60 }, (_, i) => randomBytes(sizes[i % sizes.length]!));
    for (const [i, body] of bodies.entries()) await put(`s/${i}`, body);
    const held: Buffer[] = [];
    for (let i = 0; i < bodies.length; i++) {
      const r = await store.open('b', `s/${i}`);
      held.push(await r!.read());
    }
    held.forEach((got, i) => expect(got.equals(bodies[i]!), `body ${i}`).toBe(true));
    const a = carve(4096).fill(1);
    const b = carve(4096).fill(2);
    expect(a.every((x) => x === 1) && b.every((x) => x === 2)).toBe(true);
    expect(carve(8193).buffer.byteLength).not.toBe(64 * 1024);
  });

  it('fails the stream, rather than hanging, when the file shrank under the reader', async () => {
    await put('shrink', '0123456789');
    const r = await store.open('b', 'shrink');
    truncateSync(join(data, 'b', 'shrink'), 4);
    await expect(collect(r!.stream())).rejects.toThrow(/shorter/);
  });

  it('sends ranges into a writable, across several chunks, reusing buffers and closing the file', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 123);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 251;
    await put('big', body);
    // Like a socket, the sink is done with each chunk when it calls back (it copies it here).
    const send = async (start?: number, end?: number): Promise<Buffer> => {
      const r = await store.open('b', 'big');
      const chunks: Buffer[] = [];
      const out = new Writable({
        write(chunk: Buffer, _enc, cb) {
          chunks.push(Buffer.from(chunk));
          setImmediate(cb);
        },
      });
      await r!.sendTo(out, start, end);
      return Buffer.concat(chunks);
    };
    const closes = vi.spyOn(fs, 'closeSync');
    for (let round = 0; round < 2; round++) {
      expect((await send()).equals(body)).toBe(true);
      expect((await send(1000, 2_500_000)).equals(body.subarray(1000, 2_500_001))).toBe(true);
      expect((await send(body.length - 5, body.length + 100)).equals(body.subarray(body.length - 5))).toBe(
        true,
      );
      expect((await send(body.length + 10)).length).toBe(0);
    }
    expect(closes).toHaveBeenCalledTimes(8);
    closes.mockRestore();
  });

  it('sendTo stops when the writable closes early, and cuts it when the file shrank', async () => {
    await put('s', Buffer.alloc(2 * 1024 * 1024 + 1, 1));
    const closes = vi.spyOn(fs, 'closeSync');
    const r1 = await store.open('b', 's');
    const gone = new Writable({
      write(_chunk, _enc, cb) {
        this.destroy();
        cb();
      },
    });
    await r1!.sendTo(gone);
    // A read may still be in flight when the writable closes: the descriptor is closed when it returns.
    await vi.waitFor(() => expect(closes).toHaveBeenCalledTimes(1));
    const r2 = await store.open('b', 's');
    truncateSync(join(data, 'b', 's'), 1024 * 1024 + 10);
    closes.mockClear();
    const out = new Writable({ write: (_chunk, _enc, cb) => setImmediate(cb) });
    const failed = new Promise((resolve) => out.once('error', resolve));
    await r2!.sendTo(out);
    expect(String(await failed)).toMatch(/shorter/);
    expect(() => r2?.stream()).toThrow();
    expect(closes).toHaveBeenCalledTimes(1);
    closes.mockRestore();
  });

  it('does not treat a directory as an object', async () => {
    await put('d/x', 'x');
    expect(await store.open('b', 'd')).toBeUndefined();
    expect(await store.stat('b', 'd')).toBeUndefined();
  });
});

describe('key rules', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['../../etc/passwd', /"\.\." segment/],
    ['a/../../x', /"\.\." segment/],
    ['..', /"\.\." segment/],
    ['.', /"\." segment/],
    ['a/./b', /"\." segment/],
    ['./', /"\." segment/],
    ['/etc/passwd', /starts with "\/"/],
    ['/', /starts with "\/"/],
    ['a//b', /empty segment/],
    ['a//', /empty segment/],
    ['a\0b', /NUL/],
    [`${'x'.repeat(256)}`, /longer than 255 bytes/],
    [`a/${'é'.repeat(128)}/b`, /longer than 255 bytes/],
    ['bad\ud800surrogate', /lone surrogate/],
  ];
  it.each(bad)('refuses %j', async (key, why) => {
    expect(() => checkObjectKey(key)).toThrow(why);
    expect(() => store.checkKey(key)).toThrowError(
      expect.objectContaining({ code: 'InvalidObjectName' }) as Error,
    );
    await expect(put(key, 'x')).rejects.toMatchObject({ code: 'InvalidObjectName' });
    expect(await store.open('b', key)).toBeUndefined();
    expect(tmpFiles()).toEqual([]);
  });

  it('refuses keys over 1024 bytes with KeyTooLongError', () => {
    const seg = 'y'.repeat(200);
    const key = [seg, seg, seg, seg, seg, 'z'.repeat(20)].join('/'); // 1025 bytes
    expect(Buffer.byteLength(key)).toBe(1025);
    expect(() => store.checkKey(key)).toThrowError(
      expect.objectContaining({ code: 'KeyTooLongError' }) as Error,
    );
    expect(() => store.checkKey(key.slice(0, -1))).not.toThrow();
    expect(() => store.checkKey('é'.repeat(513))).toThrowError(
      expect.objectContaining({ code: 'KeyTooLongError' }) as Error,
    );
  });

  it('accepts literal look-alikes, dot files, long segments and unicode', async () => {
    const good = [
      '%2e%2e',
      '%2e%2e%2fetc',
      '...',
      '.hidden',
      'a/.b/..c',
      'x'.repeat(255),
      'é/😀/日本語.txt',
      'a b+c',
    ];
    for (const key of good) {
      await put(key, `body of ${key}`);
      expect(await read(key)).toBe(`body of ${key}`);
      expect(existsSync(join(data, 'b', key))).toBe(true);
    }
    // Nothing escaped the bucket directory.
    expect(readdirSync(data).sort()).toEqual(['.coffer', 'b']);
  });
});

describe('temp files left by a stopped process', () => {
  it('are removed when the store opens once stale, while recent ones (a write in progress) stay', async () => {
    const tmp = join(data, '.coffer', 'tmp');
    const old = Date.now() / 1000 - 2 * 3600;
    writeFileSync(join(tmp, 'crashed.1'), 'half an upload');
    utimesSync(join(tmp, 'crashed.1'), old, old);
    writeFileSync(join(tmp, 'writing.2'), 'still streaming');
    mkdirSync(join(tmp, 'not-a-temp-file'));
    utimesSync(join(tmp, 'not-a-temp-file'), old, old);
    openFsBlobStore({ dataDir: data });
    expect(readdirSync(tmp).sort()).toEqual(['not-a-temp-file', 'writing.2']);
    // The age is configurable: with 0, anything modified before the open counts as stale.
    await new Promise((r) => setTimeout(r, 5));
    openFsBlobStore({ dataDir: data, staleTempMs: 0 });
    expect(readdirSync(tmp)).toEqual(['not-a-temp-file']);
  });
});

describe('conflicts between files and directories', () => {
  it('refuses a key under an existing object', async () => {
    await put('a', 'file');
    await expect(put('a/b', 'x')).rejects.toMatchObject({ code: 'ObjectNameConflict', status: 409 });
    await expect(put('a/b/c', 'x')).rejects.toMatchObject({ code: 'ObjectNameConflict' });
    await expect(put('a/', '')).rejects.toMatchObject({ code: 'ObjectNameConflict' });
    expect(await read('a')).toBe('file');
    expect(tmpFiles()).toEqual([]);
  });

  it('refuses an object where a directory of other objects exists', async () => {
    await put('x/y', 'child');
    await expect(put('x', 'file')).rejects.toMatchObject({ code: 'ObjectNameConflict' });
    await put('m/', '');
    await expect(put('m', 'file')).rejects.toMatchObject({ code: 'ObjectNameConflict' });
    expect(await read('x/y')).toBe('child');
    expect(tmpFiles()).toEqual([]);
  });
});

describe('delete', () => {
  it('prunes parent directories left empty, never the bucket', async () => {
    await put('a/b/c/d', '1');
    await put('a/keep', '2');
    await store.delete('b', 'a/b/c/d');
    expect(readdirSync(join(data, 'b', 'a'))).toEqual(['keep']);
    await store.delete('b', 'a/keep');
    expect(readdirSync(join(data, 'b'))).toEqual([]);
    expect(existsSync(join(data, 'b'))).toBe(true);
    await store.delete('b', 'a/keep'); // idempotent
    await store.delete('b', '../escape'); // invalid keys are simply absent
  });

  it('does not delete a directory that shares the key', async () => {
    await put('d/x', 'x');
    await store.delete('b', 'd');
    expect(await read('d/x')).toBe('x');
  });
});

describe('symlinks placed in the data directory through POSIX', () => {
  // Outside the data directory: what a followed symlink would expose or change.
  let outside: string;
  beforeEach(() => {
    outside = mkdtempSync(join(tmpdir(), 'coffer-outside-'));
    writeFileSync(join(outside, 'passwd'), 'root:x:0:0');
  });
  afterEach(() => rmSync(outside, { recursive: true, force: true }));
  const refusal = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
      return 'accepted';
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  };

  it('are not followed on reads: an object, a directory of keys or a whole bucket', async () => {
    await put('victim.txt', 'mine');
    await put('sub/passwd', 'mine too');
    rmSync(join(data, 'b', 'victim.txt'));
    fs.symlinkSync(join(outside, 'passwd'), join(data, 'b', 'victim.txt'));
    expect(await refusal(store.open('b', 'victim.txt'))).toBe('AccessDenied');
    expect(store.statNow?.('b', 'victim.txt')).toBeUndefined(); // HEAD does not describe the target
    rmSync(join(data, 'b', 'sub'), { recursive: true });
    fs.symlinkSync(outside, join(data, 'b', 'sub'));
    expect(await refusal(store.open('b', 'sub/passwd'))).toBe('AccessDenied');
    await store.createBucket('c');
    rmSync(join(data, 'c'), { recursive: true });
    fs.symlinkSync(outside, join(data, 'c'));
    expect(await refusal(store.open('c', 'passwd'))).toBe('AccessDenied');
    // The data directory itself may be reached through a symlink: that is the operator's choice.
    const link = `${data}-link`;
    fs.symlinkSync(data, link);
    try {
      await put('plain.txt', 'fine');
      const viaLink = openFsBlobStore({ dataDir: link });
      const r = await viaLink.open('b', 'plain.txt');
      expect(r && (await collect(r.stream())).toString()).toBe('fine');
    } finally {
      rmSync(link);
    }
  });

  it('are not followed on writes or deletes, and nothing outside changes', async () => {
    mkdirSync(join(outside, 'd'));
    writeFileSync(join(outside, 'd', 'keep'), 'keep');
    fs.symlinkSync(join(outside, 'd'), join(data, 'b', 'sub'));
    expect(await refusal(put('sub/pwned', 'x'))).toBe('AccessDenied');
    expect(await refusal(put('sub/deeper/pwned', 'x'))).toBe('AccessDenied');
    expect(await refusal(store.delete('b', 'sub/keep'))).toBe('AccessDenied');
    expect(readdirSync(join(outside, 'd'))).toEqual(['keep']);
    expect(tmpFiles()).toEqual([]);
  });
});

describe('directory markers', () => {
  it('stores an empty marker as the directory, and survives the pruning of its children', async () => {
    const info = await put('photos/', '');
    expect(info.size).toBe(0);
    expect(statSync(join(data, 'b', 'photos')).isDirectory()).toBe(true);
    expect(await read('photos/')).toBe('');
    await put('photos/2024/a.jpg', 'jpg');
    await store.delete('b', 'photos/2024/a.jpg');
    expect(existsSync(join(data, 'b', 'photos', '2024'))).toBe(false);
    expect(statSync(join(data, 'b', 'photos')).isDirectory()).toBe(true);
    expect(await store.stat('b', 'photos/')).toMatchObject({ size: 0 });
    await store.delete('b', 'photos/');
    expect(readdirSync(join(data, 'b'))).toEqual([]);
    expect(await store.open('b', 'photos/')).toBeUndefined();
  });

  it('keeps a non-empty marker body outside the tree and reads it back', async () => {
    await put('docs/', 'marker body');
    expect(await read('docs/')).toBe('marker body');
    expect(await read('docs/', 7)).toBe('body');
    expect(readdirSync(join(data, 'b', 'docs'))).toEqual([]);
    await put('docs/a/', 'nested marker');
    await put('docs/a/file', 'f');
    expect(await read('docs/a/')).toBe('nested marker');
    // Deleting the marker while children exist keeps the directory for them.
    await store.delete('b', 'docs/');
    expect(await read('docs/a/file')).toBe('f');
    expect(await store.stat('b', 'docs/')).toMatchObject({ size: 0 }); // now a plain directory
    await store.delete('b', 'docs/a/file');
    expect(await read('docs/a/')).toBe('nested marker');
    await store.delete('b', 'docs/a/');
    expect(readdirSync(join(data, 'b'))).toEqual([]);
  });
});

describe('buckets', () => {
  it('creates idempotently and refuses internal or unsafe names', async () => {
    await store.createBucket('b');
    for (const name of ['.coffer', '.', '..', '', 'a/b', '.hidden']) {
      await expect(store.createBucket(name)).rejects.toMatchObject({ code: 'InvalidBucketName' });
    }
    expect(readdirSync(data).sort()).toEqual(['.coffer', 'b']);
  });

  it('deletes only a bucket without files', async () => {
    await put('a/b', 'x');
    await expect(store.deleteBucket('b')).rejects.toMatchObject({ code: 'BucketNotEmpty' });
    await store.delete('b', 'a/b');
    mkdirSync(join(data, 'b', 'empty', 'dirs'), { recursive: true });
    await store.deleteBucket('b');
    expect(existsSync(join(data, 'b'))).toBe(false);
    await store.deleteBucket('b'); // already gone
  });

  it('counts non-empty markers as content', async () => {
    await put('m/', 'body');
    await expect(store.deleteBucket('b')).rejects.toMatchObject({ code: 'BucketNotEmpty' });
    await store.delete('b', 'm/');
    await store.deleteBucket('b');
  });
});

describe('multipart', () => {
  const part = async (uploadId: string, n: number, body: Buffer): Promise<void> => {
    await store.commitPart(await store.writeTemp(Readable.from([body])), uploadId, n);
  };

  it('stores parts, replaces them, and assembles the concatenation with digests', async () => {
    const p1 = Buffer.alloc(3 * 1024 * 1024, 'a');
    const p2 = Buffer.from('second part');
    const p3 = Buffer.alloc(2 * 1024 * 1024 + 7, 'c');
    await part('up1', 1, Buffer.from('stale'));
    await part('up1', 1, p1);
    await part('up1', 2, p2);
    await part('up1', 3, p3);
    await part('up1', 4, Buffer.from('not included'));
    const r = await store.openPart('up1', 2);
    expect(r && (await collect(r.stream())).toString()).toBe('second part');
    expect(await store.openPart('up1', 9)).toBeUndefined();

    const whole = Buffer.concat([p1, p2, p3]);
    const temp = await store.assemble('up1', [1, 2, 3], { digests: ['CRC32'], expectedSize: whole.length });
    expect(temp.size).toBe(whole.length);
    expect(temp.digests.MD5?.toString('hex')).toBe(md5(whole));
    expect(temp.digests.CRC32?.readUInt32BE(0)).toBe(crc32(whole));
    await store.commit(temp, 'b', 'assembled');
    expect(md5(readFileSync(join(data, 'b', 'assembled')))).toBe(md5(whole));

    await store.deleteUpload('up1');
    expect(existsSync(join(data, '.coffer', 'multipart', 'up1'))).toBe(false);
    expect(tmpFiles()).toEqual([]);
  });

  it('refuses missing parts and unsafe upload ids, leaving no temp file', async () => {
    await part('up2', 1, Buffer.from('x'));
    await expect(store.assemble('up2', [1, 2])).rejects.toMatchObject({ code: 'InvalidPart' });
    await expect(store.assemble('up2', [1], { maxSize: 0 })).rejects.toMatchObject({
      code: 'EntityTooLarge',
    });
    expect(tmpFiles()).toEqual([]);
    await expect(store.openPart('../../b', 1)).rejects.toMatchObject({ code: 'NoSuchUpload' });
    await expect(store.deleteUpload('..')).rejects.toMatchObject({ code: 'NoSuchUpload' });
    await expect(store.openPart('up2', 0)).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('names the uploads that have part directories, and nothing else in that directory', async () => {
    expect(await store.uploadIds()).toEqual([]);
    await part('up-a', 1, Buffer.from('a'));
    await part('up-b', 2, Buffer.from('b'));
    const dir = join(data, '.coffer', 'multipart');
    writeFileSync(join(dir, 'stray-file'), '');
    mkdirSync(join(dir, '.hidden'));
    expect((await store.uploadIds()).sort()).toEqual(['up-a', 'up-b']);
    await store.deleteUpload('up-a');
    expect(await store.uploadIds()).toEqual(['up-b']);
  });
});

it('places the index under .coffer', () => {
  expect(indexDbPath('/srv/data/')).toBe('/srv/data/.coffer/index.db');
  writeFileSync(indexDbPath(data), '');
  expect(existsSync(join(data, '.coffer', 'index.db'))).toBe(true);
});

// Bodies declared at most 64 KiB take their own path: held in memory and, with the durable-file
// addon (native.ts), written, synced and renamed in one thread-pool job at commit; without it,
// through SmallTemp. Both must give the same files and leave nothing behind on every failure.
describe.each([
  ['with the durable-file addon', undefined],
  ['on the JavaScript path', null],
] as const)('small bodies, %s', (_name, durableFile) => {
  let s: BlobStore;
  beforeEach(() => {
    s = openFsBlobStore({ dataDir: data, ...(durableFile === null ? { durableFile: null } : {}) });
  });
  const split = (body: Buffer, n: number): Buffer[] =>
    Array.from({ length: n }, (_, i) =>
      body.subarray(Math.floor((i * body.length) / n), Math.floor(((i + 1) * body.length) / n)),
    );
  const small = (body: Buffer | string, pieces = 1, digests?: ('CRC32' | 'SHA256')[]) => {
    const b = Buffer.from(body);
    return s.writeTemp(Readable.from(split(b, pieces)), {
      expectedSize: b.length,
      ...(digests ? { digests } : {}),
    });
  };
  const readS = async (key: string): Promise<string | undefined> => {
    const r = await s.open('b', key);
    return r && (await collect(r.stream())).toString();
  };

  it('hashes as it receives, writes nothing before the commit (addon), and commits into new directories', async () => {
    const body = Buffer.from('a small object, sent in three pieces');
    const temp = await small(body, 3, ['CRC32']);
    expect(temp.digests.MD5?.toString('hex')).toBe(md5(body));
    expect(temp.digests.CRC32?.readUInt32BE(0)).toBe(crc32(body));
    // With the addon nothing touches the disk until the digests have been checked and commit runs.
    if (durableFile === undefined) expect(tmpFiles()).toEqual([]);
    const info = await s.commit(temp, 'b', 'x/y/z.txt');
    const path = join(data, 'b', 'x', 'y', 'z.txt');
    expect(readFileSync(path).equals(body)).toBe(true);
    expect(info).toMatchObject({ size: body.length, mtimeMs: statSync(path).mtimeMs });
    await info.durable;
    expect(tmpFiles()).toEqual([]);
    // An overwrite, and a body of many pieces (more than one writev takes).
    const many = Buffer.alloc(64 * 1024, 'q');
    await s.commit(await small(many, 100), 'b', 'x/y/z.txt');
    expect(md5(readFileSync(path))).toBe(md5(many));
    expect(tmpFiles()).toEqual([]);
  });

  it('leaves nothing behind when discarded, refused or cut off', async () => {
    await s.discard(await small('never committed'));
    await expect(s.writeTemp(Readable.from([Buffer.alloc(10)]), { expectedSize: 11 })).rejects.toMatchObject({
      code: 'IncompleteBody',
    });
    await expect(
      s.writeTemp(failingBody(100, new Error('gone')), { expectedSize: 1000 }),
    ).rejects.toMatchObject({ code: 'IncompleteBody' });
    expect(tmpFiles()).toEqual([]);
  });

  it('refuses a conflicting key at commit and removes the written temp file', async () => {
    await s.commit(await small('file'), 'b', 'a');
    await expect(s.commit(await small('x'), 'b', 'a/b')).rejects.toMatchObject({
      code: 'ObjectNameConflict',
    });
    await s.commit(await small('child'), 'b', 'd/e');
    await expect(s.commit(await small('x'), 'b', 'd')).rejects.toMatchObject({ code: 'ObjectNameConflict' });
    expect(await readS('a')).toBe('file');
    expect(await readS('d/e')).toBe('child');
    expect(tmpFiles()).toEqual([]);
  });

  it('recreates a parent directory removed behind its back', async () => {
    await s.commit(await small('one'), 'b', 'p/q/one');
    rmSync(join(data, 'b', 'p'), { recursive: true }); // through POSIX: the store still believes p/q exists
    const info = await s.commit(await small('two'), 'b', 'p/q/two');
    await info.durable;
    expect(await readS('p/q/two')).toBe('two');
    expect(info.mtimeMs).toBe(statSync(join(data, 'b', 'p', 'q', 'two')).mtimeMs);
    expect(tmpFiles()).toEqual([]);
  });

  it('writes directory markers and multipart parts from a held body', async () => {
    await s.commit(await small('marker body'), 'b', 'docs/');
    expect(await readS('docs/')).toBe('marker body');
    await s.commitPart(await small('part one'), 'up1', 1);
    const r = await s.openPart('up1', 1);
    expect(r && (await collect(r.stream())).toString()).toBe('part one');
    const whole = await s.assemble('up1', [1]);
    await s.commit(whole, 'b', 'assembled');
    expect(await readS('assembled')).toBe('part one');
    expect(tmpFiles()).toEqual([]);
  });
});
