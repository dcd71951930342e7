// Constant-time comparison of signatures and tokens, so response timing does not reveal how many
// leading characters of a guess were right.
import { timingSafeEqual } from 'node:crypto';

export function constantTimeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  // Lengths of signatures are public (64 hex); comparing against self keeps the time uniform.
  if (ba.length !== bb.length) {
    timingSafeEqual(ba, ba);
    return false;
  }
  return timingSafeEqual(ba, bb);
}
