import { describe, expect, it } from 'vitest';
import { constantTimeEqual } from './compare.js';

describe('constantTimeEqual', () => {
  it('is true only for identical strings', () => {
    const sig = 'a'.repeat(63) + 'b';
    expect(constantTimeEqual(sig, sig.slice())).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual(sig, 'a'.repeat(64))).toBe(false);
    expect(constantTimeEqual('b' + sig.slice(1), sig)).toBe(false);
    expect(constantTimeEqual(sig, sig + 'x')).toBe(false);
    expect(constantTimeEqual(sig, sig.slice(0, 63))).toBe(false);
    expect(constantTimeEqual('token', '')).toBe(false);
    expect(constantTimeEqual('', 'token')).toBe(false);
    // Differences beyond ASCII count too.
    expect(constantTimeEqual('é', 'e')).toBe(false);
  });
});
