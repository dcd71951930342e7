// Hashing large bodies off the event loop. MD5 on the main thread runs ~825 MB/s on this class of
// machine (FIELD-NOTES) and, for a large PUT, is most of the event loop's work: with it inline the
// loop both reads the socket and hashes, so one upload's hashing delays every other request (PUT
// 64 MiB × 4 showed p99 3.2 s against a p50 of 0.6 s). Node's own hashes (MD5 for the ETag, SHA-1,
// SHA-256) therefore run on a small pool of worker threads for bodies of a megabyte or more. The
// CRC digests stay inline: zlib's CRC32 is native and far faster than MD5, and the CRC32C /
// CRC64NVME implementations are JavaScript objects a worker could not share anyway.
//
// Bytes reach the worker through a ring of 1 MiB slots in shared memory, reused from stream to
// stream: one copy per byte and no allocation per batch. (Transferring fresh ArrayBuffers instead
// made every batch count as new external memory twice, which tripled the number of full GCs.)
import { once } from 'node:events';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { MultiDigest, type DigestName } from './checksums.js';
import { helperThreadsStarted } from './cpu-affinity.js';

/** Bodies at least this long (or of unknown length) are worth a thread hop per batch. */
export const OFFLOAD_MIN_BYTES = 1024 * 1024;
const SLOT = 1024 * 1024;
const SLOTS = 4;
/** Rings kept for reuse once their stream has finished. */
const SPARE_RINGS = 8;
const WORKER_HASHES: ReadonlySet<DigestName> = new Set<DigestName>(['MD5', 'SHA1', 'SHA256']);
const NODE_NAMES: Record<string, string> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256' };

/*
 * The worker keeps the hashes and ring of each stream by id. Messages on one port arrive in order,
 * so the finish request follows every slot posted before it; each slot is acknowledged once hashed
 * so the sender can fill it again.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const streams = new Map();
parentPort.on('message', (m) => {
  if (m.open) { streams.set(m.id, { ring: m.ring, hashes: m.open.map((a) => createHash(a)) }); return; }
  const s = streams.get(m.id);
  if (m.len !== undefined) {
    const view = new Uint8Array(s.ring, m.slot * ${SLOT}, m.len);
    for (const h of s.hashes) h.update(view);
    parentPort.postMessage({ id: m.id, slot: m.slot });
  } else {
    streams.delete(m.id);
    parentPort.postMessage({ id: m.id, digests: m.finish ? s.hashes.map((h) => h.digest()) : null });
  }
});`;

interface StreamCallbacks {
  hashed(slot: number): void;
  done(digests: Uint8Array[] | null): void;
}

interface Channel {
  post(msg: object): void;
}

class HashWorkers {
  private readonly workers: Worker[] = [];
  private readonly streams = new Map<number, StreamCallbacks>();
  private readonly rings: SharedArrayBuffer[] = [];
  private readonly online = new WeakSet<Worker>();
  private nextId = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn(i));
  }

  /** Resolves once every worker thread is running. */
  started(): Promise<void> {
    return Promise.all(this.workers.filter((w) => !this.online.has(w)).map((w) => once(w, 'online'))).then(
      () => undefined,
    );
  }

  open(algorithms: string[], ring: SharedArrayBuffer, callbacks: StreamCallbacks): Channel {
    const id = ++this.nextId;
    const w = this.workers[id % this.workers.length]!;
    this.streams.set(id, callbacks);
    w.postMessage({ id, open: algorithms, ring });
    return { post: (msg) => w.postMessage({ id, ...msg }) };
  }

  takeRing(): SharedArrayBuffer {
    return this.rings.pop() ?? new SharedArrayBuffer(SLOT * SLOTS);
  }

  returnRing(ring: SharedArrayBuffer): void {
    if (this.rings.length < SPARE_RINGS) this.rings.push(ring);
  }

  private spawn(index: number): Worker {
    const w = new Worker(WORKER_SOURCE, { eval: true, name: 'coffer-hash' });
    // Idle workers must not keep the process alive (graceful shutdown waits only for requests).
    w.unref();
    // A worker started after threads were placed (--cpu-affinity) inherited the event loop's CPU.
    w.once('online', () => {
      this.online.add(w);
      helperThreadsStarted();
    });
    w.on('message', (m: { id: number; slot?: number; digests?: Uint8Array[] | null }) => {
      const s = this.streams.get(m.id);
      if (s === undefined) return;
      if (m.slot !== undefined) s.hashed(m.slot);
      else {
        this.streams.delete(m.id);
        s.done(m.digests ?? null);
      }
    });
    w.on('error', () => {
      // A hash worker has no reason to fail (out of memory at most): its streams fail, and a new
      // worker takes its place for the next ones.
      for (const [id, s] of this.streams) {
        if (this.workers[id % this.workers.length] === w) {
          this.streams.delete(id);
          s.done(null);
        }
      }
      this.workers[index] = this.spawn(index);
    });
    return w;
  }
}

let pool: HashWorkers | undefined;
const workers = (): HashWorkers =>
  (pool ??= new HashWorkers(Math.max(1, Math.min(4, os.availableParallelism() - 1))));

/** Starts the hash workers now rather than at the first large body; resolves once they run. */
export function startHashWorkers(): Promise<void> {
  return workers().started();
}

/**
 * Copies source[sourceStart, sourceEnd) into target at targetStart (clipped to target's end) and
 * returns the bytes copied, like Buffer#copy. The native addon's memcpy is ~3× faster than
 * Buffer#copy into shared memory, which V8 copies with relaxed atomic word moves.
 */
export type SharedCopy = (
  target: Buffer,
  targetStart: number,
  source: Buffer,
  sourceStart: number,
  sourceEnd: number,
) => number;

const bufferCopy: SharedCopy = (target, targetStart, source, sourceStart, sourceEnd) =>
  source.copy(target, targetStart, sourceStart, sourceEnd);

/** The digests of one body, as MultiDigest computes them, with Node's hashes run on a worker. */
export class OffloadedDigest {
  private readonly inline: MultiDigest;
  private readonly offloaded: DigestName[];
  private readonly pool: HashWorkers;
  private readonly ring: SharedArrayBuffer;
  private readonly bytes: Buffer;
  private readonly channel: Channel;
  /** Slots free to fill, in order; the one being filled is `free[0]`. */
  private readonly free: number[] = [];
  private filled = 0;
  /** Chunks (or their tails) waiting for a free slot. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private readonly result: Promise<Uint8Array[] | null>;
  private settle: ((d: Uint8Array[] | null) => void) | undefined;
  private closed = false;
  /** finish() waiting for the held chunks to reach the worker. */
  private onDrained: (() => void) | undefined;

  /**
   * `onProgress` runs whenever the worker frees a slot (to resume a paused source); `copy` moves
   * body bytes into the shared ring (Buffer#copy unless given).
   */
  constructor(
    names: Iterable<DigestName>,
    onProgress: () => void,
    private readonly copy: SharedCopy = bufferCopy,
  ) {
    const all = [...new Set(names)];
    this.offloaded = all.filter((n) => WORKER_HASHES.has(n));
    this.inline = new MultiDigest(all.filter((n) => !WORKER_HASHES.has(n)));
    this.pool = workers();
    this.ring = this.pool.takeRing();
    this.bytes = Buffer.from(this.ring);
    for (let i = 0; i < SLOTS; i++) this.free.push(i);
    this.result = new Promise((resolve) => (this.settle = resolve));
    this.channel = this.pool.open(
      this.offloaded.map((n) => NODE_NAMES[n]!),
      this.ring,
      {
        hashed: (slot) => {
          this.free.push(slot);
          this.drainWaiting();
          if (this.waitingBytes === 0) this.onDrained?.();
          onProgress();
        },
        done: (digests) => {
          this.pool.returnRing(this.ring);
          this.settle?.(digests);
        },
      },
    );
  }

  /** True while every slot is with the worker and more bytes wait: the source should pause. */
  get saturated(): boolean {
    return this.waitingBytes > 0;
  }

  update(chunk: Buffer): void {
    this.inline.update(chunk);
    if (this.waitingBytes > 0) this.hold(chunk);
    else this.copyIn(chunk);
  }

  async finish(): Promise<Partial<Record<DigestName, Buffer>>> {
    if (this.waitingBytes > 0) await new Promise<void>((resolve) => (this.onDrained = resolve));
    this.post();
    this.close(true);
    const [digests, inline] = await Promise.all([this.result, this.inline.finish()]);
    if (digests === null) throw new Error('hash worker failed');
    for (const [i, n] of this.offloaded.entries()) inline[n] = Buffer.from(digests[i]!);
    return inline;
  }

  /** Releases the worker's state without computing digests (an aborted upload). */
  discard(): void {
    this.waiting = [];
    this.waitingBytes = 0;
    this.close(false);
  }

  private close(finish: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.post({ finish });
  }

  /** Copies as much of `chunk` as free slots hold; the rest waits. */
  private copyIn(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const slot = this.free[0];
      if (slot === undefined) {
        this.hold(chunk.subarray(at));
        return;
      }
      const n = this.copy(
        this.bytes,
        slot * SLOT + this.filled,
        chunk,
        at,
        Math.min(chunk.length, at + SLOT - this.filled),
      );
      this.filled += n;
      at += n;
      if (this.filled === SLOT) this.post();
    }
  }

  private hold(chunk: Buffer): void {
    this.waiting.push(chunk);
    this.waitingBytes += chunk.length;
  }

  private drainWaiting(): void {
    if (this.waitingBytes === 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    for (const c of waiting) {
      if (this.waitingBytes > 0) this.hold(c);
      else this.copyIn(c);
    }
  }

  /** Hands the slot being filled to the worker. */
  private post(): void {
    if (this.filled === 0) return;
    const slot = this.free.shift()!;
    this.channel.post({ slot, len: this.filled });
    this.filled = 0;
  }
}
