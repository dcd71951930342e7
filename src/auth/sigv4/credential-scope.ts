// The credential: `AKID/YYYYMMDD/region/service/aws4_request`. The region must be ours or empty
// (some clients sign with an empty region); the service is returned for routing (s3, iam, sts).
// Error wording follows what S3 returns for the header and query forms.
import { CofferError } from '../../errors/error.js';
import { TERMINATOR } from './constants.js';

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  /** `date/region/service/aws4_request`, as it appears in the string to sign. */
  scope: string;
}

export type AuthForm = 'header' | 'query';

const DATE8 = /^\d{8}$/;
const PART = /^[A-Za-z0-9_.-]*$/;

const errorCode = (form: AuthForm) =>
  form === 'header'
    ? ('AuthorizationHeaderMalformed' as const)
    : ('AuthorizationQueryParametersError' as const);
const prefix = (form: AuthForm) =>
  form === 'header'
    ? 'The authorization header is malformed; '
    : 'Error parsing the X-Amz-Credential parameter; ';

// The last scope parsed (a client signs request after request with the same credential scope).
// Shared, so treated as immutable by every caller.
let last: { value: string; form: AuthForm; region: string; scope: CredentialScope } | undefined;

export function parseCredential(value: string, form: AuthForm, expectedRegion: string): CredentialScope {
  if (last !== undefined && last.value === value && last.form === form && last.region === expectedRegion) {
    return last.scope;
  }
  const scope = parse(value, form, expectedRegion);
  last = { value, form, region: expectedRegion, scope };
  return scope;
}

function parse(value: string, form: AuthForm, expectedRegion: string): CredentialScope {
  const parts = value.split('/');
  if (
    parts.length !== 5 ||
    parts[0] === '' ||
    !DATE8.test(parts[1]!) ||
    !PART.test(parts[2]!) ||
    !PART.test(parts[3]!)
  ) {
    throw new CofferError(
      errorCode(form),
      prefix(form) +
        'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
      { extra: { Region: expectedRegion } },
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (terminator !== TERMINATOR) {
    throw new CofferError(
      errorCode(form),
      prefix(form) + 'incorrect terminal "' + terminator + '". This endpoint uses "aws4_request".',
    );
  }
  if (service === '') {
    throw new CofferError(
      errorCode(form),
      prefix(form) + 'the service is missing from the credential scope.',
    );
  }
  if (region !== '' && region !== expectedRegion) {
    throw new CofferError(
      errorCode(form),
      prefix(form) + `the region '${region}' is wrong; expecting '${expectedRegion}'`,
      { extra: { Region: expectedRegion } },
    );
  }
  return {
    accessKeyId,
    date,
    region,
    service,
    scope: date + '/' + region + '/' + service + '/' + TERMINATOR,
  };
}
