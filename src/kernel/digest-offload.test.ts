import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checksumAlgorithms, MultiDigest, type DigestName } from './checksums.js';
import { OffloadedDigest } from './digest-offload.js';

const all: DigestName[] = ['MD5', ...checksumAlgorithms];

async function both(chunks: Buffer[], names: DigestName[]) {
  const inline = new MultiDigest(names);
  let progress = 0;
  const off = new OffloadedDigest(names, () => progress++);
  for (const c of chunks) {
    inline.update(c);
    off.update(c);
  }
  return { inline: await inline.finish(), offloaded: await off.finish(), progress, saturated: off.saturated };
}

describe('OffloadedDigest', () => {
  it('gives the digests MultiDigest gives, across batch boundaries', async () => {
    // Chunk sizes that straddle the 1 MiB batch in every way: tiny, odd, exactly a batch, several.
    const sizes = [1, 65_535, 1024 * 1024, 3, 2 * 1024 * 1024 + 17, 0, 700_001];
    const chunks = sizes.map((n) => randomBytes(n));
    const { inline, offloaded, progress, saturated } = await both(chunks, all);
    for (const n of all) expect(offloaded[n]?.toString('hex'), n).toBe(inline[n]?.toString('hex'));
    expect(progress).toBeGreaterThan(0);
    expect(saturated).toBe(false);
  });

  it('handles an empty body and a body smaller than one batch', async () => {
    for (const chunks of [[], [Buffer.from('hello')]]) {
      const { inline, offloaded } = await both(chunks, ['MD5', 'CRC32']);
      expect(offloaded.MD5?.toString('hex')).toBe(inline.MD5?.toString('hex'));
      expect(offloaded.CRC32?.toString('hex')).toBe(inline.CRC32?.toString('hex'));
    }
  });

  it('keeps concurrent streams apart', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(1024 * 1024 + i * 99_999));
    const results = await Promise.all(
      bodies.map((b) => both([b.subarray(0, 5000), b.subarray(5000)], ['MD5', 'SHA256'])),
    );
    for (const r of results) {
      expect(r.offloaded.MD5?.toString('hex')).toBe(r.inline.MD5?.toString('hex'));
      expect(r.offloaded.SHA256?.toString('hex')).toBe(r.inline.SHA256?.toString('hex'));
    }
  });
});
