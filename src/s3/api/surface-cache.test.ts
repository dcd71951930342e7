// How long the S3 surface trusts its bucket and object caches, over a real SQLite index and real
// files, driven by @aws-sdk/client-s3: an index this process owns alone is re-read only after a
// write through the surface; a shared index (other servers write it too) is re-read after the
// expiry. The other server is played by writing the index directly, which bypasses the caches.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetBucketTaggingCommand,
  HeadObjectCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rootOnlyAuthorizer } from '../../auth/authorize.js';
import { createRequestContext } from '../../kernel/request-context.js';
import type { MetaStore } from '../../meta/ports.js';
import { openSqliteMeta } from '../../meta/sqlite/store.js';
import { indexDbPath, openFsBlobStore } from '../../storage/fs/store.js';
import { authenticateAsRoot, TEST_ROOT_CREDENTIALS, testConfig } from './surface-fixture.js';
import { createS3Surface } from './surface.js';

let dir: string;
let meta: MetaStore;
const servers: http.Server[] = [];
const clients: S3Client[] = [];

/** A server around a surface over `index`, and an SDK client for it. */
async function serve(index: MetaStore): Promise<S3Client> {
  const surface = createS3Surface({
    config: testConfig(dir),
    meta: index,
    blobs: openFsBlobStore({ dataDir: dir }),
    authenticate: authenticateAsRoot,
    authorize: rootOnlyAuthorizer,
    log: () => undefined,
    onComplete: () => undefined,
  });
  let n = 0;
  const server = http.createServer((req, res) => void surface(createRequestContext(req, res, `R${++n}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: TEST_ROOT_CREDENTIALS,
  });
  clients.push(client);
  return client;
}

let owned: S3Client;
let shared: S3Client;

beforeAll(async () => {
  // Only Date is faked: the caches' clock (and the signatures' dates) move when the test says so.
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  dir = mkdtempSync(join(tmpdir(), 'coffer-s3cache-'));
  openFsBlobStore({ dataDir: dir }); // lays out <dir>/.coffer, where the index lives
  meta = openSqliteMeta({ path: indexDbPath(dir) });
  expect(meta.shared).toBe(false);
  owned = await serve(meta);
  shared = await serve({ ...meta, shared: true });
  await owned.send(new CreateBucketCommand({ Bucket: 'cache-b' }));
  await owned.send(
    new PutBucketTaggingCommand({ Bucket: 'cache-b', Tagging: { TagSet: [{ Key: 't', Value: '1' }] } }),
  );
  await owned.send(
    new PutObjectCommand({ Bucket: 'cache-b', Key: 'k', Body: 'body', ContentType: 'text/plain' }),
  );
});

afterAll(async () => {
  vi.useRealTimers();
  for (const c of clients) c.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  await meta?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('S3 surface caches', () => {
  it('re-read a shared index after the expiry, an owned one only after its own writes', async () => {
    const contentType = async (c: S3Client) =>
      (await c.send(new HeadObjectCommand({ Bucket: 'cache-b', Key: 'k' }))).ContentType;
    const tags = async (c: S3Client) =>
      (await c.send(new GetBucketTaggingCommand({ Bucket: 'cache-b' }))).TagSet?.map((t) => t.Value);
    // Both caches hold the records now.
    for (const c of [owned, shared]) {
      expect(await contentType(c)).toBe('text/plain');
      expect(await tags(c)).toEqual(['1']);
    }
    // "Another server" changes the index only (the file is untouched).
    const record = await meta.objects.get('cache-b', 'k');
    await meta.objects.put({ ...record!, headers: { ...record!.headers, contentType: 'image/png' } });
    await meta.buckets.update('cache-b', { tags: [{ key: 't', value: '2' }] });
    for (const c of [owned, shared]) {
      expect(await contentType(c)).toBe('text/plain');
      expect(await tags(c)).toEqual(['1']);
    }

    vi.setSystemTime(Date.now() + 60_000);
    expect(await contentType(shared)).toBe('image/png');
    expect(await tags(shared)).toEqual(['2']);
    // Nobody else writes an owned index: a minute later the surface still answers from memory.
    expect(await contentType(owned)).toBe('text/plain');
    expect(await tags(owned)).toEqual(['1']);

    // A write through the owned surface drops its entries, as always.
    await owned.send(
      new PutBucketTaggingCommand({ Bucket: 'cache-b', Tagging: { TagSet: [{ Key: 't', Value: '3' }] } }),
    );
    await owned.send(
      new PutObjectCommand({ Bucket: 'cache-b', Key: 'k', Body: 'body2', ContentType: 'text/csv' }),
    );
    expect(await tags(owned)).toEqual(['3']);
    expect(await contentType(owned)).toBe('text/csv');
  });
});
