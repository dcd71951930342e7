// The SignedHeaders list: lower-case names separated by ';'. `host` must be among them
// (SigV4 requires it; without it a signature could be replayed against another endpoint).
import { CofferError } from '../../errors/error.js';

const NAME = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;

/** Parses `a;b;c`; `where` names the field for error messages and the error code to use. */
export function parseSignedHeaders(
  value: string,
  code: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError',
): string[] {
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
