// A raw SigV4-signed S3 request over node:http, for what the AWS SDK will not send: a path kept
// as written (dot segments), a payload hash that does not match the body, a body without a length.
import http from 'node:http';
import { signV4, type SigningCreds } from './sigv4-sign.js';

export type RawCreds = SigningCreds;

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

export function s3Raw(
  endpoint: string,
  creds: RawCreds,
  r: RawRequest,
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(endpoint);
  const headers = signV4(endpoint, creds, {
    method: r.method,
    path: r.path,
    ...(r.headers === undefined ? {} : { headers: r.headers }),
    payloadHash: r.payloadHash ?? 'UNSIGNED-PAYLOAD',
    service: 's3',
  });
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
