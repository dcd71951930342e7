// The two primitives SigV4 is built from: SHA-256 (hex) and HMAC-SHA256. Node's one-shot
// `crypto.hash` is used when present (Node ≥ 20.12), it avoids a Hash object per call. The HMAC of
// each verification's last step (hmacHex) comes from a small addon when it is built
// (native/sigv4_hmac.c, docs/adr/0007): createHmac's object and fresh OpenSSL context per call cost
// a busy server ~17 % of a small GET's CPU (A/B). Without the addon, createHmac gives the same bytes.
import { createHash, createHmac } from 'node:crypto';
import * as nodeCrypto from 'node:crypto';
import { loadAddon } from '../../kernel/native-addon.js';

type OneShot = (alg: string, data: string | Buffer, enc: 'hex') => string;
const oneShot = (nodeCrypto as unknown as { hash?: OneShot }).hash;

export const sha256Hex: (data: string | Buffer) => string = oneShot
  ? (data) => oneShot('sha256', data, 'hex')
  : (data) => createHash('sha256').update(data).digest('hex');

export const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** HMAC-SHA256 of `data` (as UTF-8) in lower-case hex, by Node's crypto. */
export const nodeHmacHex = (key: Buffer, data: string): string =>
  createHmac('sha256', key).update(data, 'utf8').digest('hex');

interface HmacAddon {
  /** Same contract as nodeHmacHex; throws a TypeError for a key that is not a Buffer. */
  hmacSha256Hex(this: void, key: Buffer, data: string): string;
}

const load = loadAddon<HmacAddon>('sigv4_hmac');

/** Why the addon is not in use (not built, or failed to load); undefined when it is. */
export const hmacAddonMissing: string | undefined = load.missing;

/** The addon's HMAC, when it is built (for tests that compare it with Node's). */
export const addonHmacHex: ((key: Buffer, data: string) => string) | undefined = load.addon?.hmacSha256Hex;

export const hmacHex: (key: Buffer, data: string) => string = addonHmacHex ?? nodeHmacHex;
