// The benchmark's baseline serves what the benchmark asks of it, and `dirFsync` makes each PUT's
// rename durable: the object's directory is fsynced before the reply (observed through fs.fsync).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBaseline } from './baseline.js';

const canSeeFds = fs.existsSync('/proc/self/fd');

async function call(
  port: number,
  method: string,
  p: string,
  body?: string,
): Promise<{ status: number; etag?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const etag = res.headers.etag;
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          ...(etag !== undefined ? { etag } : {}),
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts a baseline; records which paths fs.fsync was called on while it runs. */
async function start(dirFsync: boolean) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-baseline-'));
  const synced: string[] = [];
  const real = fs.fsync;
  vi.spyOn(fs, 'fsync').mockImplementation((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
    synced.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
    real(fd, cb);
  });
  const server = createBaseline(data, { hashWorkers: 0, dirFsync });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    data,
    port,
    synced,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe.runIf(canSeeFds)('baseline PUT', () => {
  afterEach(() => vi.restoreAllMocks());

  for (const dirFsync of [false, true]) {
    it(`stores and serves an object, ${dirFsync ? 'fsyncing' : 'not fsyncing'} its directory`, async () => {
      const b = await start(dirFsync);
      try {
        expect((await call(b.port, 'PUT', '/bench-bucket')).status).toBe(200);
        const put = await call(b.port, 'PUT', '/bench-bucket/a/b', 'hello');
        expect(put.status).toBe(200);
        expect(put.etag).toBe('"5d41402abc4b2a76b9719d911017c592"');
        expect((await call(b.port, 'GET', '/bench-bucket/a/b')).body).toBe('hello');
        expect(fs.readFileSync(path.join(b.data, 'bench-bucket/a/b'), 'utf8')).toBe('hello');
        // The temp file is fsynced either way; its directory only with dirFsync.
        expect(b.synced.some((p) => p.startsWith(path.join(b.data, '.tmp') + '/'))).toBe(true);
        expect(b.synced.includes(path.join(b.data, 'bench-bucket/a'))).toBe(dirFsync);
      } finally {
        await b.close();
        fs.rmSync(b.data, { recursive: true, force: true });
      }
    });
  }
});
