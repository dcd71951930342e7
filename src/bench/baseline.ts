// The benchmark's baseline: a minimal node:http object server that does only the durable work
// Coffer must do (PUT: stream to a temp file with MD5, fsync, rename; GET: stream the file; HEAD and a
// ListObjectsV2 page from memory) with no auth, no index, no XML library. Run: baseline.js --port 0 --data DIR.
//
// By default, as issue 2 defines it, a PUT is not made durable beyond the file's fsync: the rename
// itself can be lost in a crash until its directory is written back. `--dir-fsync` adds the
// directory fsync that a durable rename needs (and that Coffer makes), as a second yardstick.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

interface Meta {
  size: number;
  etag: string; // quoted
  mtime: Date;
  lastModified: string; // RFC 7231, precomputed: HEAD/GET answer from memory
  iso: string; // ISO 8601, precomputed for listings
  contentType: string;
}

interface Bucket {
  objects: Map<string, Meta>;
  /** Sorted keys for listing, rebuilt lazily after writes. */
  sorted: string[] | null;
}

// Bodies up to this size are read with one fs.read into one buffer: the callback API with a plain
// descriptor is several times cheaper than a stream for small files (FIELD-NOTES).
const SMALL_READ = 256 * 1024;
// Queue at most this much of a PUT body in memory before pausing the socket (backpressure).
const WRITE_HIGH_WATER = 8 * 1024 * 1024;
// Bodies larger than this are hashed on worker threads: MD5 on the main thread (~825 MB/s here)
// would otherwise cap large PUTs (FIELD-NOTES). Small ones are hashed inline, where a thread hop
// would cost more than the hash.
const OFFLOAD_MIN = 1024 * 1024;
const HASH_BATCH = 1024 * 1024;
const HASH_HIGH_WATER = 16 * 1024 * 1024;

/** An incremental MD5 whose digest may arrive asynchronously. */
interface Md5 {
  update(chunk: Buffer): void;
  digest(cb: (hex: string) => void): void;
  /** Bytes handed over but not hashed yet (backpressure). */
  backlog(): number;
}

function inlineMd5(): Md5 {
  const h = createHash('md5');
  return { update: (c) => void h.update(c), digest: (cb) => cb(h.digest('hex')), backlog: () => 0 };
}

// The worker keeps one hash per upload id; messages on a port arrive in order, so a digest request
// follows every update sent before it. Each batch is acknowledged so the sender can bound its backlog.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  let h = hashes.get(m.id);
  if (!h) hashes.set(m.id, (h = createHash('md5')));
  if (m.buf) {
    h.update(new Uint8Array(m.buf));
    parentPort.postMessage({ id: m.id, ack: m.buf.byteLength });
  } else {
    hashes.delete(m.id);
    parentPort.postMessage({ id: m.id, digest: h.digest('hex') });
  }
});`;

class HashPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { ack: (n: number) => void; done?: (hex: string) => void }>();
  private nextId = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      w.on('message', (m: { id: number; ack?: number; digest?: string }) => {
        const cb = this.waiting.get(m.id);
        if (!cb) return;
        if (m.ack !== undefined) cb.ack(m.ack);
        else if (m.digest !== undefined) {
          this.waiting.delete(m.id);
          cb.done?.(m.digest);
        }
      });
      this.workers.push(w);
    }
  }

  md5(onProgress: () => void): Md5 {
    const id = ++this.nextId;
    const w = this.workers[id % this.workers.length]!;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let inFlight = 0;
    const entry: { ack: (n: number) => void; done?: (hex: string) => void } = {
      ack: (n) => {
        inFlight -= n;
        onProgress();
      },
    };
    this.waiting.set(id, entry);
    const flush = (): void => {
      if (pendingBytes === 0) return;
      // One copy into a fresh buffer, whose memory is then transferred rather than copied again.
      const batch = Buffer.concat(pending, pendingBytes);
      const ab = batch.buffer.slice(batch.byteOffset, batch.byteOffset + batch.length);
      inFlight += pendingBytes;
      pending = [];
      pendingBytes = 0;
      w.postMessage({ id, buf: ab }, [ab]);
    };
    return {
      update: (c) => {
        pending.push(c);
        pendingBytes += c.length;
        if (pendingBytes >= HASH_BATCH) flush();
      },
      digest: (cb) => {
        flush();
        entry.done = cb;
        w.postMessage({ id });
      },
      backlog: () => inFlight + pendingBytes,
    };
  }
}

export interface BaselineOptions {
  /** Worker threads hashing bodies of 1 MiB or more (0: all inline). */
  hashWorkers?: number;
  /** fsync the directory after each PUT's rename, so the acknowledged object survives a crash. */
  dirFsync?: boolean;
}

export function createBaseline(dataDir: string, opts: BaselineOptions = {}): http.Server {
  const hashWorkers = opts.hashWorkers ?? Math.max(1, Math.min(4, os.cpus().length));
  const pool = hashWorkers > 0 ? new HashPool(hashWorkers) : null;
  const tmpDir = path.join(dataDir, '.tmp');
  fs.mkdirSync(tmpDir, { recursive: true });
  const buckets = new Map<string, Bucket>();
  const knownDirs = new Set<string>([dataDir]);
  let tmpSeq = 0;

  const ensureDir = (dir: string, cb: (err: NodeJS.ErrnoException | null) => void): void => {
    if (knownDirs.has(dir)) return cb(null);
    fs.mkdir(dir, { recursive: true }, (err) => {
      if (!err) knownDirs.add(dir);
      cb(err);
    });
  };

  const fail = (res: http.ServerResponse, status: number, msg: string): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(msg) });
    res.end(msg);
  };

  const putObject = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    b: Bucket,
    bucket: string,
    key: string,
  ): void => {
    const finalPath = path.join(dataDir, bucket, key);
    const tmpPath = path.join(tmpDir, `${process.pid}.${++tmpSeq}`);
    const declared = Number(req.headers['content-length'] ?? NaN);
    const hash =
      pool && (declared >= OFFLOAD_MIN || Number.isNaN(declared))
        ? pool.md5(() => maybeResume())
        : inlineMd5();
    let etag: string | null = null;
    let renamed = false;
    const queue: Buffer[] = [];
    let queued = 0;
    let size = 0;
    let fd = -1;
    let writing = false;
    let ended = false;
    let failed = false;
    let finished = false;

    let digestRequested = false;
    const abort = (err: Error): void => {
      if (failed) return;
      failed = true;
      // Release the worker's hash state for this upload.
      if (!digestRequested) hash.digest(() => undefined);
      if (fd >= 0) fs.close(fd, () => fs.unlink(tmpPath, () => undefined));
      req.resume();
      fail(res, 500, err.message);
    };
    const maybeResume = (): void => {
      if (req.isPaused() && !ended && queued <= WRITE_HIGH_WATER && hash.backlog() <= HASH_HIGH_WATER)
        req.resume();
    };
    const respond = (): void => {
      if (failed || !renamed || etag === null) return;
      const mtime = new Date();
      b.objects.set(key, {
        size,
        etag,
        mtime,
        lastModified: mtime.toUTCString(),
        iso: mtime.toISOString(),
        contentType: req.headers['content-type'] ?? 'application/octet-stream',
      });
      b.sorted = null;
      res.writeHead(200, { etag, 'content-length': 0 });
      res.end();
    };
    // Chunks are coalesced into one writev per round trip to the thread pool; hashing (inline or on
    // a worker) overlaps with the previous write running on the pool.
    const pump = (): void => {
      if (failed || writing || fd < 0) return;
      if (queue.length > 0) {
        const bufs = queue.splice(0, queue.length);
        queued = 0;
        writing = true;
        fs.writev(fd, bufs, (err) => {
          writing = false;
          if (err) return abort(err);
          maybeResume();
          pump();
        });
        return;
      }
      if (ended && !finished) {
        finished = true;
        fs.fsync(fd, (err) => {
          if (err) return abort(err);
          fs.close(fd, (err2) => {
            fd = -1;
            if (err2) return abort(err2);
            ensureDir(path.dirname(finalPath), (err3) => {
              if (err3) return abort(err3);
              fs.rename(tmpPath, finalPath, (err4) => {
                if (err4) return abort(err4);
                const renamedNow = (): void => {
                  renamed = true;
                  respond();
                };
                if (!opts.dirFsync) return renamedNow();
                // One open + fsync + close of the directory per PUT: the plain way, no batching.
                fs.open(path.dirname(finalPath), 'r', (err5, dirFd) => {
                  if (err5) return abort(err5);
                  fs.fsync(dirFd, (err6) => fs.close(dirFd, () => (err6 ? abort(err6) : renamedNow())));
                });
              });
            });
          });
        });
      }
    };

    // Opening the temp file overlaps with receiving the body.
    fs.open(tmpPath, 'w', 0o644, (err, f) => {
      if (err) return abort(err);
      fd = f;
      pump();
    });
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
      queue.push(chunk);
      queued += chunk.length;
      if (queued > WRITE_HIGH_WATER || hash.backlog() > HASH_HIGH_WATER) req.pause();
      pump();
    });
    req.on('end', () => {
      ended = true;
      // The digest is computed while fsync and rename run.
      digestRequested = true;
      hash.digest((hex) => {
        etag = `"${hex}"`;
        respond();
      });
      pump();
    });
    req.on('error', (e) => abort(e));
  };

  const getObject = (
    res: http.ServerResponse,
    filePath: string,
    meta: Meta | undefined,
    head: boolean,
  ): void => {
    if (head) {
      if (!meta) return fail(res, 404, '');
      res.writeHead(200, {
        'content-length': meta.size,
        etag: meta.etag,
        'last-modified': meta.lastModified,
        'content-type': meta.contentType,
      });
      res.end();
      return;
    }
    fs.open(filePath, 'r', (err, fd) => {
      if (err) return fail(res, err.code === 'ENOENT' ? 404 : 500, err.message);
      const send = (m: Meta): void => {
        const headers = {
          'content-length': m.size,
          etag: m.etag,
          'last-modified': m.lastModified,
          'content-type': m.contentType,
        };
        if (m.size <= SMALL_READ) {
          const buf = Buffer.allocUnsafe(m.size);
          fs.read(fd, buf, 0, m.size, 0, (err2, n) => {
            fs.close(fd, () => undefined);
            if (err2) return fail(res, 500, err2.message);
            res.writeHead(200, headers);
            res.end(n === m.size ? buf : buf.subarray(0, n));
          });
          return;
        }
        res.writeHead(200, headers);
        const stream = fs.createReadStream('', { fd, highWaterMark: 1024 * 1024 });
        stream.on('error', () => res.destroy());
        stream.pipe(res);
      };
      if (meta) return send(meta);
      // Not written by this process: describe it from the file itself.
      fs.fstat(fd, (err2, st) => {
        if (err2) {
          fs.close(fd, () => undefined);
          return fail(res, 500, err2.message);
        }
        send({
          size: st.size,
          etag: `"${st.size.toString(16)}-${st.mtimeMs.toString(16)}"`,
          mtime: st.mtime,
          lastModified: st.mtime.toUTCString(),
          iso: st.mtime.toISOString(),
          contentType: 'application/octet-stream',
        });
      });
    });
  };

  const list = (res: http.ServerResponse, bucket: string, b: Bucket, params: URLSearchParams): void => {
    const prefix = params.get('prefix') ?? '';
    const maxKeys = Math.min(1000, Math.max(0, Number(params.get('max-keys') ?? 1000) || 0));
    const token = params.get('continuation-token');
    const startAfter =
      token !== null ? Buffer.from(token, 'base64').toString('utf8') : (params.get('start-after') ?? '');
    const sorted = (b.sorted ??= [...b.objects.keys()].sort(byteOrder));
    // Binary search for the first key > max(startAfter, just-before-prefix).
    let lo = 0;
    let hi = sorted.length;
    const from = startAfter > prefix ? startAfter : prefix;
    const inclusive = from === prefix && startAfter <= prefix;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = sorted[mid]!;
      if (k < from || (!inclusive && k === from)) lo = mid + 1;
      else hi = mid;
    }
    const parts: string[] = [];
    let count = 0;
    let i = lo;
    for (; i < sorted.length && count < maxKeys; i++) {
      const key = sorted[i]!;
      if (!key.startsWith(prefix)) break;
      const m = b.objects.get(key)!;
      parts.push(
        `<Contents><Key>${escapeXml(key)}</Key><LastModified>${m.iso}</LastModified><ETag>${escapeXml(m.etag)}</ETag><Size>${m.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
      count++;
    }
    const last = i > lo ? sorted[i - 1]! : '';
    const truncated = i < sorted.length && sorted[i]!.startsWith(prefix);
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${count}</KeyCount>` +
      `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      (truncated
        ? `<NextContinuationToken>${Buffer.from(last).toString('base64')}</NextContinuationToken>`
        : '') +
      parts.join('') +
      `</ListBucketResult>`;
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    if (rawPath === '/health/ready' || rawPath === '/health/live') {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
      return;
    }
    const slash = rawPath.indexOf('/', 1);
    let bucket: string;
    let key: string;
    try {
      bucket = decodeURIComponent(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
      key = slash < 0 ? '' : decodeURIComponent(rawPath.slice(slash + 1));
    } catch {
      return fail(res, 400, 'bad path');
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return fail(res, 400, 'bad bucket');
    if (key.split('/').some((s) => s === '.' || s === '..')) return fail(res, 400, 'bad key');
    const b = buckets.get(bucket);
    const method = req.method ?? 'GET';
    if (key === '') {
      if (method === 'PUT') {
        req.resume();
        fs.mkdir(path.join(dataDir, bucket), { recursive: true }, (err) => {
          if (err) return fail(res, 500, err.message);
          if (!buckets.has(bucket)) buckets.set(bucket, { objects: new Map(), sorted: null });
          res.writeHead(200, { 'content-length': 0 });
          res.end();
        });
        return;
      }
      if (!b) return fail(res, 404, 'NoSuchBucket');
      if (method === 'GET') return list(res, bucket, b, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
      if (method === 'HEAD') {
        res.writeHead(200, { 'content-length': 0 });
        return void res.end();
      }
      return fail(res, 405, 'method not allowed');
    }
    if (!b) {
      req.resume();
      return fail(res, 404, 'NoSuchBucket');
    }
    switch (method) {
      case 'PUT':
        return putObject(req, res, b, bucket, key);
      case 'GET':
      case 'HEAD':
        return getObject(res, path.join(dataDir, bucket, key), b.objects.get(key), method === 'HEAD');
      case 'DELETE':
        fs.unlink(path.join(dataDir, bucket, key), () => {
          b.objects.delete(key);
          b.sorted = null;
          res.writeHead(204);
          res.end();
        });
        return;
      default:
        req.resume();
        return fail(res, 405, 'method not allowed');
    }
  });
  // Same keep-alive behaviour as a production server: the client's connections are reused.
  server.keepAliveTimeout = 65_000;
  return server;
}

// UTF-8 byte order equals UTF-16 code-unit order for the BMP, which is what benchmark keys use.
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function escapeXml(s: string): string {
  return /[<>&"']/.test(s)
    ? s.replace(/[<>&"']/g, (c) =>
        c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;',
      )
    : s;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const address = arg('address', '127.0.0.1');
  const port = Number(arg('port', '0'));
  const dataDir = path.resolve(arg('data', './baseline-data'));
  // --hash-workers 0 hashes every body on the main thread (for comparison).
  const hw = Number(arg('hash-workers', '-1'));
  const server = createBaseline(dataDir, {
    ...(hw >= 0 ? { hashWorkers: hw } : {}),
    // --dir-fsync: also make each PUT's rename durable (see the note at the top).
    dirFsync: process.argv.includes('--dir-fsync'),
  });
  server.listen(port, address, () => {
    const a = server.address();
    const p = typeof a === 'object' && a ? a.port : port;
    process.stdout.write(`baseline listening on http://${address}:${p}\n`);
  });
  const shutdown = (): void => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
