// The two primitives SigV4 is built from: SHA-256 (hex) and HMAC-SHA256. Node's one-shot
// `crypto.hash` is used when present (Node ≥ 20.12), it avoids a Hash object per call.
import { createHash, createHmac } from 'node:crypto';
import * as nodeCrypto from 'node:crypto';

type OneShot = (alg: string, data: string | Buffer, enc: 'hex') => string;
const oneShot = (nodeCrypto as unknown as { hash?: OneShot }).hash;

export const sha256Hex: (data: string | Buffer) => string = oneShot
  ? (data) => oneShot('sha256', data, 'hex')
  : (data) => createHash('sha256').update(data).digest('hex');

export const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

export const hmacHex = (key: Buffer, data: string): string =>
  createHmac('sha256', key).update(data, 'utf8').digest('hex');
