// Input rules of the IAM API (AWS's constraints): names, paths, tags, statuses, pagination and
// policy document sizes. Each rule throws the AWS error code AWS uses for it.
import { CofferError } from '../errors/error.js';
import type { EntityStatus, IamTag } from '../meta/iam-ports.js';

const NAME = /^[\w+=,.@-]+$/;

/** User (64), group (128), policy (128), inline policy (128), tenant (64) names: `[\w+=,.@-]`. */
export function checkName(kind: string, value: string | undefined, max: number): string {
  if (value === undefined || value === '') {
    throw new CofferError(
      'ValidationError',
      `1 validation error detected: Value null at '${kind}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (value.length > max || !NAME.test(value)) {
    throw new CofferError(
      'ValidationError',
      `1 validation error detected: Value '${value}' at '${kind}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and ${max}`,
    );
  }
  return value;
}

/** `/` or `/a/b/`: printable ASCII between slashes, at most 512 characters. */
export function checkPath(kind: string, value: string | undefined): string {
  if (value === undefined || value === '') return '/';
  if (value.length > 512 || !/^\/([\x21-\x7e]*\/)?$/.test(value)) {
    throw new CofferError(
      'ValidationError',
      `1 validation error detected: Value '${value}' at '${kind}' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)`,
    );
  }
  return value;
}

export function checkPathPrefix(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > 512 || !/^\/[\x21-\x7e]*$/.test(value)) {
    throw new CofferError(
      'ValidationError',
      `Invalid PathPrefix '${value}': it must start with / and hold printable ASCII.`,
    );
  }
  return value;
}

export function checkStatus(value: string | undefined): EntityStatus {
  if (value !== 'Active' && value !== 'Inactive') {
    throw new CofferError(
      'ValidationError',
      `1 validation error detected: Value '${value ?? 'null'}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
    );
  }
  return value;
}

export const MAX_TAGS = 50;

export function checkTags(tags: readonly IamTag[]): void {
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.key.length < 1 || t.key.length > 128 || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u.test(t.key)) {
      throw new CofferError(
        'InvalidInput',
        `Invalid tag key '${t.key}': 1 to 128 letters, digits, spaces or _.:/=+-@.`,
      );
    }
    // Reserved, as in AWS: a user-set aws:* tag could pose as one of the keys policies trust.
    if (t.key.toLowerCase().startsWith('aws:')) {
      throw new CofferError(
        'InvalidInput',
        `Invalid tag key '${t.key}': keys beginning with 'aws:' are reserved.`,
      );
    }
    if (t.value.length > 256 || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(t.value)) {
      throw new CofferError(
        'InvalidInput',
        `Invalid value for tag '${t.key}': at most 256 letters, digits, spaces or _.:/=+-@.`,
      );
    }
    if (seen.has(t.key.toLowerCase())) {
      throw new CofferError('InvalidInput', `Duplicate tag key '${t.key}' (tag keys are case-insensitive).`);
    }
    seen.add(t.key.toLowerCase());
  }
}

/** Pagination: MaxItems 1..1000 (default 100); Marker is the opaque value a previous page returned. */
export function checkMaxItems(value: string | number | undefined): number {
  if (value === undefined || value === '') return 100;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new CofferError(
      'ValidationError',
      `Invalid MaxItems '${String(value)}': it must be an integer between 1 and 1000.`,
    );
  }
  return n;
}

export const encodeMarker = (name: string): string => Buffer.from(name, 'utf8').toString('base64url');

export function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined || marker === '') return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw new CofferError('InvalidInput', 'Invalid Marker.');
  return Buffer.from(marker, 'base64url').toString('utf8');
}

/** AWS counts policy size without whitespace. */
export const policySize = (document: string): number => document.replace(/\s+/g, '').length;
