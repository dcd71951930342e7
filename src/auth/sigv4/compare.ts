// Constant-time comparison of signatures and tokens, so response timing does not reveal how many
// leading characters of a guess were right. A branch-free XOR accumulation over the UTF-16 code
// units: the same guarantee as crypto.timingSafeEqual (no early exit on the first difference)
// without encoding both strings into fresh Buffers on every request. The length is not secret (a
// signature is always 64 hex characters; a token's length says nothing of its content).

export function constantTimeEqual(a: string, b: string): boolean {
  const n = a.length;
  // Different lengths: still walk `a` against itself so the time depends on the input length only.
  const other = b.length === n ? b : a;
  let diff = b.length === n ? 0 : 1;
  for (let i = 0; i < n; i++) diff |= a.charCodeAt(i) ^ other.charCodeAt(i);
  return diff === 0;
}
