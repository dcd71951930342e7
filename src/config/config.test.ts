// COFFER_NATIVE_FS: the durable-file addon is on unless turned off, and a typo stops start-up
// instead of silently choosing a path.
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('COFFER_NATIVE_FS', () => {
  it('defaults to on and accepts off', () => {
    expect(loadConfig({}, {}).nativeFs).toBe('on');
    expect(loadConfig({}, { COFFER_NATIVE_FS: 'off' }).nativeFs).toBe('off');
  });

  it('refuses any other value', () => {
    expect(() => loadConfig({}, { COFFER_NATIVE_FS: 'no' })).toThrow(/invalid configuration: nativeFs/);
  });
});
