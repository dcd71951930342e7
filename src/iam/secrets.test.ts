// Tests of credential material: the key id scheme round-trips, secrets have the promised shape,
// sealing detects tampering and misplacement, and the key file is created once with mode 0600.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SecretBox,
  generateAccessKeyId,
  generateAccountId,
  generateSecretAccessKey,
  loadOrCreateMasterKeyFile,
  masterKeyFromConfig,
  parseAccessKeyId,
} from './secrets.js';

describe('access key ids', () => {
  it('are 20 upper-case alphanumerics that give back kind and tenant', () => {
    for (const kind of ['long-term', 'temporary', 'service-account'] as const) {
      for (const seq of [0, 1, 35, 36, 1295]) {
        const id = generateAccessKeyId(kind, seq);
        expect(id).toMatch(/^[A-Z0-9]{20}$/);
        expect(parseAccessKeyId(id)).toEqual({ kind, tenantSeq: seq });
      }
    }
    expect(generateAccessKeyId('long-term', 0).startsWith('CK00')).toBe(true);
    expect(() => generateAccessKeyId('long-term', 1296)).toThrow(RangeError);
    expect(parseAccessKeyId('AKIAIOSFODNN7EXAMPLE')).toBeUndefined();
    expect(parseAccessKeyId('my-app-key')).toBeUndefined();
    expect(new Set(Array.from({ length: 1000 }, () => generateAccessKeyId('long-term', 0))).size).toBe(1000);
  });

  it('secrets are 40 chars of [A-Za-z0-9+/] and account ids 12 digits', () => {
    expect(generateSecretAccessKey()).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(generateAccountId()).toMatch(/^[1-9]\d{11}$/);
  });
});

describe('SecretBox', () => {
  const box = new SecretBox(masterKeyFromConfig('a'.repeat(64)));

  it('round-trips with a fresh IV each time', () => {
    const a = box.seal('s3cr3t', 'CK00AAAA');
    const b = box.seal('s3cr3t', 'CK00AAAA');
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cr3t');
    expect(box.open(a, 'CK00AAAA')).toBe('s3cr3t');
  });

  it('refuses another context, another key or a flipped bit', () => {
    const sealed = box.seal('s3cr3t', 'K1');
    expect(() => box.open(sealed, 'K2')).toThrow();
    expect(() => new SecretBox(masterKeyFromConfig('other passphrase')).open(sealed, 'K1')).toThrow();
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => box.open(`v1:${raw.toString('base64')}`, 'K1')).toThrow();
  });

  it('takes hex, base64 or a passphrase as the configured master key', () => {
    expect(masterKeyFromConfig('00'.repeat(32))).toEqual(Buffer.alloc(32));
    expect(masterKeyFromConfig(Buffer.alloc(32, 7).toString('base64'))).toEqual(Buffer.alloc(32, 7));
    expect(masterKeyFromConfig('correct horse')).toHaveLength(32);
  });
});

describe('master key file', () => {
  it('is created once with mode 0600 and read back afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-key-'));
    try {
      const path = join(dir, '.coffer', 'master.key');
      const k1 = loadOrCreateMasterKeyFile(path);
      expect(k1).toHaveLength(32);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(loadOrCreateMasterKeyFile(path)).toEqual(k1);
      chmodSync(path, 0o644);
      loadOrCreateMasterKeyFile(path);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8').trim()).toBe(k1.toString('hex'));
      writeFileSync(path, 'garbage');
      expect(() => loadOrCreateMasterKeyFile(path)).toThrow(/64 hex/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
