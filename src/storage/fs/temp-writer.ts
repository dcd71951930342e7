// Writes a stream of chunks to a new temp file while hashing them in the same pass. Hashing runs on
// the main thread while the previous chunks are written by the thread pool; chunks that arrive
// during a write are coalesced into one positioned writev, so large bodies need few syscalls.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { CofferError } from '../../errors/error.js';
import { MultiDigest, type DigestName } from '../../kernel/checksums.js';
import { OffloadedDigest, type SharedCopy } from '../../kernel/digest-offload.js';
import type { TempBlob, WriteOptions } from '../ports.js';
import { closeQuietly, fsync, openFd, unlinkQuietly, writev } from './fsx.js';

/*
 * Temp file names: a random per-process prefix and a counter. randomBytes per file cost ~15 µs of
 * event-loop time per PUT here; O_EXCL still refuses any name that exists, and the prefix keeps
 * processes (and restarts) sharing a data directory apart.
 */
const tempPrefix = randomBytes(9).toString('hex');
let tempSeq = 0;
export const tempName = (tmpDir: string): string => `${tmpDir}/${tempPrefix}.${(++tempSeq).toString(36)}`;

/** Where pumpBody delivers a body: a streaming temp writer, or a buffer for small bodies. */
export interface BodySink {
  /** Total bytes accepted so far. */
  readonly size: number;
  /** Accepts a chunk; false when the caller should wait for `drained()` (or stop, if `error` is set). */
  push(chunk: Buffer): boolean;
  drained(): Promise<void>;
  readonly error: Error | undefined;
}

/*
 * Bytes queued for writing before the source is asked to wait. Small on purpose: queued chunks that
 * outlive two scavenges are promoted, and only a full GC frees promoted chunks. (The full GCs that
 * large uploads still caused every ~60 ms came from V8's accounting of new ArrayBuffer memory, not
 * from promotion: see cli/relaunch.ts and ADR 0004.)
 */
const HIGH_WATER = 4 * 1024 * 1024;
/** writev accepts at most IOV_MAX (1024 on Linux) buffers. */
const MAX_IOV = 1024;

export interface FinishedTemp extends TempBlob {
  readonly mtimeMs: number;
}

/**
 * Finishes a temp file both writers have filled (`write` first, if given): fsync, then fstat and
 * close inline — a descriptor whose data is synced touches no disk, so they cost a microsecond
 * instead of two thread-pool round trips. On failure the file is removed. The descriptor is closed
 * before the digests are awaited and never closed twice: its number may be reused meanwhile.
 */
async function seal(
  fd: number,
  path: string,
  size: number,
  digest: MultiDigest | OffloadedDigest,
  write?: () => void,
): Promise<FinishedTemp> {
  let mtimeMs: number;
  try {
    write?.();
    await fsync(fd);
    mtimeMs = fs.fstatSync(fd).mtimeMs;
  } catch (e) {
    closeQuietly(fd);
    await unlinkQuietly(path);
    throw e;
  }
  try {
    fs.closeSync(fd);
    return { path, size, digests: await digest.finish(), mtimeMs };
  } catch (e) {
    await unlinkQuietly(path);
    throw e;
  }
}

export class TempWriter implements BodySink {
  private position = 0;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private writing = false;
  private failure: Error | undefined;
  private waiters: { resolve: () => void; reject: (e: Error) => void; drainOnly: boolean }[] = [];
  private readonly digest: MultiDigest | OffloadedDigest;
  /** Total bytes accepted so far. */
  size = 0;

  private constructor(
    readonly path: string,
    private fd: number | undefined,
    digests: Iterable<DigestName>,
    offload: boolean,
    sharedCopy: SharedCopy | undefined,
  ) {
    const names: DigestName[] = ['MD5', ...digests];
    this.digest = offload
      ? new OffloadedDigest(names, () => this.notify(), sharedCopy)
      : new MultiDigest(names);
  }

  /**
   * `offloadHashing`: hash on a worker thread (for bodies of a megabyte or more; see digest-offload),
   * moving the bytes to it with `sharedCopy` when given (the native addon's memcpy).
   */
  static async create(
    tmpDir: string,
    digests: Iterable<DigestName> = [],
    offloadHashing = false,
    sharedCopy?: SharedCopy,
  ): Promise<TempWriter> {
    const path = tempName(tmpDir);
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
    return new TempWriter(path, await openFd(path, flags, 0o644), digests, offloadHashing, sharedCopy);
  }

  /** Hashes and queues a chunk; false when the caller should wait for `drained()`. */
  push(chunk: Buffer): boolean {
    if (this.failure) return false;
    if (chunk.length === 0) return true;
    this.digest.update(chunk);
    this.size += chunk.length;
    this.queued.push(chunk);
    this.queuedBytes += chunk.length;
    if (!this.writing) this.pump();
    return this.belowHighWater();
  }

  private belowHighWater(): boolean {
    return this.queuedBytes < HIGH_WATER && (this.digest instanceof MultiDigest || !this.digest.saturated);
  }

  /** Resolves when the queue is below the high-water mark; rejects on a write error. */
  drained(): Promise<void> {
    return this.wait(true);
  }

  /** Set when a write failed; the writer then accepts nothing more. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Writes out the queue, fsyncs and closes; resolves the finished temp blob. */
  async finish(): Promise<FinishedTemp> {
    await this.wait(false);
    return seal(this.take(), this.path, this.size, this.digest);
  }

  /** Stops, closes and removes the temp file (any queued writes are dropped). */
  async abort(): Promise<void> {
    this.failure ??= new Error('aborted');
    if (this.digest instanceof OffloadedDigest) this.digest.discard();
    this.queued = [];
    this.queuedBytes = 0;
    // Let an in-flight writev return before closing its descriptor.
    if (this.writing) await this.wait(false).catch(() => undefined);
    if (this.fd !== undefined) closeQuietly(this.take());
    await unlinkQuietly(this.path);
  }

  private take(): number {
    const fd = this.fd;
    if (fd === undefined) throw new Error('temp writer already closed');
    this.fd = undefined;
    return fd;
  }

  private wait(drainOnly: boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (drainOnly ? this.belowHighWater() : !this.writing && this.queued.length === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject, drainOnly }));
  }

  private pump(): void {
    const fd = this.fd;
    if (fd === undefined || this.failure) return;
    const batch = this.queued.length <= MAX_IOV ? this.queued : this.queued.slice(0, MAX_IOV);
    this.queued = this.queued.length <= MAX_IOV ? [] : this.queued.slice(MAX_IOV);
    let bytes = 0;
    for (const b of batch) bytes += b.length;
    this.writing = true;
    const at = this.position;
    this.position += bytes;
    writev(fd, batch, at).then(
      (written) => {
        this.writing = false;
        this.queuedBytes -= bytes;
        if (written < bytes) {
          // Short writes to regular files are rare (disk nearly full): requeue the remainder.
          const rest = Buffer.concat(batch).subarray(written);
          this.position = at + written;
          this.queued.unshift(rest);
          this.queuedBytes += rest.length;
        }
        if (this.queued.length > 0) this.pump();
        this.notify();
      },
      (e: Error) => {
        this.writing = false;
        this.failure = e;
        this.notify();
      },
    );
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (this.failure) w.reject(this.failure);
      else if (w.drainOnly ? this.belowHighWater() : !this.writing && this.queued.length === 0) w.resolve();
      else this.waiters.push(w);
    }
  }
}

/**
 * Pipes `body` into `writer`, enforcing the size options. Body errors that are CofferErrors (a chunk
 * signature or checksum verifier) pass through; other stream failures become IncompleteBody.
 * On failure the body is left paused: the caller answers and decides the connection's fate.
 */
const ignore = (): void => undefined;

export function pumpBody(body: Readable, writer: BodySink, options: WriteOptions): Promise<void> {
  const { expectedSize, maxSize } = options;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
      // A later error (the client going away) must not become an unhandled 'error' event.
      body.on('error', ignore);
      if (err === undefined) resolve();
      else {
        body.pause();
        reject(err instanceof Error ? err : new Error('body stream failed', { cause: err }));
      }
    };
    const onData = (data: Buffer | string): void => {
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
      const size = writer.size + chunk.length;
      if (maxSize !== undefined && size > maxSize) {
        settle(
          new CofferError('EntityTooLarge', `The body exceeds the maximum allowed size of ${maxSize} bytes.`),
        );
        return;
      }
      if (expectedSize !== undefined && size > expectedSize) {
        settle(
          new CofferError('IncompleteBody', `The body is longer than the declared ${expectedSize} bytes.`),
        );
        return;
      }
      if (!writer.push(chunk)) {
        if (writer.error) {
          settle(writer.error);
          return;
        }
        body.pause();
        writer.drained().then(
          () => {
            if (!settled) body.resume();
          },
          (e: unknown) => settle(e),
        );
      }
    };
    const onEnd = (): void => {
      if (expectedSize !== undefined && writer.size !== expectedSize) {
        settle(
          new CofferError(
            'IncompleteBody',
            `The body has ${writer.size} bytes where ${expectedSize} were declared.`,
          ),
        );
      } else settle();
    };
    const onError = (e: unknown): void => {
      settle(
        e instanceof CofferError
          ? e
          : new CofferError('IncompleteBody', 'The request body could not be read to its end.', { cause: e }),
      );
    };
    // 'close' before 'end' means the body was cut off (a client that went away).
    const onClose = (): void => {
      if (!body.readableEnded) onError(new Error('body stream closed before its end'));
    };
    if (body.readableEnded) {
      onEnd();
      return;
    }
    if (body.destroyed) {
      onError(body.errored ?? new Error('body stream already destroyed'));
      return;
    }
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    body.on('close', onClose);
    body.resume();
  });
}

/**
 * A small body (its declared length at most a few tens of KiB) gathered in memory and hashed as it
 * arrives, to be written with one call once complete: by the durable-file addon (one thread-pool
 * job that also renames it into place; see native.ts), or by SmallTemp below.
 */
export class HeldBody implements BodySink {
  readonly chunks: Buffer[] = [];
  protected readonly digest: MultiDigest;
  size = 0;
  readonly error: Error | undefined = undefined;

  constructor(digests: Iterable<DigestName> = []) {
    this.digest = new MultiDigest(['MD5', ...digests]);
  }

  push(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    this.digest.update(chunk);
    this.size += chunk.length;
    this.chunks.push(chunk);
    return true;
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  /** The digests of everything pushed (call once). */
  digests(): Promise<Partial<Record<DigestName, Buffer>>> {
    return this.digest.finish();
  }
}

/**
 * A small body written without the addon: the temp file is opened on the thread pool while the
 * chunks arrive, then written with one inline writev (a page-cache copy of a few µs, cheaper than
 * another thread-pool round trip), fsynced on the pool, fstat-ed and closed inline. Same result as
 * a TempWriter.
 */
export class SmallTemp extends HeldBody {
  private constructor(
    readonly path: string,
    private readonly opening: Promise<number>,
    digests: Iterable<DigestName>,
  ) {
    super(digests);
    // A failed open is reported by finish() or cleaned up by abort(); never unhandled.
    opening.catch(() => undefined);
  }

  /** Starts opening the temp file; the body can be pushed meanwhile. */
  static start(tmpDir: string, digests: Iterable<DigestName> = []): SmallTemp {
    const path = tempName(tmpDir);
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
    return new SmallTemp(path, openFd(path, flags, 0o644), digests);
  }

  /** Writes the body, fsyncs and closes; resolves the finished temp blob. */
  async finish(): Promise<FinishedTemp> {
    const fd = await this.opening;
    return seal(fd, this.path, this.size, this.digest, () => {
      let at = 0;
      let rest = this.chunks;
      while (at < this.size) {
        const n = fs.writevSync(fd, rest, at);
        at += n;
        // Short writes to regular files are rare (disk nearly full): write the remainder.
        if (at < this.size) rest = [Buffer.concat(this.chunks).subarray(at)];
      }
    });
  }

  /** Closes and removes the temp file (once its open has completed). */
  async abort(): Promise<void> {
    let fd: number;
    try {
      fd = await this.opening;
    } catch {
      return; // never created
    }
    closeQuietly(fd);
    await unlinkQuietly(this.path);
  }
}
