// A raw SigV4-signed IAM query call, for the extension actions the AWS SDK does not model
// (SetUserStatus, SetUserRole, CreateTenant …). Signed by hand, independently of the server's code.
import { createHash, createHmac } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';

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
const sha256 = (b: string): string => createHash('sha256').update(b).digest('hex');
const hmac = (k: Buffer | string, d: string): Buffer => createHmac('sha256', k).update(d).digest();

export async function iamQuery(
  endpoint: string,
  creds: QueryCreds,
  params: Record<string, string>,
): Promise<QueryResult> {
  const body = new URLSearchParams({ Version: '2010-05-08', ...params }).toString();
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/us-east-1/iam/aws4_request`;
  const hash = sha256(body);
  const signed = 'host;x-amz-content-sha256;x-amz-date';
  const canonical = [
    'POST',
    '/',
    '',
    `host:${new URL(endpoint).host}`,
    `x-amz-content-sha256:${hash}`,
    `x-amz-date:${amzDate}`,
    '',
    signed,
    hash,
  ].join('\n');
  let k = hmac(`AWS4${creds.secretAccessKey}`, day);
  for (const part of ['us-east-1', 'iam', 'aws4_request']) k = hmac(k, part);
  const sig = createHmac('sha256', k)
    .update(['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n'))
    .digest('hex');
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': amzDate,
      'x-amz-content-sha256': hash,
      authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${sig}`,
    },
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
