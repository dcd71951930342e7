// SigV4 header signing for the tests' raw requests (S3 and IAM), written by hand from AWS's
// specification and independently of the server's code, so the two cannot share a mistake.
import { createHash, createHmac } from 'node:crypto';

export interface SigningCreds {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ToSign {
  method: string;
  /** Path and query, already encoded, signed (and to be sent) exactly as given. */
  path: string;
  /** Extra headers to sign (lower-cased here). */
  headers?: Record<string, string>;
  /** The x-amz-content-sha256 to sign and send. */
  payloadHash: string;
  service: 's3' | 'iam';
}

const sha256 = (b: string): string => createHash('sha256').update(b).digest('hex');
const hmac = (k: Buffer | string, d: string): Buffer => createHmac('sha256', k).update(d).digest();

/** The request's headers, every one signed: host, x-amz-date, x-amz-content-sha256, authorization. */
export function signV4(endpoint: string, creds: SigningCreds, r: ToSign): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/us-east-1/${r.service}/aws4_request`;
  const headers: Record<string, string> = {
    host: new URL(endpoint).host,
    'x-amz-content-sha256': r.payloadHash,
    'x-amz-date': amzDate,
    ...Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const names = Object.keys(headers).sort();
  const [path, query = ''] = r.path.split('?') as [string, string?];
  const canonicalQuery = query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => (p.includes('=') ? p : `${p}=`))
    .sort()
    .join('&');
  const canonical = [
    r.method,
    path,
    canonicalQuery,
    ...names.map((n) => `${n}:${headers[n]!.trim()}`),
    '',
    names.join(';'),
    r.payloadHash,
  ].join('\n');
  let k = hmac(`AWS4${creds.secretAccessKey}`, day);
  for (const part of ['us-east-1', r.service, 'aws4_request']) k = hmac(k, part);
  const signature = createHmac('sha256', k)
    .update(['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n'))
    .digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return headers;
}
