// The SignedHeaders list: lower-case names separated by ';'. `host` must be among them
// (SigV4 requires it; without it a signature could be replayed against another endpoint), and so
// must every x-amz-* header the request carries (checkAmzHeadersSigned).
import { CofferError } from '../../errors/error.js';

const NAME = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;

type Code = 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError';

// The last list parsed (clients sign the same headers request after request). Shared, so treated
// as immutable by every caller; a valid list is valid whatever the error code would have been.
let lastValue: string | undefined;
let lastNames: readonly string[] = [];

/** Parses `a;b;c`; `code` is the error code to use when malformed. */
export function parseSignedHeaders(value: string, code: Code): readonly string[] {
  if (value === lastValue) return lastNames;
  const names = parse(value, code);
  lastValue = value;
  lastNames = names;
  return names;
}

function parse(value: string, code: Code): string[] {
  const names = value.split(';');
  for (const n of names) {
    if (!NAME.test(n)) throw new CofferError(code, `SignedHeaders contains an invalid header name '${n}'.`);
  }
  if (!names.includes('host')) {
    throw new CofferError(
      'AccessDenied',
      'There were headers present in the request which were not signed: host must be signed.',
      { extra: { HeadersNotSigned: 'host' } },
    );
  }
  return names;
}

/**
 * Refuses a request carrying an `x-amz-*` header its signature does not cover, as S3 does: such a
 * header still steers the request (x-amz-copy-source turns a presigned PUT into a copy of anything
 * the signer may read; x-amz-tagging, x-amz-meta-* are stored), so anyone holding a presigned URL,
 * or replaying a captured request, could add them. x-amz-content-sha256 is exempt, as in S3: its
 * value is the payload hash the signature is computed over, so changing it already breaks the
 * signature. `headers` are node's (lower-case names).
 */
export function checkAmzHeadersSigned(
  headers: Readonly<Record<string, unknown>>,
  signed: readonly string[],
): void {
  let unsigned: string[] | undefined;
  for (const name in headers) {
    if (!name.startsWith('x-amz-') || name === 'x-amz-content-sha256' || signed.includes(name)) continue;
    (unsigned ??= []).push(name);
  }
  if (unsigned !== undefined) {
    throw new CofferError('AccessDenied', 'There were headers present in the request which were not signed', {
      extra: { HeadersNotSigned: unsigned.join(', ') },
    });
  }
}
