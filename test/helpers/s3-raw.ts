// A raw SigV4-signed S3 request over node:http, for what the AWS SDK will not send: a path kept
// as written (dot segments), a payload hash that does not match the body, a body without a length.
// Signed by hand, independently of the server's code.
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';

export interface RawCreds {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RawRequest {
  method: string;
  /** Sent exactly as given (already encoded), and signed as given. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** The x-amz-content-sha256 to sign and send (default: UNSIGNED-PAYLOAD). */
  payloadHash?: string;
  /** Send the body with Transfer-Encoding: chunked instead of a Content-Length. */
  chunked?: boolean;
}

const sha256 = (b: string): string => createHash('sha256').update(b).digest('hex');
const hmac = (k: Buffer | string, d: string): Buffer => createHmac('sha256', k).update(d).digest();

export function s3Raw(
  endpoint: string,
  creds: RawCreds,
  r: RawRequest,
): Promise<{ status: number; text: string }> {
  const { hostname, port, host } = new URL(endpoint);
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const payloadHash = r.payloadHash ?? 'UNSIGNED-PAYLOAD';
  const headers: Record<string, string> = {
    host,
    'x-amz-content-sha256': payloadHash,
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
    payloadHash,
  ].join('\n');
  let k = hmac(`AWS4${creds.secretAccessKey}`, day);
  for (const part of ['us-east-1', 's3', 'aws4_request']) k = hmac(k, part);
  const signature = createHmac('sha256', k)
    .update(['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n'))
    .digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  if (r.body !== undefined && !r.chunked) headers['content-length'] = String(Buffer.byteLength(r.body));
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: r.path, method: r.method, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(r.body);
  });
}
