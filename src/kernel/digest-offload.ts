// Hashing large bodies off the event loop. MD5 on the main thread runs ~825 MB/s on this class of
// machine (FIELD-NOTES) and, for a large PUT, is most of the event loop's work: with it inline the
// loop both reads the socket and hashes, so one upload's hashing delays every other request. Node's
// own hashes (MD5 for the ETag, SHA-1, SHA-256) therefore run on a small pool of worker threads for
// bodies of a megabyte or more, in 1 MiB batches copied once and then transferred (not cloned). The
// CRC digests stay inline: zlib's CRC32 is native and an order of magnitude faster than MD5, and the
// CRC32C / CRC64NVME implementations are JavaScript objects a worker could not share anyway.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { MultiDigest, type DigestName } from './checksums.js';

/** Bodies at least this long (or of unknown length) are worth a thread hop per batch. */
export const OFFLOAD_MIN_BYTES = 1024 * 1024;
const BATCH = 1024 * 1024;
const WORKER_HASHES: ReadonlySet<DigestName> = new Set<DigestName>(['MD5', 'SHA1', 'SHA256']);
const NODE_NAMES: Record<string, string> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256' };

/*
 * The worker keeps the hashes of each stream by id. Messages on one port arrive in order, so the
 * finish request follows every batch sent before it; each batch is acknowledged so the sender can
 * bound how much it has handed over (backpressure), and its memory is transferred back to be reused.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const streams = new Map();
parentPort.on('message', (m) => {
  if (m.open) { streams.set(m.id, m.open.map((a) => createHash(a))); return; }
  const hashes = streams.get(m.id);
  if (m.buf) {
    const view = new Uint8Array(m.buf, 0, m.len);
    for (const h of hashes) h.update(view);
    parentPort.postMessage({ id: m.id, ack: m.len, buf: m.buf }, [m.buf]);
  } else {
    streams.delete(m.id);
    parentPort.postMessage({ id: m.id, digests: m.finish ? hashes.map((h) => h.digest()) : null });
  }
});`;

interface StreamCallbacks {
  ack(bytes: number, buf: ArrayBuffer): void;
  done(digests: Uint8Array[] | null): void;
}

class HashWorkers {
  private readonly workers: Worker[] = [];
  private readonly streams = new Map<number, StreamCallbacks>();
  private nextId = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn(i));
  }

  private spawn(index: number): Worker {
    const w = new Worker(WORKER_SOURCE, { eval: true, name: 'coffer-hash' });
    // Idle workers must not keep the process alive (graceful shutdown waits only for requests).
    w.unref();
    w.on('message', (m: { id: number; ack?: number; buf?: ArrayBuffer; digests?: Uint8Array[] | null }) => {
      const s = this.streams.get(m.id);
      if (s === undefined) return;
      if (m.ack !== undefined && m.buf !== undefined) s.ack(m.ack, m.buf);
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

  open(
    algorithms: string[],
    callbacks: StreamCallbacks,
  ): { post(msg: object, transfer?: ArrayBuffer[]): void } {
    const id = ++this.nextId;
    const w = this.workers[id % this.workers.length]!;
    this.streams.set(id, callbacks);
    w.postMessage({ id, open: algorithms });
    return { post: (msg, transfer) => w.postMessage({ id, ...msg }, transfer ?? []) };
  }
}

let pool: HashWorkers | undefined;
const workers = (): HashWorkers =>
  (pool ??= new HashWorkers(Math.max(1, Math.min(4, os.availableParallelism() - 1))));

/** The digests of one body, as MultiDigest computes them, with Node's hashes run on a worker. */
export class OffloadedDigest {
  private readonly inline: MultiDigest;
  private readonly offloaded: DigestName[];
  private readonly channel: { post(msg: object, transfer?: ArrayBuffer[]): void };
  private batch: Buffer;
  private filled = 0;
  private spare: ArrayBuffer[] = [];
  private inFlight = 0;
  private readonly result: Promise<Uint8Array[] | null>;
  private settle: ((d: Uint8Array[] | null) => void) | undefined;

  /** `onProgress` runs whenever the worker has caught up a little (to resume a paused source). */
  constructor(names: Iterable<DigestName>, onProgress: () => void) {
    const all = [...new Set(names)];
    this.offloaded = all.filter((n) => WORKER_HASHES.has(n));
    this.inline = new MultiDigest(all.filter((n) => !WORKER_HASHES.has(n)));
    this.batch = Buffer.allocUnsafeSlow(BATCH);
    this.result = new Promise((resolve) => (this.settle = resolve));
    this.channel = workers().open(
      this.offloaded.map((n) => NODE_NAMES[n]!),
      {
        ack: (bytes, buf) => {
          this.inFlight -= bytes;
          if (this.spare.length < 2) this.spare.push(buf);
          onProgress();
        },
        done: (digests) => this.settle?.(digests),
      },
    );
  }

  /** Bytes handed to the worker (or waiting to be) and not hashed yet. */
  get backlog(): number {
    return this.inFlight + this.filled;
  }

  update(chunk: Buffer): void {
    this.inline.update(chunk);
    let at = 0;
    while (at < chunk.length) {
      const n = chunk.copy(this.batch, this.filled, at);
      this.filled += n;
      at += n;
      if (this.filled === BATCH) this.flush();
    }
  }

  async finish(): Promise<Partial<Record<DigestName, Buffer>>> {
    this.flush();
    this.channel.post({ finish: true });
    const [digests, inline] = await Promise.all([this.result, this.inline.finish()]);
    if (digests === null) throw new Error('hash worker failed');
    for (const [i, n] of this.offloaded.entries()) inline[n] = Buffer.from(digests[i]!);
    return inline;
  }

  /** Releases the worker's state without computing digests (an aborted upload). */
  discard(): void {
    this.channel.post({ finish: false });
  }

  private flush(): void {
    if (this.filled === 0) return;
    const ab = this.batch.buffer as ArrayBuffer;
    this.channel.post({ buf: ab, len: this.filled }, [ab]);
    this.inFlight += this.filled;
    this.filled = 0;
    const reuse = this.spare.pop();
    this.batch = reuse !== undefined ? Buffer.from(reuse) : Buffer.allocUnsafeSlow(BATCH);
  }
}
