// aws-chunked decoding: AWS's worked example (sigv4-streaming.html: 65 KiB of 'a' in 64 KiB
// chunks) fed in random packet sizes, tampering, framing errors, and the unsigned-trailer form.
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder, type AwsChunkedOptions } from './aws-chunked.js';
import { deriveSigningKey } from './signing-key.js';
import { hmacHex, sha256Hex } from './crypto.js';
import { trailerStringToSign } from './string-to-sign.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const KEY = deriveSigningKey(SECRET, '20130524', 'us-east-1', 's3');
const SCOPE = '20130524/us-east-1/s3/aws4_request';
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const SIG1 = 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648';
const SIG2 = '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497';
const SIG3 = 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9';
const signing = { signingKey: KEY, amzDate: '20130524T000000Z', scope: SCOPE, seedSignature: SEED };

const exampleBody = (sig1 = SIG1, data1 = Buffer.alloc(65536, 'a')): Buffer =>
  Buffer.concat([
    Buffer.from(`10000;chunk-signature=${sig1}\r\n`),
    data1,
    Buffer.from(`\r\n400;chunk-signature=${SIG2}\r\n`),
    Buffer.alloc(1024, 'a'),
    Buffer.from(`\r\n0;chunk-signature=${SIG3}\r\n\r\n`),
  ]);

/** Feeds `body` in random slices (seeded) and resolves with the decoded bytes or rejects. */
async function decode(body: Buffer, opts: AwsChunkedOptions, seed = 1, maxSlice = 5000) {
  const d = new AwsChunkedDecoder(opts);
  const out: Buffer[] = [];
  d.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    d.on('end', resolve);
    d.on('error', reject);
  });
  let x = seed;
  let pos = 0;
  while (pos < body.length) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const n = 1 + (x % maxSlice);
    d.write(body.subarray(pos, pos + n));
    pos += n;
  }
  d.end();
  await done;
  return { data: Buffer.concat(out), trailers: d.trailers };
}

describe('aws-chunked, AWS worked example', () => {
  it('the example body is the documented 66824 bytes', () => {
    expect(exampleBody().length).toBe(66824);
  });

  for (const [seed, maxSlice] of [
    [1, 1],
    [2, 3],
    [3, 100],
    [4, 70000],
    [5, 5000],
  ] as const) {
    it(`decodes and verifies every chunk (split seed ${seed}, slices ≤ ${maxSlice})`, async () => {
      const r = await decode(
        exampleBody(),
        { signing, trailer: false, declaredTrailers: [], decodedLength: 66560 },
        seed,
        maxSlice,
      );
      expect(r.data.equals(Buffer.alloc(66560, 'a'))).toBe(true);
    });
  }

  it('rejects a tampered chunk with SignatureDoesNotMatch', async () => {
    const data = Buffer.alloc(65536, 'a');
    data[1000] = 0x62;
    await expect(
      decode(exampleBody(SIG1, data), { signing, trailer: false, declaredTrailers: [] }),
    ).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  it('rejects a wrong chunk signature, and a wrong seed', async () => {
    await expect(
      decode(exampleBody(SIG2), { signing, trailer: false, declaredTrailers: [] }),
    ).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    await expect(
      decode(exampleBody(), {
        signing: { ...signing, seedSignature: SIG1 },
        trailer: false,
        declaredTrailers: [],
      }),
    ).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('rejects a body shorter than x-amz-decoded-content-length, or truncated', async () => {
    await expect(
      decode(exampleBody(), { signing, trailer: false, declaredTrailers: [], decodedLength: 70000 }),
    ).rejects.toMatchObject({ code: 'IncompleteBody' });
    await expect(
      decode(exampleBody().subarray(0, 40000), { signing, trailer: false, declaredTrailers: [] }),
    ).rejects.toMatchObject({ code: 'IncompleteBody' });
  });

  it('bounds chunk-header lines and rejects junk sizes', async () => {
    await expect(
      decode(Buffer.from('f'.repeat(5000)), { trailer: false, declaredTrailers: [] }),
    ).rejects.toMatchObject({ code: 'InvalidRequest' });
    await expect(
      decode(Buffer.from('zz\r\n'), { trailer: false, declaredTrailers: [] }),
    ).rejects.toMatchObject({
      code: 'InvalidRequest',
    });
  });
});

describe('aws-chunked with trailers', () => {
  const unsigned = Buffer.from('c\r\nhello stream\r\n0\r\nx-amz-checksum-crc32:gtnkmQ==\r\n\r\n');

  it('decodes the unsigned-trailer body the SDK sends and exposes the trailer', async () => {
    for (const maxSlice of [1, 2, 7, 1000]) {
      const r = await decode(
        unsigned,
        { trailer: true, declaredTrailers: ['x-amz-checksum-crc32'], decodedLength: 12 },
        maxSlice,
        maxSlice,
      );
      expect(r.data.toString()).toBe('hello stream');
      expect(r.trailers).toEqual({ 'x-amz-checksum-crc32': 'gtnkmQ==' });
    }
  });

  it('rejects a trailer x-amz-trailer did not name, and a named one that never came', async () => {
    await expect(
      decode(unsigned, { trailer: true, declaredTrailers: ['x-amz-checksum-sha256'] }),
    ).rejects.toMatchObject({
      code: 'MalformedTrailerError',
    });
    await expect(
      decode(Buffer.from('c\r\nhello stream\r\n0\r\n\r\n'), {
        trailer: true,
        declaredTrailers: ['x-amz-checksum-crc32'],
      }),
    ).rejects.toMatchObject({ code: 'MalformedTrailerError' });
  });

  it('verifies a signed trailer chained from the final chunk signature', async () => {
    const trailer = 'x-amz-checksum-crc32:gtnkmQ==';
    const good = hmacHex(KEY, trailerStringToSign(signing.amzDate, SCOPE, SIG3, sha256Hex(trailer + '\n')));
    const body = (sig: string) =>
      Buffer.concat([
        exampleBody().subarray(0, 66824 - 2),
        Buffer.from(`${trailer}\r\nx-amz-trailer-signature:${sig}\r\n\r\n`),
      ]);
    const opts = { signing, trailer: true, declaredTrailers: ['x-amz-checksum-crc32'], decodedLength: 66560 };
    const r = await decode(body(good), opts, 9, 333);
    expect(r.trailers['x-amz-checksum-crc32']).toBe('gtnkmQ==');
    await expect(decode(body(SIG3), opts)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });
});
