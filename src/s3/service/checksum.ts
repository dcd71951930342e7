// What a request promises about its body: Content-MD5 and at most one x-amz-checksum-* value, sent
// as a header, a presigned query parameter or an aws-chunked trailer. Parsed before the body is
// read (so malformed values fail fast), verified against the digests computed while writing.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
import { CofferError } from '../../errors/error.js';
import type { ReadonlyQuery } from '../../kernel/query.js';
import {
  checksumAlgorithms,
  checksumHeader,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
  type DigestName,
} from '../../kernel/checksums.js';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const digestBytes: Readonly<Record<ChecksumAlgorithm, number>> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

export interface BodyExpectation {
  /** Raw Content-MD5 digest. */
  md5?: Buffer;
  /** The checksum algorithm the object will carry. */
  algorithm?: ChecksumAlgorithm;
  /** Base64 value from a header or query, or 'trailer' when it arrives after the body. */
  value?: string;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeChecksum(alg: ChecksumAlgorithm, value: string): Buffer | undefined {
  if (!BASE64.test(value) || value.length % 4 !== 0) return undefined;
  const b = Buffer.from(value, 'base64');
  return b.length === digestBytes[alg] ? b : undefined;
}

const invalidValue = (alg: ChecksumAlgorithm): CofferError =>
  new CofferError('InvalidRequest', `Value for ${checksumHeader(alg)} header is invalid.`);

/** Reads Content-MD5 and the checksum headers (or presigned query parameters) of a request. */
export function parseBodyExpectation(headers: Headers, query?: ReadonlyQuery): BodyExpectation {
  const out: BodyExpectation = {};
  const md5 = first(headers['content-md5']);
  if (md5 !== undefined) {
    const b = BASE64.test(md5) ? Buffer.from(md5, 'base64') : Buffer.alloc(0);
    if (b.length !== 16) throw new CofferError('InvalidDigest');
    out.md5 = b;
  }
  const found: ChecksumAlgorithm[] = [];
  for (const alg of checksumAlgorithms) {
    const name = checksumHeader(alg);
    const v = first(headers[name]) ?? query?.get(name) ?? undefined;
    if (v !== undefined) {
      found.push(alg);
      if (decodeChecksum(alg, v) === undefined) throw invalidValue(alg);
      out.algorithm = alg;
      out.value = v;
    }
  }
  if (found.length > 1) {
    throw new CofferError(
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  }
  if (found.length === 0) {
    const trailer = first(headers['x-amz-trailer']);
    if (trailer !== undefined && trailer.toLowerCase().startsWith('x-amz-checksum-')) {
      const alg = parseChecksumAlgorithm(trailer.slice('x-amz-checksum-'.length).trim());
      if (alg === undefined) {
        throw new CofferError(
          'InvalidRequest',
          'The value specified in the x-amz-trailer header is not supported',
        );
      }
      out.algorithm = alg;
      out.value = 'trailer';
    } else {
      const sdk =
        first(headers['x-amz-sdk-checksum-algorithm']) ?? query?.get('x-amz-sdk-checksum-algorithm');
      if (sdk !== undefined && sdk !== null) {
        const alg = parseChecksumAlgorithm(sdk);
        if (alg === undefined) {
          throw new CofferError(
            'InvalidRequest',
            'Value for x-amz-sdk-checksum-algorithm header is invalid.',
          );
        }
        // Algorithm named without a value: compute it and store it, as S3 does.
        out.algorithm = alg;
      }
    }
  }
  return out;
}

/** Digests to compute while writing (MD5 is always computed by the blob store). */
export function digestsFor(e: BodyExpectation, extra?: ChecksumAlgorithm): DigestName[] {
  const d: DigestName[] = [];
  if (e.algorithm !== undefined) d.push(e.algorithm);
  if (extra !== undefined && extra !== e.algorithm) d.push(extra);
  return d;
}

/**
 * Checks computed digests against the expectation; returns the object's checksum (base64) when an
 * algorithm was named. Throws BadDigest on mismatch.
 */
export function verifyBody(
  e: BodyExpectation,
  digests: Partial<Record<DigestName, Buffer>>,
  trailers: () => Readonly<Record<string, string>>,
): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  if (e.md5 !== undefined && !(digests.MD5 !== undefined && digests.MD5.equals(e.md5))) {
    throw new CofferError('BadDigest');
  }
  if (e.algorithm === undefined) return undefined;
  const alg = e.algorithm;
  const computed = digests[alg];
  if (computed === undefined) throw new Error(`digest ${alg} was not computed`);
  let expected = e.value;
  if (expected === 'trailer') {
    const t = trailers()[checksumHeader(alg)];
    if (t === undefined) {
      throw new CofferError('InvalidRequest', `The ${checksumHeader(alg)} trailer was not received.`);
    }
    if (decodeChecksum(alg, t) === undefined) throw invalidValue(alg);
    expected = t;
  }
  const actual = computed.toString('base64');
  if (expected !== undefined && expected !== actual) {
    throw new CofferError('BadDigest', `The ${alg} you specified did not match the calculated checksum.`);
  }
  return { algorithm: alg, value: actual };
}
