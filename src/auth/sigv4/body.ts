// Body wrappers that check what the signature promised about the payload: a hex SHA-256 (checked
// at the end), an empty body, or a body whose hash the signature covers without announcing it
// (IAM/STS form posts without x-amz-content-sha256: the signature itself is finished at the end).
import { Transform, type TransformCallback } from 'node:stream';
import { createHash, type Hash } from 'node:crypto';
import { CofferError } from '../../errors/error.js';

/** Passes data through, hashing it; at the end hands the hex SHA-256 to `check`, which may throw. */
export class Sha256CheckStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  constructor(private readonly check: (sha256Hex: string) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.check(this.hash.digest('hex'));
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}

/** The check for a declared x-amz-content-sha256. */
export const expectSha256 =
  (declared: string) =>
  (computed: string): void => {
    if (computed !== declared.toLowerCase()) {
      throw new CofferError('XAmzContentSHA256Mismatch', undefined, {
        extra: { ClientComputedContentSHA256: declared, S3ComputedContentSHA256: computed },
      });
    }
  };
