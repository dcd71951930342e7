// A raw SigV4-signed IAM query call, for the extension actions the AWS SDK does not model
// (SetUserStatus, SetUserRole, CreateTenant …), signed by the tests' own SigV4 signer.
import { createHash } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { signV4 } from './sigv4-sign.js';

export interface QueryCreds {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface QueryResult {
  status: number;
  text: string;
  /** The error code, when the reply is an ErrorResponse. */
  code?: string;
  /** The `<ActionResult>` element, parsed (lists as arrays of `member`). */
  body: Record<string, unknown>;
}

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (n) => n === 'member' });

export async function iamQuery(
  endpoint: string,
  creds: QueryCreds,
  params: Record<string, string>,
): Promise<QueryResult> {
  const body = new URLSearchParams({ Version: '2010-05-08', ...params }).toString();
  // fetch sets Host itself, to the same value that was signed.
  const { host: _host, ...signed } = signV4(endpoint, creds, {
    method: 'POST',
    path: '/',
    payloadHash: createHash('sha256').update(body).digest('hex'),
    service: 'iam',
  });
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...signed },
    body,
  });
  const text = await res.text();
  const parsed = xml.parse(text) as Record<string, unknown>;
  const code = (parsed.ErrorResponse as { Error?: { Code?: string } } | undefined)?.Error?.Code;
  const action = params.Action ?? '';
  const result = (parsed[`${action}Response`] as Record<string, unknown> | undefined)?.[`${action}Result`];
  return {
    status: res.status,
    text,
    ...(code === undefined ? {} : { code }),
    body: (result ?? {}) as Record<string, unknown>,
  };
}
