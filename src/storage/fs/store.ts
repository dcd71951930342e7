// The file BlobStore: `<data>/<bucket>/<key>` as plain files, internal state in `<data>/.coffer/`
// (tmp/, multipart/<uploadId>/<part>, markers/<bucket>/, index.db). Writes are temp + fsync +
// rename + parent fsync; key rules (keys.ts) run before any path is built.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { CofferError } from '../../errors/error.js';
import type { DigestName } from '../../kernel/checksums.js';
import { OFFLOAD_MIN_BYTES } from '../../kernel/digest-offload.js';
import type { BlobInfo, BlobReader, BlobStore, CommittedBlob, TempBlob, WriteOptions } from '../ports.js';
import {
  closeQuietly,
  errno,
  type Errno,
  fsyncDir,
  mkdirp,
  openFd,
  readdir,
  rename,
  rmdir,
  stat,
  unlink,
  unlinkQuietly,
} from './fsx.js';
import { keyedGroupCommit } from '../../kernel/group-commit.js';
import { checkBucketName, checkObjectKey, INTERNAL_DIR, isMarkerKey } from './keys.js';
import { ADDON_MAX_CHUNKS, durableFileAddon, type DurableFileAddon } from './native.js';
import { HeldBody, pumpBody, SmallTemp, tempName, TempWriter } from './temp-writer.js';

export interface FsBlobStoreOptions {
  /** The data root: buckets are its directories; `.coffer/` inside it holds internal state. */
  dataDir: string;
  /**
   * Temp files untouched for this long when the store opens are left over from a process that
   * stopped mid-write (a crash, a kill -9) and are removed. Default one hour: an upload in progress
   * (possibly another server's, on a shared filesystem) writes to its temp file far more often.
   */
  staleTempMs?: number;
  /**
   * How small bodies are written: the durable-file addon when built (the default), or null for the
   * JavaScript path (SmallTemp). Both give the same files; tests run both.
   */
  durableFile?: DurableFileAddon | null;
}

/** Removes regular files in `tmpDir` not modified since `before` (epoch ms); returns how many. */
export function sweepStaleTemps(tmpDir: string, before: number): number {
  let removed = 0;
  for (const entry of fs.readdirSync(tmpDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = `${tmpDir}/${entry.name}`;
    try {
      if (fs.statSync(path).mtimeMs >= before) continue;
      fs.unlinkSync(path);
      removed++;
    } catch (e) {
      // Renamed or removed meanwhile (by its writer): nothing left to sweep.
      if (errno(e) !== 'ENOENT') throw e;
    }
  }
  return removed;
}

/** Where the SQLite index lives for a data directory. */
export const indexDbPath = (dataDir: string): string => `${stripSlash(dataDir)}/${INTERNAL_DIR}/index.db`;

/*
 * Directory markers (keys ending in '/'): `photos/` is the directory `<bucket>/photos`, plus a
 * marker file `.coffer/markers/<bucket>/<sha256(key)>` holding its body (usually zero bytes).
 * The file exists even for empty markers because the directory alone cannot tell an object
 * `photos/` from a directory that only holds `photos/a`: deleting `photos/a` must not prune a
 * directory that is itself an object. Hashing the key keeps that namespace flat, so no marker can
 * conflict with another. A directory made through POSIX without a marker file reads as an empty
 * marker, so an imported tree's directories remain readable.
 */

/** Stream chunk size for GETs: large enough for few syscalls, small enough to start quickly. */
const READ_CHUNK = 512 * 1024;
/** Bodies declared at most this long are gathered in memory and written with one call (SmallTemp). */
const SMALL_BODY = 64 * 1024;
/** Reads never follow a symlink in the object's own place (see the note on symlinks in the store). */
const READ_NOFOLLOW = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW;
/** Reads of at most this many bytes are made inline (readSync): a few µs from the page cache. */
const INLINE_READ = 64 * 1024;
const UPLOAD_ID = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,199}$/;

const stripSlash = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);

const conflict = (key: string, why: string): CofferError =>
  new CofferError('ObjectNameConflict', `The object key conflicts with an existing object: ${why}.`, {
    extra: { Key: key },
  });

/*
 * Small bodies read whole are carved from shared slabs, as Buffer.allocUnsafe does from its pool,
 * but up to 8 KiB: the pool serves only sizes under 4 KiB, so a 4 KiB object cost each GET an
 * ArrayBuffer of its own (~1.3 µs against ~0.1 µs here, plus a finalizer for the GC). A slab lives
 * while any body carved from it does, normally one reply; 64 KiB bounds what one body held longer
 * (a client not reading its reply) can keep alive, as the pool's 8 KiB does for it.
 */
const SLAB = 64 * 1024;
const SLAB_MAX_BODY = 8 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB);
let slabUsed = 0;
/** An uninitialised buffer of n bytes (the caller fills all of it, or discards it). */
export function carve(n: number): Buffer {
  if (n > SLAB_MAX_BODY) return Buffer.allocUnsafe(n);
  if (slabUsed + n > SLAB) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    slabUsed = 0;
  }
  const buf = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += (n + 7) & ~7; // every body 8-byte aligned, as in the pool
  return buf;
}

class FdReader implements BlobReader {
  constructor(
    private fd: number | undefined,
    readonly size: number,
    readonly mtimeMs: number,
  ) {}

  stream(start = 0, end = this.size - 1): Readable {
    const fd = this.fd;
    if (fd === undefined) throw new Error('blob reader already streamed or closed');
    this.fd = undefined;
    const last = Math.min(end, this.size - 1);
    if (start > last) {
      closeQuietly(fd);
      return new Readable({
        read() {
          this.push(null);
        },
      });
    }
    return rangeStream(fd, start, last + 1);
  }

  read(start = 0, end = this.size - 1): Promise<Buffer> {
    const fd = this.fd;
    if (fd === undefined) return Promise.reject(new Error('blob reader already streamed or closed'));
    this.fd = undefined;
    const n = Math.max(0, Math.min(end, this.size - 1) - start + 1);
    if (n === 0) {
      closeQuietly(fd);
      return Promise.resolve(Buffer.alloc(0));
    }
    const buf = carve(n);
    if (n <= INLINE_READ) {
      // Small bodies: one read on the main thread. A thread-pool round trip costs far more main-thread
      // time than a page-cache read of a few KiB (the open and fstat beside it are inline too, ADR 0003).
      let got: number;
      try {
        got = fs.readSync(fd, buf, 0, n, start);
      } catch (e) {
        closeInline(fd);
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      closeInline(fd);
      return got < n
        ? Promise.reject(new Error('object file shorter than its recorded size'))
        : Promise.resolve(buf);
    }
    return new Promise((resolve, reject) => {
      fs.read(fd, buf, 0, n, start, (err, got) => {
        // Closing a read-only descriptor touches no disk: inline, not another thread-pool trip.
        closeInline(fd);
        if (err) reject(err);
        else if (got < n) reject(new Error('object file shorter than its recorded size'));
        else resolve(buf);
      });
    });
  }

  sendTo(out: Writable, start = 0, end = this.size - 1): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) return Promise.reject(new Error('blob reader already streamed or closed'));
    this.fd = undefined;
    return sendRange(fd, out, start, Math.min(end, this.size - 1) + 1);
  }

  close(): void {
    if (this.fd !== undefined) closeQuietly(this.fd);
    this.fd = undefined;
  }
}

/** Closing a read-only descriptor touches no disk: inline, not another thread-pool trip. */
function closeInline(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // nothing to do: the bytes (or the read error) are what matter
  }
}

/** Chunk size of sendTo: one read per MiB, as a 1 MiB read stream would. */
const SEND_CHUNK = 1024 * 1024;
/** Buffers one sendTo holds at once: one being read while the previous one is written. */
const SEND_DEPTH = 2;
/** Spare send buffers kept for the next chunk or request (at most SEND_CHUNK × this bytes). */
const SPARE_MAX = 8;
const spare: Buffer[] = [];

/**
 * Writes [start, end) of `fd` into `out`, ends it and closes `fd`; resolves when `out` has finished or
 * closed. A read error (or a file that shrank) destroys `out`: the length is already sent, so the
 * client sees a short body. Unlike a read stream piped into `out`, buffers are reused once `out` has
 * handed them to the kernel (its write callback): a fresh 1 MiB buffer per chunk made the garbage
 * collector, not the copying, the main CPU cost of large GETs. Backpressure: at most SEND_DEPTH
 * buffers per call are being read or waiting to be written.
 */
function sendRange(fd: number, out: Writable, start: number, end: number): Promise<void> {
  return new Promise((resolve) => {
    let pos = start;
    let reading = false;
    let held = 0;
    let fdOpen = true;
    let stopped = false;
    const closeFd = (): void => {
      if (!fdOpen) return;
      fdOpen = false;
      closeInline(fd);
    };
    const stop = (err?: Error): void => {
      if (stopped) return;
      stopped = true;
      out.off('close', onClose);
      if (!reading) closeFd();
      if (err) out.destroy(err);
      resolve();
    };
    const onClose = (): void => stop();
    const recycle = (buf: Buffer): void => {
      if (spare.length < SPARE_MAX) spare.push(buf);
    };
    const fill = (): void => {
      if (stopped || reading || held >= SEND_DEPTH || pos >= end) return;
      const n = Math.min(SEND_CHUNK, end - pos);
      const buf = spare.pop() ?? Buffer.allocUnsafeSlow(SEND_CHUNK);
      reading = true;
      held++;
      fs.read(fd, buf, 0, n, pos, (err, got) => {
        reading = false;
        if (stopped) {
          held--;
          recycle(buf);
          closeFd();
          return;
        }
        if (err || got === 0) {
          held--;
          recycle(buf);
          closeFd();
          // got === 0: the file shrank under us (changed through POSIX): end early rather than hang.
          stop(err ?? new Error('object file shorter than its recorded size'));
          return;
        }
        pos += got;
        const last = pos >= end;
        if (last) closeFd();
        out.write(got === buf.length ? buf : buf.subarray(0, got), (werr?: Error | null) => {
          held--;
          // Only a completed write has released the buffer; after a failure it is left to the GC.
          if (werr == null) recycle(buf);
          fill();
        });
        if (last) out.end(() => stop());
        else fill();
      });
    };
    out.once('close', onClose);
    if (start >= end) {
      closeFd();
      out.end(() => stop());
      return;
    }
    fill();
  });
}

/**
 * Reads [start, end) from `fd` and closes it when done or destroyed. Hand-rolled rather than
 * fs.createReadStream: measured ~1.5× more small GETs per second here (9,000 vs 6,200/s for 1 KiB).
 */
function rangeStream(fd: number, start: number, end: number): Readable {
  let pos = start;
  return new Readable({
    // One chunk of read-ahead, so disk reads overlap socket writes on large GETs.
    highWaterMark: READ_CHUNK,
    read() {
      const n = Math.min(READ_CHUNK, end - pos);
      if (n <= 0) {
        this.push(null);
        return;
      }
      const buf = Buffer.allocUnsafe(n);
      fs.read(fd, buf, 0, n, pos, (err, got) => {
        if (err) {
          this.destroy(err);
          return;
        }
        if (got === 0) {
          // The file shrank under us (changed through POSIX): end early rather than hang.
          this.destroy(new Error('object file shorter than its recorded size'));
          return;
        }
        pos += got;
        this.push(got < n ? buf.subarray(0, got) : buf);
        if (pos >= end) this.push(null);
      });
    },
    destroy(err, callback) {
      fs.close(fd, () => callback(err));
    },
  });
}

/**
 * A promise the caller may await later: marked handled now, so that a rejection arriving before the
 * caller awaits it is not reported as unhandled (the caller still sees it when it awaits).
 */
function settled(p: Promise<void>): Promise<void> {
  p.catch(() => undefined);
  return p;
}

/** The value of a synchronous step as a promise; a throw becomes a rejection. */
const settle = <T>(f: () => T): Promise<T> => new Promise<T>((resolve) => resolve(f()));

/** A zero-byte marker read from its directory alone (no descriptor to hold). */
class EmptyReader implements BlobReader {
  readonly size = 0;
  constructor(readonly mtimeMs: number) {}
  stream(): Readable {
    return new Readable({
      read() {
        this.push(null);
      },
    });
  }
  read(): Promise<Buffer> {
    return Promise.resolve(Buffer.alloc(0));
  }
  sendTo(out: Writable): Promise<void> {
    return new Promise((resolve) => {
      out.once('close', resolve);
      out.end(() => {
        out.off('close', resolve);
        resolve();
      });
    });
  }
  close(): void {}
}

export function openFsBlobStore(options: FsBlobStoreOptions): BlobStore {
  const root = stripSlash(options.dataDir);
  const internal = `${root}/${INTERNAL_DIR}`;
  const tmpDir = `${internal}/tmp`;
  const multipartDir = `${internal}/multipart`;
  const markersDir = `${internal}/markers`;
  for (const d of [tmpDir, multipartDir, markersDir]) fs.mkdirSync(d, { recursive: true });
  sweepStaleTemps(tmpDir, Date.now() - (options.staleTempMs ?? 60 * 60 * 1000));
  // mtimes recorded at fsync time: rename keeps them, so commit needs no extra stat.
  const tempMtimes = new WeakMap<TempBlob, number>();
  // Small bodies whose temp file is not written yet: with the addon, writing, syncing and renaming
  // are one thread-pool job at commit (after the digests were checked), so a small PUT costs the
  // event loop one round trip instead of three. Steps that need the file itself write it first.
  const addon = options.durableFile === null ? undefined : (options.durableFile ?? durableFileAddon());
  const unwritten = new WeakMap<TempBlob, readonly Buffer[]>();
  // Concurrent writes into one directory share its fsync (group commit): each still waits for an
  // fsync that began after its rename, so every acknowledged rename is durable.
  const syncDir = keyedGroupCommit(fsyncDir);
  // Directories known to exist, so a PUT into an existing prefix needs no mkdir. An entry goes
  // stale only when the directory is removed (prune, bucket delete, or outside Coffer): the rename
  // then fails with ENOENT, and `place` forgets the entry and creates it again.
  const knownDirs = new Set<string>();
  const KNOWN_DIRS_MAX = 16_384;

  const bucketDir = (bucket: string): string => {
    checkBucketName(bucket);
    return `${root}/${bucket}`;
  };

  /*
   * Symlinks. The data directory is shared with POSIX users, who can put a symlink where an object
   * or a directory of keys was: followed, a GET would serve /etc/passwd or .coffer/master.key and a
   * PUT or DELETE would act outside the data directory (CWE-59). Coffer never follows one it can see:
   * - an object's own name: reads open with O_NOFOLLOW and HEAD lstat()s;
   * - the directories on the way (the bucket's included): their real path is checked the first time
   *   this process reads from, writes to or deletes in them, and remembered (realDirs, knownDirs).
   * A directory swapped for a symlink while the server runs, after that check, is not caught: a
   * window only openat2(RESOLVE_BENEATH) would close, and a per-request check (a readlink of
   * /proc/self/fd) cost GETs ~15 % of their rate here.
   */
  const realRoot = fs.realpathSync(root);
  const escapes = (): CofferError =>
    new CofferError(
      'AccessDenied',
      'The object is reached through a symbolic link, which Coffer does not follow.',
    );
  // Directories whose real path was checked for reads (a string-set lookup per GET instead of a
  // realpath or a readlink of /proc/self/fd, which cost a GET ~15 % of its rate on this machine).
  const realDirs = new Set<string>();
  const readableDir = (dir: string): void => {
    if (realDirs.has(dir)) return;
    checkRealDir(dir);
    if (realDirs.size >= KNOWN_DIRS_MAX) realDirs.clear();
    realDirs.add(dir);
  };
  /** A directory removed (or found missing): checked again next time it is used. */
  const forgetDir = (dir: string): void => {
    knownDirs.delete(dir);
    realDirs.delete(dir);
  };
  /**
   * Throws unless `dir` (under root), or its nearest existing ancestor when it does not exist yet,
   * is where it says, with no symlink on the way: before mkdir -p, which would follow one too.
   */
  const checkRealDir = (dir: string): void => {
    for (let d = dir; d.length > root.length; d = d.slice(0, d.lastIndexOf('/'))) {
      let real: string;
      try {
        real = fs.realpathSync(d);
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') continue; // look further up
        throw e;
      }
      if (real !== realRoot + d.slice(root.length)) throw escapes();
      return;
    }
  };
  const markerFile = (bucket: string, key: string): string =>
    `${markersDir}/${bucket}/${createHash('sha256').update(key).digest('hex')}`;
  const uploadDir = (uploadId: string): string => {
    if (!UPLOAD_ID.test(uploadId)) throw new CofferError('NoSuchUpload');
    return `${multipartDir}/${uploadId}`;
  };
  const partFile = (uploadId: string, partNumber: number): string => {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
      throw new CofferError('InvalidArgument', 'Part number must be an integer between 1 and 10000.');
    }
    return `${uploadDir(uploadId)}/${partNumber}`;
  };
  /** The object's path, or undefined when the key cannot name a file (so no such object exists). */
  const readablePath = (bucket: string, key: string): string | undefined => {
    const dir = bucketDir(bucket);
    try {
      checkObjectKey(key);
    } catch {
      return undefined;
    }
    return `${dir}/${key}`;
  };
  const checkTemp = (temp: TempBlob): void => {
    if (!temp.path.startsWith(`${tmpDir}/`) || temp.path.slice(tmpDir.length + 1).includes('/')) {
      throw new Error(`not a temp blob of this store: ${temp.path}`);
    }
  };

  /*
   * Reads resolve paths inline (openSync, statSync): a path lookup is a metadata read like the
   * index lookup that runs synchronously beside it, and costs ~2 µs when the entries are cached,
   * whereas a thread-pool round trip costs 20–40 µs of event-loop time on a busy 2-core machine
   * (waking a pool thread preempts the loop). Data reads and every write stay on the pool.
   */
  /** Opens a file under root, following no symlink (its own name: O_NOFOLLOW; its directories: readableDir). */
  const openFile = (path: string): BlobReader | undefined => {
    let fd: number;
    try {
      fd = fs.openSync(path, READ_NOFOLLOW);
    } catch (e) {
      const code = errno(e);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      if (code === 'ELOOP') throw escapes(); // the object's own name is a symlink
      throw e;
    }
    try {
      // fstat of an open descriptor reads the in-memory inode: inline, no thread-pool round trip.
      const st = fs.fstatSync(fd);
      if (!st.isFile()) {
        closeQuietly(fd);
        return undefined;
      }
      try {
        readableDir(path.slice(0, path.lastIndexOf('/')));
      } catch (e) {
        closeQuietly(fd);
        throw e;
      }
      return new FdReader(fd, st.size, st.mtimeMs);
    } catch (e) {
      closeQuietly(fd);
      throw e;
    }
  };
  const statQuiet = async (path: string): Promise<fs.Stats | undefined> => {
    try {
      return await stat(path);
    } catch (e) {
      const code = errno(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
  };

  /** stat (or, with `follow` false, lstat) inline; undefined when nothing is there. */
  const statQuietSync = (path: string, follow = true): fs.Stats | undefined => {
    try {
      return (follow ? fs.statSync : fs.lstatSync)(path, { throwIfNoEntry: false });
    } catch (e) {
      if (errno(e) === 'ENOTDIR') return undefined;
      throw e;
    }
  };

  /** Opens the object's file inline (see the note on reads above); undefined if absent. */
  const openNow = (bucket: string, key: string): BlobReader | undefined => {
    const path = readablePath(bucket, key);
    if (path === undefined) return undefined;
    if (!isMarkerKey(key)) return openFile(path);
    const reader = openFile(markerFile(bucket, key));
    if (reader) return reader;
    const st = statQuietSync(path.slice(0, -1));
    return st?.isDirectory() ? new EmptyReader(st.mtimeMs) : undefined;
  };

  /** The object's size and mtime, inline (see the note on reads above); undefined if absent. */
  const statNow = (bucket: string, key: string): BlobInfo | undefined => {
    const path = readablePath(bucket, key);
    if (path === undefined) return undefined;
    if (isMarkerKey(key)) {
      const marker = statQuietSync(markerFile(bucket, key));
      if (marker?.isFile()) return { size: marker.size, mtimeMs: marker.mtimeMs };
      const st = statQuietSync(path.slice(0, -1));
      return st?.isDirectory() ? { size: 0, mtimeMs: st.mtimeMs } : undefined;
    }
    // lstat: a symlink in the object's place is not the object (HEAD must not describe its target).
    const st = statQuietSync(path, false);
    return st?.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : undefined;
  };

  /** Creates the key's parent directories; a file in the way is a conflict. */
  const makeParents = async (dir: string, key: string): Promise<void> => {
    if (knownDirs.has(dir)) return;
    checkRealDir(dir);
    try {
      const created = await mkdirp(dir);
      // New directories are entries of their parents: make the topmost one durable too.
      if (created !== undefined) await syncDir(created.slice(0, created.lastIndexOf('/')));
      if (knownDirs.size >= KNOWN_DIRS_MAX) knownDirs.clear();
      knownDirs.add(dir);
    } catch (e) {
      const code = errno(e);
      if (code === 'EEXIST' || code === 'ENOTDIR') {
        throw conflict(key, 'a prefix of the key is an object (a file), so it cannot also be a directory');
      }
      throw e;
    }
  };

  /**
   * Renames into place, retrying when a concurrent delete pruned the parent in between; `durable` is
   * the parent directory's fsync, which makes the rename durable (wrapped: an async function cannot
   * resolve to a promise).
   */
  const place = async (from: string, to: string, key: string): Promise<{ durable: Promise<void> }> => {
    const parent = to.slice(0, to.lastIndexOf('/'));
    for (let attempt = 0; ; attempt++) {
      await makeParents(parent, key);
      try {
        await rename(from, to);
        return { durable: settled(syncDir(parent)) };
      } catch (e) {
        const code = errno(e);
        if (code === 'ENOENT' || code === 'ENOTDIR') forgetDir(parent);
        if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
          throw conflict(key, 'other objects exist under this key followed by "/", so it is a directory');
        }
        if (code === 'ENOTDIR') throw conflict(key, 'a prefix of the key is an object (a file)');
        if (code !== 'ENOENT' || attempt >= 5) throw e;
      }
    }
  };

  /** Removes empty directories from `dir` up to (not including) the bucket directory. */
  const prune = async (bucket: string, key: string): Promise<void> => {
    const base = `${root}/${bucket}`;
    let rel = key.endsWith('/') ? key.slice(0, -1) : key;
    for (;;) {
      const slash = rel.lastIndexOf('/');
      if (slash < 0) return;
      rel = rel.slice(0, slash);
      // A directory that is itself a marker object stays.
      if ((await statQuiet(markerFile(bucket, `${rel}/`))) !== undefined) return;
      try {
        forgetDir(`${base}/${rel}`);
        await rmdir(`${base}/${rel}`);
      } catch (e) {
        const code = errno(e);
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT' || code === 'ENOTDIR') return;
        throw e;
      }
    }
  };

  /**
   * Runs a step that renames `temp` away; if it fails before the rename, the temp file is removed, so
   * a refused write (a key that clashes with a directory, an upload aborted meanwhile) leaves nothing
   * behind. Temp names are unique to this process, so the unlink can only hit our own file (or
   * nothing, once renamed).
   */
  const consuming = async <T>(temp: TempBlob, step: () => Promise<T>): Promise<T> => {
    checkTemp(temp);
    try {
      return await step();
    } catch (e) {
      await unlinkQuietly(temp.path);
      throw e;
    }
  };

  /** Writes a held small body to its temp file (fsynced), for the steps that need the file. */
  const materialize = async (temp: TempBlob): Promise<void> => {
    const chunks = unwritten.get(temp);
    if (chunks === undefined || addon === undefined) return;
    unwritten.delete(temp);
    tempMtimes.set(temp, await addon.writeFile(temp.path, chunks, null));
  };

  const commitNow = async (temp: TempBlob, bucket: string, key: string): Promise<CommittedBlob> => {
    const dir = bucketDir(bucket);
    checkObjectKey(key);
    const chunks = unwritten.get(temp);
    if (chunks !== undefined && addon !== undefined && !isMarkerKey(key)) {
      const target = `${dir}/${key}`;
      const parent = target.slice(0, target.lastIndexOf('/'));
      await makeParents(parent, key);
      unwritten.delete(temp);
      try {
        const mtimeMs = await addon.writeFile(temp.path, chunks, target);
        return { size: temp.size, mtimeMs, durable: settled(syncDir(parent)) };
      } catch (e) {
        // Written and synced but not renamed: `place` below sorts out the parent (removed
        // meanwhile) and conflicts as for any temp file.
        if ((e as Errno).syscall !== 'rename') throw e;
      }
    }
    await materialize(temp);
    if (isMarkerKey(key)) {
      // The directory first (a file in the way is a conflict), then the marker's body.
      await makeParents(`${dir}/${key.slice(0, -1)}`, key);
      const target = markerFile(bucket, key);
      await mkdirp(`${markersDir}/${bucket}`);
      await rename(temp.path, target);
      const durable = settled(fsyncDir(`${markersDir}/${bucket}`));
      return { size: temp.size, mtimeMs: await mtimeOf(temp, target), durable };
    }
    const target = `${dir}/${key}`;
    const { durable } = await place(temp.path, target, key);
    return { size: temp.size, mtimeMs: await mtimeOf(temp, target), durable };
  };

  const writeTemp = async (body: Readable, opts: WriteOptions = {}): Promise<TempBlob> => {
    if (opts.expectedSize !== undefined && opts.maxSize !== undefined && opts.expectedSize > opts.maxSize) {
      throw new CofferError(
        'EntityTooLarge',
        `The body exceeds the maximum allowed size of ${opts.maxSize} bytes.`,
      );
    }
    if (opts.expectedSize !== undefined && opts.expectedSize <= SMALL_BODY && addon !== undefined) {
      const held = new HeldBody(opts.digests ?? []);
      await pumpBody(body, held, opts); // nothing on disk yet, so nothing to clean up on failure
      const blob: TempBlob = { path: tempName(tmpDir), size: held.size, digests: await held.digests() };
      unwritten.set(blob, held.chunks.length > ADDON_MAX_CHUNKS ? [Buffer.concat(held.chunks)] : held.chunks);
      return blob;
    }
    if (opts.expectedSize !== undefined && opts.expectedSize <= SMALL_BODY) {
      const small = SmallTemp.start(tmpDir, opts.digests ?? []);
      try {
        await pumpBody(body, small, opts);
      } catch (e) {
        await small.abort();
        throw e;
      }
      // finish() removes the temp file itself when it fails.
      return remember(await small.finish());
    }
    const large = opts.expectedSize === undefined || opts.expectedSize >= OFFLOAD_MIN_BYTES;
    const writer = await TempWriter.create(tmpDir, opts.digests ?? [], large, addon?.copyInto);
    try {
      await pumpBody(body, writer, opts);
      return remember(await writer.finish());
    } catch (e) {
      await writer.abort();
      throw e;
    }
  };

  const remember = (t: TempBlob & { mtimeMs: number }): TempBlob => {
    const blob: TempBlob = { path: t.path, size: t.size, digests: t.digests };
    tempMtimes.set(blob, t.mtimeMs);
    return blob;
  };
  const mtimeOf = async (temp: TempBlob, finalPath: string): Promise<number> =>
    tempMtimes.get(temp) ?? (await stat(finalPath)).mtimeMs;

  const assemble = async (
    uploadId: string,
    partNumbers: number[],
    opts: WriteOptions = {},
  ): Promise<TempBlob> => {
    const paths = partNumbers.map((n) => partFile(uploadId, n));
    const writer = await TempWriter.create(
      tmpDir,
      opts.digests ?? ([] as DigestName[]),
      true,
      addon?.copyInto,
    );
    try {
      for (const [i, path] of paths.entries()) {
        let fd: number;
        try {
          fd = await openFd(path, 'r');
        } catch (e) {
          if (errno(e) === 'ENOENT') {
            throw new CofferError('InvalidPart', `Part ${partNumbers[i]} has not been uploaded.`);
          }
          throw e;
        }
        // Streamed in 1 MiB chunks: a 5 GiB object never sits in memory.
        for await (const chunk of fs.createReadStream(path, { fd, highWaterMark: 1024 * 1024 })) {
          if (opts.maxSize !== undefined && writer.size + (chunk as Buffer).length > opts.maxSize) {
            throw new CofferError('EntityTooLarge');
          }
          if (!writer.push(chunk as Buffer)) await writer.drained();
        }
      }
      if (opts.expectedSize !== undefined && writer.size !== opts.expectedSize) {
        throw new CofferError(
          'IncompleteBody',
          `The parts hold ${writer.size} bytes, not ${opts.expectedSize}.`,
        );
      }
      return remember(await writer.finish());
    } catch (e) {
      await writer.abort();
      throw e;
    }
  };

  return {
    checkKey: checkObjectKey,

    async createBucket(bucket) {
      const dir = bucketDir(bucket);
      try {
        await new Promise<void>((resolve, reject) => fs.mkdir(dir, (e) => (e ? reject(e) : resolve())));
        await fsyncDir(root);
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
    },

    async deleteBucket(bucket) {
      const dir = bucketDir(bucket);
      // Depth-first: refuse if any file is found before removing anything.
      const dirs: string[] = [];
      const walk = async (d: string): Promise<void> => {
        dirs.push(d);
        for (const entry of await readdir(d)) {
          if (!entry.isDirectory()) {
            throw new CofferError(
              'BucketNotEmpty',
              `The bucket directory still holds a file (${entry.name}).`,
            );
          }
          await walk(`${d}/${entry.name}`);
        }
      };
      try {
        await walk(dir);
      } catch (e) {
        if (errno(e) === 'ENOENT' && dirs.length <= 1) return; // already gone
        throw e;
      }
      const markers = `${markersDir}/${bucket}`;
      const markerEntries = await readdir(markers).catch((e: unknown) => {
        if (errno(e) === 'ENOENT') return [];
        throw e;
      });
      if (markerEntries.length > 0) {
        throw new CofferError('BucketNotEmpty', 'The bucket still holds directory-marker objects.');
      }
      await rmdir(markers).catch(() => undefined);
      for (const d of dirs.reverse()) await rmdir(d);
      knownDirs.clear();
      realDirs.clear();
      await fsyncDir(root);
    },

    writeTemp,

    commit: (temp, bucket, key) => consuming(temp, () => commitNow(temp, bucket, key)),

    async discard(temp) {
      checkTemp(temp);
      if (unwritten.delete(temp)) return; // never written
      await unlinkQuietly(temp.path);
    },

    open: (bucket, key) => settle(() => openNow(bucket, key)),
    openNow,

    stat: (bucket, key) => settle(() => statNow(bucket, key)),
    statNow,

    checkPlace(bucket, key) {
      checkObjectKey(key);
      if (isMarkerKey(key)) return; // a marker is the directory itself
      const dir = bucketDir(bucket);
      const segments = key.split('/');
      let p = dir;
      for (const segment of segments.slice(0, -1)) {
        p += `/${segment}`;
        const st = statQuietSync(p, false);
        if (st === undefined) return; // nothing below can be in the way
        if (!st.isDirectory()) {
          throw conflict(key, 'a prefix of the key is an object (a file), so it cannot also be a directory');
        }
      }
      if (statQuietSync(`${dir}/${key}`, false)?.isDirectory()) {
        throw conflict(key, 'other objects exist under this key followed by "/", so it is a directory');
      }
    },

    async delete(bucket, key) {
      const path = readablePath(bucket, key);
      if (path === undefined) return;
      if (isMarkerKey(key)) {
        await unlinkQuietly(markerFile(bucket, key));
        try {
          forgetDir(path.slice(0, -1));
          await rmdir(path.slice(0, -1)); // only if no other object lives under it
        } catch (e) {
          const code = errno(e);
          if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT' || code === 'ENOTDIR') return;
          throw e;
        }
        await prune(bucket, key);
        return;
      }
      try {
        const parent = path.slice(0, path.lastIndexOf('/'));
        if (!knownDirs.has(parent)) checkRealDir(parent);
        const st = fs.lstatSync(path);
        if (!st.isFile()) return; // a directory (or a symlink) is not this object
        await unlink(path);
      } catch (e) {
        const code = errno(e);
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw e;
      }
      await prune(bucket, key);
    },

    commitPart: (temp, uploadId, partNumber) =>
      consuming(temp, async () => {
        await materialize(temp);
        await mkdirp(uploadDir(uploadId));
        await rename(temp.path, partFile(uploadId, partNumber));
        await fsyncDir(uploadDir(uploadId));
      }),

    openPart: (uploadId, partNumber) => settle(() => openFile(partFile(uploadId, partNumber))),

    assemble,

    async uploadIds() {
      // Anything else in the directory (not an upload id) is not ours to judge.
      return (await readdir(multipartDir))
        .filter((e) => e.isDirectory() && UPLOAD_ID.test(e.name))
        .map((e) => e.name);
    },

    async deleteUpload(uploadId) {
      await new Promise<void>((resolve, reject) =>
        fs.rm(uploadDir(uploadId), { recursive: true, force: true }, (e) => (e ? reject(e) : resolve())),
      );
    },
  };
}
