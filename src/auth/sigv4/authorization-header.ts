// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. Components may be
// separated by ',' and/or spaces (clients differ); each must appear exactly once.
import { CofferError } from '../../errors/error.js';
import { ALGORITHM } from './constants.js';

export interface AuthorizationHeaderFields {
  credential: string;
  signedHeaders: string;
  signature: string;
}

const malformed = (why: string) =>
  new CofferError('AuthorizationHeaderMalformed', 'The authorization header is malformed; ' + why);

export function parseAuthorizationHeader(value: string): AuthorizationHeaderFields {
  if (!value.startsWith(ALGORITHM) || (value.length > ALGORITHM.length && value[ALGORITHM.length] !== ' ')) {
    throw malformed('the authorization mechanism is not ' + ALGORITHM + '.');
  }
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  const rest = value.slice(ALGORITHM.length);
  let i = 0;
  const n = rest.length;
  while (i < n) {
    // Skip separators, then read one `Name=value` token up to the next separator.
    let c = rest.charCodeAt(i);
    if (c === 0x20 || c === 0x2c || c === 0x09) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && (c = rest.charCodeAt(j)) !== 0x20 && c !== 0x2c && c !== 0x09) j++;
    const token = rest.slice(i, j);
    i = j;
    const eq = token.indexOf('=');
    if (eq <= 0) throw malformed(`unexpected component '${token}'.`);
    const k = token.slice(0, eq);
    const v = token.slice(eq + 1);
    if (k === 'Credential' && credential === undefined) credential = v;
    else if (k === 'SignedHeaders' && signedHeaders === undefined) signedHeaders = v;
    else if (k === 'Signature' && signature === undefined) signature = v;
    else throw malformed(`unexpected or repeated component '${k}'.`);
  }
  if (credential === undefined) throw malformed('the Credential component is missing.');
  if (signedHeaders === undefined || signedHeaders === '')
    throw malformed('the SignedHeaders component is missing.');
  if (signature === undefined || signature === '') throw malformed('the Signature component is missing.');
  return { credential, signedHeaders, signature };
}
