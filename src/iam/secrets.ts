// Credential material: access key ids (kind + tenant encoded, see docs/iam.md), secrets, entity
// ids, and the sealing of secrets at rest with AES-256-GCM under the master key (random IV per
// secret, the access key id as associated data so a sealed secret cannot be moved to another key).
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type AccessKeyIdKind = 'long-term' | 'temporary' | 'service-account';

const KIND_PREFIX: Record<AccessKeyIdKind, string> = {
  'long-term': 'CK',
  temporary: 'CT',
  'service-account': 'CA',
};
const PREFIX_KIND = new Map(Object.entries(KIND_PREFIX).map(([k, v]) => [v, k as AccessKeyIdKind]));

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Two base-36 characters encode the tenant's sequence number. */
export const MAX_TENANT_SEQ = 36 * 36 - 1;
/** 16 base-36 characters: log2(36^16) ≈ 82.7 bits of randomness. */
const RANDOM_CHARS = 16;

function randomString(length: number, alphabet: string): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/**
 * A generated access key id: 2-letter kind prefix, 2 base-36 characters of the tenant's sequence
 * number, 16 random base-36 characters — 20 upper-case alphanumerics, like AWS's.
 */
export function generateAccessKeyId(kind: AccessKeyIdKind, tenantSeq: number): string {
  if (!Number.isInteger(tenantSeq) || tenantSeq < 0 || tenantSeq > MAX_TENANT_SEQ) {
    throw new RangeError(`tenant sequence ${tenantSeq} cannot be encoded in an access key id`);
  }
  const tenant = tenantSeq.toString(36).toUpperCase().padStart(2, '0');
  return `${KIND_PREFIX[kind]}${tenant}${randomString(RANDOM_CHARS, UPPER_ALNUM)}`;
}

/** Reads kind and tenant back from a generated id; undefined for caller-supplied or foreign ids. */
export function parseAccessKeyId(id: string): { kind: AccessKeyIdKind; tenantSeq: number } | undefined {
  if (!/^[A-Z0-9]{20}$/.test(id)) return undefined;
  const kind = PREFIX_KIND.get(id.slice(0, 2));
  if (kind === undefined) return undefined;
  return { kind, tenantSeq: parseInt(id.slice(2, 4), 36) };
}

/** 40 characters of [A-Za-z0-9+/]: the base64 of 30 random bytes (240 bits). */
export function generateSecretAccessKey(): string {
  return randomBytes(30).toString('base64');
}

/** AWS-style unique ids: a 4-letter prefix (AIDA user, AGPA group, ANPA policy) and 17 characters. */
export function generateEntityId(prefix: 'AIDA' | 'AGPA' | 'ANPA'): string {
  return `${prefix}${randomString(17, UPPER_ALNUM)}`;
}

/** A random 12-digit account id for a new tenant (never starting with 0, so it never looks like the default). */
export function generateAccountId(): string {
  return `${randomInt(1, 10)}${String(randomInt(0, 1e11)).padStart(11, '0')}`;
}

// ------------------------------------------------------------------ sealing

const SEAL_VERSION = 'v1';

/** Turns COFFER_MASTER_KEY into 32 key bytes: 64 hex digits or base64 of 32 bytes verbatim, else SHA-256 of the text. */
export function masterKeyFromConfig(value: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(value)) {
    const b = Buffer.from(value, 'base64');
    if (b.length === 32) return b;
  }
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Reads the master key file, or creates it (32 random bytes, hex, mode 0600, directory 0700) if it
 * does not exist. The exclusive create means two servers starting at once agree on one key.
 */
export function loadOrCreateMasterKeyFile(path: string): Buffer {
  try {
    return parseKeyFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return parseKeyFile(path);
}

function parseKeyFile(path: string): Buffer {
  const text = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new Error(`master key file ${path} does not hold 64 hex digits`);
  // Tighten permissions that were loosened by hand: the key must stay private.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return Buffer.from(text, 'hex');
}

export class SecretBox {
  readonly #key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new RangeError('the master key must be 32 bytes');
    this.#key = Buffer.from(masterKey);
  }

  /** `v1:` + base64(iv ‖ tag ‖ ciphertext); `context` (the access key id) is bound as associated data. */
  seal(secret: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `${SEAL_VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** Throws if the sealed value was altered, sealed for another context or under another key. */
  open(sealed: string, context: string): string {
    const [version, payload] = sealed.split(':', 2);
    if (version !== SEAL_VERSION || payload === undefined) throw new Error('unknown sealed secret format');
    const raw = Buffer.from(payload, 'base64');
    if (raw.length < 28) throw new Error('sealed secret is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
