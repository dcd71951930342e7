// S3 bucket naming rules for general purpose buckets, checked on CreateBucket.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
import { CofferError } from '../../errors/error.js';

const shape = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ipLike = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const reservedPrefixes = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const reservedSuffixes = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Why a name breaks the rules, or undefined when it is valid. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'Bucket names must be between 3 and 63 characters long.';
  if (!shape.test(name)) {
    return 'Bucket names can consist only of lowercase letters, numbers, dots and hyphens, and must begin and end with a letter or number.';
  }
  if (name.includes('..')) return 'Bucket names must not contain two adjacent periods.';
  if (name.includes('.-') || name.includes('-.'))
    return 'Bucket names must not contain a period next to a hyphen.';
  if (ipLike.test(name)) return 'Bucket names must not be formatted as an IP address.';
  for (const p of reservedPrefixes) if (name.startsWith(p)) return `Bucket names must not start with ${p}.`;
  for (const s of reservedSuffixes) if (name.endsWith(s)) return `Bucket names must not end with ${s}.`;
  return undefined;
}

export function assertBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== undefined) {
    throw new CofferError('InvalidBucketName', problem, { extra: { BucketName: name } });
  }
}
