// Object and bucket tag sets: parsing from the x-amz-tagging header and validating per S3's limits.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
import { CofferError } from '../../errors/error.js';
import type { Tag } from '../../meta/ports.js';

export const MAX_OBJECT_TAGS = 10;
export const MAX_BUCKET_TAGS = 50;

const invalid = (message: string): CofferError => new CofferError('InvalidTag', message);

/** Validates a tag set (key 1–128 chars, value ≤ 256, unique keys, no `aws:` prefix, ≤ max tags). */
export function validateTags(tags: readonly Tag[], max: number): Tag[] {
  if (tags.length > max) {
    throw invalid(
      max === MAX_OBJECT_TAGS
        ? 'Object tags cannot be greater than 10'
        : `Bucket tags cannot be greater than ${max}`,
    );
  }
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.key.length === 0 || [...t.key].length > 128)
      throw invalid('The TagKey you have provided is invalid');
    if ([...t.value].length > 256) throw invalid('The TagValue you have provided is invalid');
    if (t.key.toLowerCase().startsWith('aws:')) {
      throw invalid('Your TagKey cannot be prefixed with aws:');
    }
    if (seen.has(t.key)) throw invalid('Cannot provide multiple Tags with the same key');
    seen.add(t.key);
  }
  return [...tags];
}

/** `x-amz-tagging: k1=v1&k2=v2` (URL query encoded). */
export function parseTaggingHeader(value: string | undefined): Tag[] {
  if (value === undefined || value === '') return [];
  const tags: Tag[] = [];
  for (const [key, v] of new URLSearchParams(value)) tags.push({ key, value: v });
  return validateTags(tags, MAX_OBJECT_TAGS);
}
