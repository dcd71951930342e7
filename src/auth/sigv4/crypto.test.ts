// The HMAC addon (native/sigv4_hmac.c) must be built by `npm ci` and give exactly Node's bytes: on
// RFC 4231's vectors that have text data, and on random keys (empty, block-sized, longer than a
// block, which RFC 2104 hashes first) and random strings (non-ASCII, astral, lone surrogates, longer
// than the addon's stack buffer). verify.ts and aws-chunked.ts sign with whichever is loaded.
import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addonHmacHex, hmacAddonMissing, hmacHex, nodeHmacHex } from './crypto.js';

const addon = (): ((key: Buffer, data: string) => string) => {
  if (addonHmacHex === undefined) throw new Error(`the HMAC addon is not built: ${hmacAddonMissing}`);
  return addonHmacHex;
};

// RFC 4231 §4: test cases 1, 2, 6 and 7 (the others' data is not text).
const RFC4231: Array<[Buffer, string, string]> = [
  [Buffer.alloc(20, 0x0b), 'Hi There', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
  [
    Buffer.from('Jefe'),
    'what do ya want for nothing?',
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  ],
  [
    Buffer.alloc(131, 0xaa),
    'Test Using Larger Than Block-Size Key - Hash Key First',
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  ],
  [
    Buffer.alloc(131, 0xaa),
    'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
    '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  ],
];

const PIECES = ['a', 'Z', '/', '\n', ' ', 'é', 'ß', '☃', '中', '😀', '\u0000', '\ud800', '\udfff', '%2F'];
const randomText = (length: number): string => {
  let s = '';
  while (s.length < length) s += PIECES[randomInt(PIECES.length)];
  return s;
};

describe('HMAC-SHA256 addon', () => {
  it('is built and loaded (npm ci runs node-gyp), and is what SigV4 signs with', () => {
    expect(hmacAddonMissing).toBeUndefined();
    expect(hmacHex).toBe(addon());
  });

  it.each(RFC4231)('gives RFC 4231’s value (key of %#)', (key, data, expected) => {
    expect(addon()(key, data)).toBe(expected);
    expect(nodeHmacHex(key, data)).toBe(expected);
  });

  it('agrees with Node on random keys and strings, around the block size and the stack buffer', () => {
    const keyLengths = [0, 1, 32, 63, 64, 65, 128, 300];
    const dataLengths = [0, 1, 55, 56, 64, 500, 4095, 4096, 5000, 70_000];
    for (const kl of keyLengths) {
      for (const dl of dataLengths) {
        const key = randomBytes(kl);
        const data = randomText(dl);
        expect(addon()(key, data), `key ${kl} B, data ${dl} chars`).toBe(nodeHmacHex(key, data));
      }
    }
  });

  it('refuses a key that is not a Buffer or data that is not a string, as a TypeError', () => {
    const hmac = addon() as (key: unknown, data: unknown) => string;
    expect(() => hmac('secret', 'data')).toThrow(TypeError);
    expect(() => hmac(Buffer.from('k'), 42)).toThrow(TypeError);
    expect(() => (addon() as unknown as (k: Buffer) => string)(Buffer.from('k'))).toThrow(TypeError);
  });
});
