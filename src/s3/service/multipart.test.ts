// The multipart service's clean-up over the real stores (SQLite index, files): an UploadPart that
// loses a race with AbortMultipartUpload leaves nothing behind, and the start-up sweep removes what
// a stopped process left (part directories without an upload, part rows without an upload).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import type { MetaStore } from '../../meta/ports.js';
import { openSqliteMeta } from '../../meta/sqlite/store.js';
import { indexDbPath, openFsBlobStore } from '../../storage/fs/store.js';
import type { BlobStore } from '../../storage/ports.js';
import { BucketPolicyCache } from './bucket-policy.js';
import { parseBodyExpectation } from './checksum.js';
import type { ServiceDeps } from './deps.js';
import { abortUpload, createUpload, newUploadId, sweepOrphanUploads, uploadPart } from './multipart.js';

let dir: string;
let meta: MetaStore;
let blobs: BlobStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-mpu-'));
  blobs = openFsBlobStore({ dataDir: dir });
  meta = openSqliteMeta({ path: indexDbPath(dir) });
});

afterEach(async () => {
  await meta.close();
  rmSync(dir, { recursive: true, force: true });
});

const deps = (b: BlobStore = blobs): ServiceDeps => ({
  config: loadConfig({ data: dir }, {}),
  meta,
  blobs: b,
  policies: new BucketPolicyCache(),
});
const uploadsDir = (): string => join(dir, '.coffer', 'multipart');
const newUpload = (d: ServiceDeps) =>
  createUpload(d, {
    bucket: 'b',
    key: 'k',
    owner: 'o',
    headers: { contentType: 'binary/octet-stream' },
    userMetadata: {},
    tags: [],
    storageClass: 'STANDARD',
  });
const sendPart = (d: ServiceDeps, upload: Awaited<ReturnType<typeof newUpload>>, partNumber: number) =>
  uploadPart(d, {
    upload,
    partNumber,
    body: Readable.from([Buffer.from('part body')]),
    expectedSize: 9,
    expectation: parseBodyExpectation({}, new URLSearchParams()),
    trailers: () => ({}),
  });

describe('UploadPart racing AbortMultipartUpload', () => {
  it('leaves no part file, directory or row when the abort lands between its check and its rename', async () => {
    const upload = await newUpload(deps());
    // The abort runs exactly inside the window: after UploadPart saw the upload, before the rename
    // (which recreates the directory the abort has just removed).
    const racing: BlobStore = {
      ...blobs,
      commitPart: async (temp, uploadId, partNumber) => {
        await abortUpload(deps(), upload);
        return blobs.commitPart(temp, uploadId, partNumber);
      },
    };
    const d = deps(racing);

    await expect(sendPart(d, upload, 1)).rejects.toMatchObject({ code: 'NoSuchUpload' });
    expect(await meta.multipart.get(upload.uploadId)).toBeUndefined();
    expect(await meta.multipart.listParts(upload.uploadId, 0, 10)).toEqual([]);
    expect(existsSync(join(uploadsDir(), upload.uploadId))).toBe(false);
    expect(readdirSync(join(dir, '.coffer', 'tmp'))).toEqual([]);
  });

  it('still stores a part when nothing races it', async () => {
    const d = deps();
    const upload = await newUpload(d);
    const part = await sendPart(d, upload, 1);
    expect(part.size).toBe(9);
    expect((await meta.multipart.listParts(upload.uploadId, 0, 10)).map((p) => p.partNumber)).toEqual([1]);
    expect(readdirSync(join(uploadsDir(), upload.uploadId))).toEqual(['1']);
  });
});

describe('sweepOrphanUploads', () => {
  it('removes part directories and rows of uploads that no longer exist, and keeps live uploads', async () => {
    const d = deps();
    const live = await newUpload(d);
    await sendPart(d, live, 1);
    // What a crash between an abort's row deletion and its directory removal leaves.
    const gone = await newUpload(d);
    await sendPart(d, gone, 1);
    await meta.multipart.delete(gone.uploadId);
    // A part row recorded after its upload was removed.
    await meta.multipart.putPart({
      uploadId: 'lost',
      partNumber: 3,
      size: 1,
      etag: 'e',
      lastModified: new Date(),
    });
    // An empty directory of an upload id that was never recorded.
    mkdirSync(join(uploadsDir(), 'never-created'));

    expect(await sweepOrphanUploads(d)).toBe(2);
    expect(readdirSync(uploadsDir())).toEqual([live.uploadId]);
    expect(await meta.multipart.listParts('lost', 0, 10)).toEqual([]);
    expect((await meta.multipart.listParts(live.uploadId, 0, 10)).map((p) => p.partNumber)).toEqual([1]);
    expect(await sweepOrphanUploads(d)).toBe(0);
  });
});

describe('newUploadId', () => {
  it('makes distinct URL-safe ids that never start with a character a command line takes for an option', () => {
    const ids = new Set<string>();
    // With plain base64url about 1 id in 64 starts with '-' (and 1 in 64 with '_'): 10,000 ids would
    // hold ~150 of each.
    for (let i = 0; i < 10_000; i++) ids.add(newUploadId());
    expect(ids.size).toBe(10_000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{31}$/);
  });
});
