// The SignedHeaders list: lower-case names separated by ';'. `host` must be among them
// (SigV4 requires it; without it a signature could be replayed against another endpoint).
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
