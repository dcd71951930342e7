// The server as a user meets it: start-up on any address/port/data dir, root credentials (from the
// environment, or generated once and kept 0600), health, HTTPS, and a graceful stop that lets an
// in-flight upload finish.
import { describe, it, expect, afterEach } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdtempSync,
  statSync,
  readFileSync,
  existsSync,
  readdirSync,
  mkdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import net from 'node:net';
import {
  S3Client,
  ListBucketsCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { SERVER_NODE_OPTIONS } from '../../src/cli/relaunch.js';
import { iamQuery } from '../helpers/iam-query.js';
import { s3Raw } from '../helpers/s3-raw.js';
import { startServer } from '../helpers/server.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const client = (endpoint: string, accessKeyId: string, secretAccessKey: string): S3Client =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });

describe('coffer server', () => {
  it('uses COFFER_ROOT_USER / COFFER_ROOT_PASSWORD exactly as the root key pair', async () => {
    const s = await startServer();
    stops.push(() => s.stop());
    const res = await fetch(`${s.endpoint}/health/ready`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
    const out = await client(s.endpoint, s.accessKeyId, s.secretAccessKey).send(new ListBucketsCommand({}));
    expect(out.Buckets).toEqual([]);
    // Any other signature is refused.
    await expect(
      client(s.endpoint, s.accessKeyId, s.secretAccessKey + 'x').send(new ListBucketsCommand({})),
    ).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    await expect(
      client(s.endpoint, 'NOSUCHKEY', 'secretsecret').send(new ListBucketsCommand({})),
    ).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
  });

  it('writes small objects with the durable-file addon, or says it does not and still works without', async () => {
    for (const native of ['on', 'off']) {
      const s = await startServer({ env: { COFFER_NATIVE_FS: native } });
      stops.push(() => s.stop());
      const c = client(s.endpoint, s.accessKeyId, s.secretAccessKey);
      await c.send(new CreateBucketCommand({ Bucket: 'small' }));
      await c.send(new PutObjectCommand({ Bucket: 'small', Key: 'a/b.txt', Body: 'tiny body' }));
      expect(readFileSync(join(s.dataDir, 'small', 'a', 'b.txt'), 'utf8')).toBe('tiny body');
      expect(readdirSync(join(s.dataDir, '.coffer', 'tmp'))).toEqual([]);
      const warned = /without the durable-file addon/.test(s.stdout() + s.stderr());
      expect([native, warned]).toEqual([native, native === 'off']);
    }
  });

  it('generates root credentials on first start, prints them once and keeps them 0600', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffer-gen-'));
    const first = await startServer({ dataDir, env: { COFFER_ROOT_USER: '', COFFER_ROOT_PASSWORD: '' } });
    const out1 = first.stdout();
    await first.stop();
    const m = /COFFER_ROOT_USER=(\S+)[\s\S]*COFFER_ROOT_PASSWORD=(\S+)/.exec(out1);
    expect(m).not.toBeNull();
    const file = join(dataDir, '.coffer', 'root-credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      accessKeyId: m![1],
      secretAccessKey: m![2],
    });

    const second = await startServer({ dataDir, env: { COFFER_ROOT_USER: '', COFFER_ROOT_PASSWORD: '' } });
    stops.push(() => second.stop());
    expect(second.stdout()).not.toContain('COFFER_ROOT_PASSWORD=');
    const out = await client(second.endpoint, m![1]!, m![2]!).send(new ListBucketsCommand({}));
    expect(out.Buckets).toEqual([]);
  });

  it('serves HTTPS when given a certificate and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const s = await startServer({
      args: ['--tls-cert', cert, '--tls-key', key],
      tls: { ca: readFileSync(cert) },
    });
    stops.push(() => s.stop());
    expect(s.endpoint.startsWith('https://')).toBe(true);
    const status = await new Promise<number>((resolve, reject) => {
      https
        .get(`${s.endpoint}/health/ready`, { ca: readFileSync(cert) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
  });

  it('answers STS calls with NotImplemented in the query wire format (STS is not built yet)', async () => {
    const s = await startServer();
    stops.push(() => s.stop());
    const sts = new STSClient({
      endpoint: s.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    });
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'NotImplemented',
    });
  });

  it('stamps x-amz-request-id and Server on every reply: health, metrics, S3, IAM, STS, errors, HEAD; x-amz-id-2 but on IAM/STS', async () => {
    const s = await startServer();
    stops.push(() => s.stop());
    const scope = (service: string): string =>
      `AWS4-HMAC-SHA256 Credential=NOSUCHKEY/20261122/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;
    const replies = [
      await fetch(`${s.endpoint}/health/live`),
      await fetch(`${s.endpoint}/health/ready`),
      await fetch(`${s.endpoint}/metrics`),
      await fetch(`${s.endpoint}/`),
      await fetch(`${s.endpoint}/nobucket/key`, { method: 'HEAD' }),
      await fetch(`${s.endpoint}/nobucket/key`, { headers: { authorization: scope('s3') } }),
      await fetch(`${s.endpoint}/`, { method: 'POST', headers: { authorization: scope('iam') } }),
      await fetch(`${s.endpoint}/`, { method: 'POST', headers: { authorization: scope('sts') } }),
    ];
    const bodies = await Promise.all(replies.map((r) => r.text()));
    const seen = replies.map((r) => [r.headers.get('x-amz-request-id')?.length, r.headers.get('server')]);
    expect(seen).toEqual(replies.map(() => [16, 'Coffer']));
    // S3's extended request id: base64, on S3-style replies only (AWS's IAM and STS query APIs send none).
    const id2 = replies.map((r) => r.headers.get('x-amz-id-2'));
    const base64 = /^[A-Za-z0-9+/]{40,}={0,2}$/;
    for (const id of id2.slice(0, 6)) expect(id).toMatch(base64);
    expect(id2.slice(6)).toEqual([null, null]);
    expect(bodies[5]).toContain(`<HostId>${id2[5] ?? ''}</HostId>`);
    const ok = await client(s.endpoint, s.accessKeyId, s.secretAccessKey).send(new ListBucketsCommand({}));
    expect(ok.$metadata.requestId).toMatch(/^[0-9A-F]{16}$/);
    expect(ok.$metadata.extendedRequestId).toMatch(base64);
  });

  it('answers oversized headers and garbage on the wire with S3 errors, and keeps serving', async () => {
    const s = await startServer();
    stops.push(() => s.stop());
    const { hostname, port } = new URL(s.endpoint);
    const rawExchange = (payload: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const sock = net.connect(Number(port), hostname, () => sock.end(payload));
        let out = '';
        sock.on('data', (d: Buffer) => (out += d.toString()));
        sock.on('end', () => resolve(out));
        sock.on('error', reject);
      });
    const big = await rawExchange(`GET /b/k HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 400/);
    expect(big).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
    const ids = /\r\nx-amz-request-id: ([0-9A-F]{16})\r\nx-amz-id-2: (\S+)\r\n/.exec(big);
    expect(big).toContain(
      `<RequestId>${ids?.[1] ?? 'none'}</RequestId><HostId>${ids?.[2] ?? 'none'}</HostId>`,
    );
    const garbage = await rawExchange('\x00\x01 NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    expect(garbage).toContain('<Code>InvalidRequest</Code>');
    expect((await fetch(`${s.endpoint}/health/ready`)).status).toBe(200);
  });

  it('keeps serving when a body fails its check after the request was already refused', async () => {
    const s = await startServer();
    stops.push(() => s.stop());
    await client(s.endpoint, s.accessKeyId, s.secretAccessKey).send(
      new CreateBucketCommand({ Bucket: 'crash' }),
    );
    const wrongHash = createHash('sha256').update('not the body').digest('hex');
    const creds = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
    // Each is refused before its body is read, and the body's hash check then fails unheard: once,
    // that 'error' event ended the process.
    const refusedFirst: [string, Record<string, string>, boolean][] = [
      ['/crash/a/./b', {}, false], // a key that cannot be a file
      ['/crash/missing', { 'if-match': '"nope"' }, false], // a failed precondition
      ['/crash/no-length', {}, true], // a body of unknown length
    ];
    for (const [path, headers, chunked] of refusedFirst) {
      const r = await s3Raw(s.endpoint, creds, {
        method: 'PUT',
        path,
        headers,
        body: 'hello',
        payloadHash: wrongHash,
        chunked,
      });
      expect(r.status).toBeGreaterThanOrEqual(400);
      // Let the failed check run before asking whether the server is still there.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await fetch(`${s.endpoint}/health/ready`)).status).toBe(200);
    }
    const mismatch = await s3Raw(s.endpoint, creds, {
      method: 'PUT',
      path: '/crash/k',
      body: 'hello',
      payloadHash: wrongHash,
    });
    expect(mismatch.text).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    expect(s.stderr()).not.toContain("Unhandled 'error' event");
  });

  it('keeps a caller’s unknown IAM Action out of /metrics (it once grew the page past what V8 can render)', async () => {
    const s = await startServer();
    stops.push(() => s.stop());
    const creds = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
    const junk = `X${'A'.repeat(200_000)}`;
    const r = await iamQuery(s.endpoint, creds, { Action: junk });
    expect(r.code).toBe('InvalidAction');
    expect(r.text.length).toBeLessThan(2_000);
    const metrics = await fetch(`${s.endpoint}/metrics`);
    expect(metrics.status).toBe(200);
    const page = await metrics.text();
    expect(page).not.toContain('AAAAAAAAAA');
    expect(page).toContain('operation="unknown"');
  });

  it('refuses to start with another master key than the stored secrets were sealed with', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffer-mk-'));
    const first = await startServer({ dataDir, env: { COFFER_MASTER_KEY: 'the-first-master-key' } });
    const iam = new IAMClient({
      endpoint: first.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: first.accessKeyId, secretAccessKey: first.secretAccessKey },
    });
    await iam.send(new CreateUserCommand({ UserName: 'sealed' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'sealed' }));
    iam.destroy();
    await first.stop();
    const env = { COFFER_ROOT_USER: first.accessKeyId, COFFER_ROOT_PASSWORD: first.secretAccessKey };
    const r = spawn(
      'node',
      ['bin/coffer.js', 'server', '--address', '127.0.0.1', '--port', '0', '--data', dataDir],
      { stdio: 'pipe', env: { ...process.env, ...env, COFFER_MASTER_KEY: 'another-master-key' } },
    );
    // A server that wrongly starts is stopped rather than left behind.
    const stray = setTimeout(() => r.kill('SIGKILL'), 20_000);
    const { code, err } = await new Promise<{ code: number | null; err: string }>((resolve) => {
      let err = '';
      r.stderr.on('data', (d: Buffer) => (err += d.toString()));
      r.on('close', (code) => resolve({ code, err }));
    });
    clearTimeout(stray);
    expect(code).not.toBe(0);
    expect(err).toMatch(
      /none of the 1 stored access key secrets can be decrypted with this master key: COFFER_MASTER_KEY is not the one/,
    );
    // With the right key it starts, and the user's key still works.
    const again = await startServer({ dataDir, env: { ...env, COFFER_MASTER_KEY: 'the-first-master-key' } });
    stops.push(() => again.stop());
    expect((await fetch(`${again.endpoint}/health/ready`)).status).toBe(200);
  });

  it('refuses bad configuration with a clear message', () => {
    const r = spawn('node', ['bin/coffer.js', 'server', '--port', 'notaport'], { stdio: 'pipe' });
    return new Promise<void>((resolve) => {
      let err = '';
      r.stderr.on('data', (d: Buffer) => (err += d.toString()));
      r.on('close', (code) => {
        expect(code).not.toBe(0);
        expect(err).toMatch(/invalid configuration: port/);
        resolve();
      });
    });
  });

  it('finishes an in-flight upload on SIGTERM and leaves nothing half-written', async () => {
    const s = await startServer();
    const c = client(s.endpoint, s.accessKeyId, s.secretAccessKey);
    await c.send(new CreateBucketCommand({ Bucket: 'drain' }));
    // A slow streaming body: the server gets SIGTERM while it is still arriving.
    const { Readable } = await import('node:stream');
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent >= 8) return void this.push(null);
        sent++;
        setTimeout(() => this.push(Buffer.alloc(64 * 1024, 7)), 100);
      },
    });
    const put = c.send(
      new PutObjectCommand({ Bucket: 'drain', Key: 'slow.bin', Body: body, ContentLength: 8 * 64 * 1024 }),
    );
    await new Promise((r) => setTimeout(r, 250));
    const stopped = s.stop();
    const res = await put;
    await stopped;
    expect(res.ETag).toBeDefined();
    expect(statSync(join(s.dataDir, 'drain', 'slow.bin')).size).toBe(8 * 64 * 1024);
    const tmp = join(s.dataDir, '.coffer', 'tmp');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  });

  it('removes part directories of uploads that no longer exist when it starts, and keeps live uploads', async () => {
    const first = await startServer();
    stops.push(() => first.stop());
    const c = client(first.endpoint, first.accessKeyId, first.secretAccessKey);
    await c.send(new CreateBucketCommand({ Bucket: 'sweep' }));
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'sweep', Key: 'live' }));
    await c.send(
      new UploadPartCommand({ Bucket: 'sweep', Key: 'live', UploadId, PartNumber: 1, Body: 'part' }),
    );
    await first.stop();
    stops.pop();
    // What a stop between an abort's row deletion and its directory removal leaves.
    const uploads = join(first.dataDir, '.coffer', 'multipart');
    mkdirSync(join(uploads, 'orphan-upload'));
    writeFileSync(join(uploads, 'orphan-upload', '1'), 'stale part');

    const again = await startServer({
      dataDir: first.dataDir,
      env: { COFFER_ROOT_USER: first.accessKeyId, COFFER_ROOT_PASSWORD: first.secretAccessKey },
    });
    stops.push(() => again.stop());
    expect(readdirSync(uploads)).toEqual([UploadId]);
    const c2 = client(again.endpoint, first.accessKeyId, first.secretAccessKey);
    const parts = await c2.send(new ListPartsCommand({ Bucket: 'sweep', Key: 'live', UploadId }));
    expect(parts.Parts?.map((p) => p.PartNumber)).toEqual([1]);
  });

  it('runs the server in a child node with its heap option, which stops when the launcher is killed', async () => {
    const s = await startServer();
    stops.push(() => s.stop());
    const children = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after ')'.
          const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === s.pid;
        } catch {
          return false;
        }
      });
    expect(children).toHaveLength(1);
    const server = Number(children[0]);
    const argv = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(argv(server)).toEqual(expect.arrayContaining([...SERVER_NODE_OPTIONS, 'server']));
    expect(argv(s.pid)).not.toContain(SERVER_NODE_OPTIONS[0]);

    // Running means present in /proc and not a zombie (an orphan is reaped by whatever PID 1 is).
    const running = (pid: number): boolean => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
      } catch {
        return false;
      }
    };
    process.kill(s.pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (running(server) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(running(server)).toBe(false);
    await expect(fetch(`${s.endpoint}/health/ready`)).rejects.toThrow();
  });
});
