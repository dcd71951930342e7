// Streaming digests for every checksum S3 knows: MD5 (ETag, Content-MD5), SHA-256 (payload hash),
// and the x-amz-checksum-* family (CRC32, CRC32C, SHA1, SHA256, CRC64NVME). One interface so a body is
// hashed in a single pass, whatever set of digests the request asks for.
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256' | 'CRC64NVME';
export const checksumAlgorithms: readonly ChecksumAlgorithm[] = [
  'CRC32',
  'CRC32C',
  'SHA1',
  'SHA256',
  'CRC64NVME',
];
export type DigestName = 'MD5' | ChecksumAlgorithm;

export interface Digester {
  update(chunk: Buffer): void;
  /** Raw digest bytes; may be called once. */
  digest(): Buffer;
}

class NodeHash implements Digester {
  private readonly h: Hash;
  constructor(alg: string) {
    this.h = createHash(alg);
  }
  update(chunk: Buffer): void {
    this.h.update(chunk);
  }
  digest(): Buffer {
    return this.h.digest();
  }
}

class Crc32Digester implements Digester {
  private value = 0;
  update(chunk: Buffer): void {
    this.value = crc32(chunk, this.value);
  }
  digest(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.value >>> 0);
    return b;
  }
}

class Crc32cDigester implements Digester {
  private readonly c = new Crc32c();
  update(chunk: Buffer): void {
    this.c.update(chunk);
  }
  digest(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.c.digest() >>> 0);
    return b;
  }
}

class Crc64NvmeDigester implements Digester {
  private readonly c = new Crc64Nvme();
  private last: Uint8Array | undefined;
  update(chunk: Buffer): void {
    this.c.update(chunk);
  }
  digest(): Buffer {
    // Crc64Nvme.digest() returns a promise, so MultiDigest.finish() awaits finish() before digest().
    if (this.last) return Buffer.from(this.last);
    throw new Error('CRC64NVME digest must be awaited via finishDigests()');
  }
  async finish(): Promise<void> {
    this.last = await this.c.digest();
  }
}

export function createDigester(name: DigestName): Digester & { finish?: () => Promise<void> } {
  switch (name) {
    case 'MD5':
      return new NodeHash('md5');
    case 'SHA1':
      return new NodeHash('sha1');
    case 'SHA256':
      return new NodeHash('sha256');
    case 'CRC32':
      return new Crc32Digester();
    case 'CRC32C':
      return new Crc32cDigester();
    case 'CRC64NVME':
      return new Crc64NvmeDigester();
  }
}

/** A set of digests fed together; `finish()` returns each digest's bytes. */
export class MultiDigest {
  private readonly digesters = new Map<DigestName, Digester & { finish?: () => Promise<void> }>();
  constructor(names: Iterable<DigestName>) {
    for (const n of names) if (!this.digesters.has(n)) this.digesters.set(n, createDigester(n));
  }
  update(chunk: Buffer): void {
    for (const d of this.digesters.values()) d.update(chunk);
  }
  async finish(): Promise<Partial<Record<DigestName, Buffer>>> {
    const out: Partial<Record<DigestName, Buffer>> = {};
    for (const [n, d] of this.digesters) {
      if (d.finish) await d.finish();
      out[n] = d.digest();
    }
    return out;
  }
}

/** Header name for a checksum algorithm: CRC32 → x-amz-checksum-crc32. */
export const checksumHeader = (alg: ChecksumAlgorithm): string => `x-amz-checksum-${alg.toLowerCase()}`;

export function parseChecksumAlgorithm(value: string | undefined): ChecksumAlgorithm | undefined {
  if (value === undefined) return undefined;
  const v = value.toUpperCase().replace(/-/g, '');
  return (checksumAlgorithms as readonly string[]).includes(v) ? (v as ChecksumAlgorithm) : undefined;
}
